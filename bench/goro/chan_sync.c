/*
 * ChanSync: ping-pong over one unbuffered channel.
 *
 * ping sends i; pong receives it, adds it to its sum and sends it back;
 * ping receives the echo and adds it to its own sum. After n rounds ping
 * closes the channel and pong's receive loop ends (for v := range c).
 * One op is one message (a send matched by a receive), as in Go's
 * BenchmarkChanSync, so n rounds are 2n ops. Checksum: ping's sum of the
 * echoes, n(n-1)/2 (pong's sum must agree).
 *
 * argv: n (rounds)
 */
#include "bench.h"

#include <goro.h>

static int64_t n_rounds;
static int64_t pong_sum;
static goro_wg wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

static void pong(void *arg) {
  goro_chan *c = arg;
  int64_t v, sum = 0;
  while (goro_chan_recv(c, &v) == 1) {
    sum += v;
    int err = goro_chan_send(c, &v);
    if (err < 0) bench_fail("pong send: %s", goro_strerror(err));
  }
  pong_sum = sum;
  goro_chan_release(c);
  goro_wg_done(&wg);
}

static int64_t run(int64_t n) {
  goro_chan *c = goro_chan_make(sizeof(int64_t), 0);
  if (c == NULL) bench_fail("goro_chan_make");
  goro_chan_retain(c); /* pong's reference */
  goro_wg_add(&wg, 1);
  int64_t id = goro_go(pong, c);
  if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  int64_t sum = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = i;
    int err = goro_chan_send(c, &v);
    if (err < 0) bench_fail("ping send: %s", goro_strerror(err));
    if (goro_chan_recv(c, &v) != 1) bench_fail("ping recv");
    sum += v;
  }
  goro_chan_close(c);
  goro_wg_wait(&wg);
  goro_chan_release(c);
  if (pong_sum != sum) bench_fail("pong saw %lld, ping %lld",
                                  (long long)pong_sum, (long long)sum);
  return sum;
}

static void bench_main(void *arg) {
  (void)arg;
  run(n_rounds / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  checksum = run(n_rounds);
  elapsed_ns = bench_now_ns() - t0;
}

int main(int argc, char **argv) {
  n_rounds = bench_arg(argc, argv, 1, 1000000);
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  bench_result_ns_per_op("ChanSync", elapsed_ns, 2 * n_rounds, checksum);
  return 0;
}
