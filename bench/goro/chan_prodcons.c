/*
 * ChanProdCons<cap>: p producers and p consumers on one channel of
 * capacity cap (Go's BenchmarkChanProdCons shape, with p = the processor
 * count, passed by the runner so both languages do the same work).
 *
 * Producer k sends the values k+1, k+1+p, ... up to n (so 1..n in all),
 * then one 0 as its end marker; each consumer sums what it receives until
 * it takes a 0. One op is one value sent and received. Checksum: the sum
 * over all consumers, n(n+1)/2.
 *
 * argv: n (values), cap, p
 */
#include "bench.h"

#include <goro.h>
#include <stdatomic.h>

static int64_t n_values, chan_cap, n_procs;
static goro_chan *ch;
static _Atomic int64_t total;
static goro_wg wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

struct part {
  int64_t first, step, last;
};
static struct part parts[1024];

static void producer(void *arg) {
  struct part *p = arg;
  for (int64_t v = p->first; v <= p->last; v += p->step) {
    int err = goro_chan_send(ch, &v);
    if (err < 0) bench_fail("send: %s", goro_strerror(err));
  }
  int64_t end = 0;
  int err = goro_chan_send(ch, &end);
  if (err < 0) bench_fail("send: %s", goro_strerror(err));
  goro_wg_done(&wg);
}

static void consumer(void *arg) {
  (void)arg;
  int64_t v, sum = 0;
  for (;;) {
    if (goro_chan_recv(ch, &v) != 1) bench_fail("recv: closed");
    if (v == 0) break;
    sum += v;
  }
  atomic_fetch_add(&total, sum);
  goro_wg_done(&wg);
}

static int64_t run(int64_t n) {
  ch = goro_chan_make(sizeof(int64_t), (size_t)chan_cap);
  if (ch == NULL) bench_fail("goro_chan_make");
  atomic_store(&total, 0);
  goro_wg_add(&wg, 2 * n_procs);
  for (int64_t k = 0; k < n_procs; k++) {
    parts[k] = (struct part){k + 1, n_procs, n};
    int64_t id = goro_go(producer, &parts[k]);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
    id = goro_go(consumer, NULL);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  }
  goro_wg_wait(&wg);
  goro_chan_release(ch);
  return atomic_load(&total);
}

static void bench_main(void *arg) {
  (void)arg;
  run(n_values / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  checksum = run(n_values);
  elapsed_ns = bench_now_ns() - t0;
}

int main(int argc, char **argv) {
  char name[64];
  n_values = bench_arg(argc, argv, 1, 1000000);
  chan_cap = bench_arg(argc, argv, 2, 0);
  n_procs = bench_arg(argc, argv, 3, 1);
  if (n_procs < 1 || n_procs > 1024) bench_fail("p must be 1..1024");
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  snprintf(name, sizeof name, "ChanProdCons%lld", (long long)chan_cap);
  bench_result_ns_per_op(name, elapsed_ns, n_values, checksum);
  return 0;
}
