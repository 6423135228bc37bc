/* chan_sieve.c: the concurrent prime sieve. A generator goroutine sends
 * 2, 3, 4, ...; each prime found puts a filter goroutine in front of the
 * chain that drops its multiples. The first 100 primes must come out in
 * order (checked against trial division). Then the chain is torn down by
 * closing the generator's channel: every filter sees its input closed,
 * closes its output and exits, and the last channel reports closed. The
 * same sieve runs once more with buffered channels. */
#include <goro.h>

#include "check.h"

#define NPRIMES 100

struct filter_arg {
  goro_chan *in, *out;
  int64_t prime;
};

static goro_wg wg = GORO_WG_INIT;
static goro_chan *stop;

static void generate(void *arg) {
  goro_chan *out = arg;
  /* Sends until told to stop, then closes its output. */
  int64_t done;
  for (int64_t i = 2;; i++) {
    goro_case cs[2] = {goro_send_case(out, &i), goro_recv_case(stop, &done)};
    int r = goro_select(cs, 2, 0);
    CHECK(r == 0 || r == 1);
    if (r == 1)
      break;
  }
  CHECK_EQ(goro_chan_close(out), 0);
  goro_chan_release(out);
  goro_wg_done(&wg);
}

static void filter(void *arg) {
  struct filter_arg f = *(struct filter_arg *)arg;
  free(arg);
  int64_t v;
  while (goro_chan_recv(f.in, &v) == 1)
    if (v % f.prime != 0)
      CHECK_EQ(goro_chan_send(f.out, &v), 0);
  CHECK_EQ(v, 0); /* zeroed on close */
  CHECK_EQ(goro_chan_close(f.out), 0);
  goro_chan_release(f.in);
  goro_chan_release(f.out);
  goro_wg_done(&wg);
}

static int is_prime(int64_t n) {
  for (int64_t d = 2; d * d <= n; d++)
    if (n % d == 0)
      return 0;
  return n >= 2;
}

static void sieve(size_t cap) {
  stop = goro_chan_make(0, 0);
  goro_chan *ch = goro_chan_make(sizeof(int64_t), cap);
  CHECK(stop && ch);
  goro_chan_retain(ch);
  goro_wg_add(&wg, 1);
  CHECK(goro_go(generate, ch) > 0);
  int64_t expect = 1;
  for (int i = 0; i < NPRIMES; i++) {
    int64_t p;
    CHECK_EQ(goro_chan_recv(ch, &p), 1);
    do
      expect++;
    while (!is_prime(expect));
    CHECK_EQ(p, expect);
    goro_chan *next = goro_chan_make(sizeof(int64_t), cap);
    CHECK(next);
    struct filter_arg *f = malloc(sizeof *f);
    CHECK(f);
    *f = (struct filter_arg){ch, next, p};
    goro_chan_retain(next);
    goro_wg_add(&wg, 1);
    CHECK(goro_go(filter, f) > 0); /* takes our reference to ch */
    ch = next;
  }
  CHECK_EQ(expect, 541); /* the 100th prime */
  /* Tear down: stop the generator; the close ripples down the chain. The
   * values still in flight are drained here. */
  CHECK_EQ(goro_chan_close(stop), 0);
  int64_t v;
  while (goro_chan_recv(ch, &v) == 1)
    CHECK(is_prime(v) && v > 541);
  goro_wg_wait(&wg);
  CHECK_EQ(goro_chan_recv(ch, &v), 0);
  goro_chan_release(ch);
  goro_chan_release(stop);
}

static void main_fn(void *arg) {
  sieve(0);
  sieve(3);
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  /* And from a plain thread as the consumer. */
  sieve(0);
  return 0;
}
