/*
 * Gosched: ping-pong between two goroutines by yielding.
 *
 * ping writes i into a shared slot and hands the turn to pong; each side
 * waits for its turn by calling goro_yield() (runtime.Gosched) in a loop.
 * pong sums the values it was handed. One op is one handoff (half a round
 * trip), so n rounds are 2n ops. Checksum: pong's sum, n(n-1)/2.
 *
 * argv: n (rounds)
 */
#include "bench.h"

#include <goro.h>
#include <stdatomic.h>

static int64_t n_rounds;
static _Atomic int turn; /* 0: ping's turn, 1: pong's */
static int64_t slot;     /* written by ping before turn=1, read by pong */
static int64_t pong_sum;
static goro_wg wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

static void pong(void *arg) {
  int64_t n = (int64_t)(intptr_t)arg;
  for (int64_t i = 0; i < n; i++) {
    while (atomic_load(&turn) != 1) goro_yield();
    pong_sum += slot;
    atomic_store(&turn, 0);
  }
  goro_wg_done(&wg);
}

static int64_t run(int64_t n) {
  pong_sum = 0;
  atomic_store(&turn, 0);
  goro_wg_add(&wg, 1);
  int64_t id = goro_go(pong, (void *)(intptr_t)n);
  if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  for (int64_t i = 0; i < n; i++) {
    slot = i;
    atomic_store(&turn, 1);
    while (atomic_load(&turn) != 0) goro_yield();
  }
  goro_wg_wait(&wg);
  return pong_sum;
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
  bench_result_ns_per_op("Gosched", elapsed_ns, 2 * n_rounds, checksum);
  return 0;
}
