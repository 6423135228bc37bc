/*
 * CreateGoroutines: spawn a goroutine, let it run and exit, join it with a
 * WaitGroup.
 *
 * The main goroutine starts n goroutines in batches of BATCH (wg.Add(k),
 * k spawns, wg.Wait()), so at most BATCH are alive at once and the cost
 * measured is the create/run/exit cycle, not memory growth. Goroutine v
 * stores v into slots[v % BATCH]; main sums the slots after each Wait.
 * One op is one goroutine. Checksum: the sum of every v, n(n-1)/2.
 *
 * argv: n (goroutines)
 */
#include "bench.h"

#include <goro.h>

#define BATCH 1000

static int64_t n_goroutines;
static int64_t slots[BATCH];
static goro_wg wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

static void child(void *arg) {
  int64_t v = (int64_t)(intptr_t)arg;
  slots[v % BATCH] = v;
  goro_wg_done(&wg);
}

static int64_t run(int64_t n) {
  int64_t sum = 0;
  for (int64_t base = 0; base < n; base += BATCH) {
    int64_t k = n - base < BATCH ? n - base : BATCH;
    goro_wg_add(&wg, k);
    for (int64_t j = 0; j < k; j++) {
      int64_t id = goro_go(child, (void *)(intptr_t)(base + j));
      if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
    }
    goro_wg_wait(&wg);
    for (int64_t j = 0; j < k; j++) sum += slots[j];
  }
  return sum;
}

static void bench_main(void *arg) {
  (void)arg;
  run(n_goroutines / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  checksum = run(n_goroutines);
  elapsed_ns = bench_now_ns() - t0;
}

int main(int argc, char **argv) {
  n_goroutines = bench_arg(argc, argv, 1, 1000000);
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  bench_result_ns_per_op("CreateGoroutines", elapsed_ns, n_goroutines,
                         checksum);
  return 0;
}
