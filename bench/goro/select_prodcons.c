/*
 * SelectProdCons: one consumer selects over 4 unbuffered channels, each fed
 * by its own producer.
 *
 * Producer k sends the values k, k+4, k+8, ... below n on channel k, then
 * closes it. The consumer runs a 4-case select; a case that reports its
 * channel closed is disabled (Go: the channel variable is set to nil)
 * until all four are closed. One op is one value received through select.
 * Checksum: the consumer's sum, n(n-1)/2.
 *
 * argv: n (values)
 */
#include "bench.h"

#include <goro.h>

#define NCHAN 4

static int64_t n_values;
static int64_t elapsed_ns, checksum;

struct prod {
  goro_chan *c;
  int64_t first, n;
};
static struct prod prods[NCHAN];

static void producer(void *arg) {
  struct prod *p = arg;
  for (int64_t v = p->first; v < p->n; v += NCHAN) {
    int err = goro_chan_send(p->c, &v);
    if (err < 0) bench_fail("send: %s", goro_strerror(err));
  }
  goro_chan_close(p->c);
  goro_chan_release(p->c);
}

static int64_t run(int64_t n) {
  goro_chan *cs[NCHAN];
  goro_case cases[NCHAN];
  int64_t v = 0, sum = 0;
  for (int k = 0; k < NCHAN; k++) {
    cs[k] = goro_chan_make(sizeof(int64_t), 0);
    if (cs[k] == NULL) bench_fail("goro_chan_make");
    goro_chan_retain(cs[k]); /* the producer's reference */
    prods[k] = (struct prod){cs[k], k, n};
    int64_t id = goro_go(producer, &prods[k]);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
    cases[k] = (goro_case){.chan = cs[k], .op = GORO_RECV, .elem = &v};
  }
  for (int open = NCHAN; open > 0;) {
    int i = goro_select(cases, NCHAN, 0);
    if (i < 0 || i >= NCHAN) bench_fail("goro_select: %s", goro_strerror(i));
    if (cases[i].ok) {
      sum += v;
    } else {
      cases[i].chan = NULL;
      open--;
    }
  }
  for (int k = 0; k < NCHAN; k++) goro_chan_release(cs[k]);
  return sum;
}

static void bench_main(void *arg) {
  (void)arg;
  run(n_values / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  checksum = run(n_values);
  elapsed_ns = bench_now_ns() - t0;
}

int main(int argc, char **argv) {
  n_values = bench_arg(argc, argv, 1, 1000000);
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  bench_result_ns_per_op("SelectProdCons", elapsed_ns, n_values, checksum);
  return 0;
}
