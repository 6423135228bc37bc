/*
 * MutexContended: g goroutines (8 by default) share one mutex.
 *
 * Each does its share of n Lock; count++; Unlock on the shared mutex. One
 * op is one Lock/Unlock pair. Checksum: the shared count, n (a lost update
 * would show here).
 *
 * argv: n (lock/unlock pairs in all), g
 */
#include "bench.h"

#include <goro.h>

static int64_t n_ops, n_workers;
static goro_mutex mu = GORO_MUTEX_INIT;
static int64_t count; /* guarded by mu */
static goro_wg wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

static void worker(void *arg) {
  int64_t share = (int64_t)(intptr_t)arg;
  for (int64_t i = 0; i < share; i++) {
    goro_mutex_lock(&mu);
    count++;
    goro_mutex_unlock(&mu);
  }
  goro_wg_done(&wg);
}

static int64_t run(int64_t n) {
  count = 0;
  goro_wg_add(&wg, n_workers);
  for (int64_t k = 0; k < n_workers; k++) {
    int64_t share = n / n_workers + (k == 0 ? n % n_workers : 0);
    int64_t id = goro_go(worker, (void *)(intptr_t)share);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  }
  goro_wg_wait(&wg);
  return count;
}

static void bench_main(void *arg) {
  (void)arg;
  run(n_ops / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  checksum = run(n_ops);
  elapsed_ns = bench_now_ns() - t0;
}

int main(int argc, char **argv) {
  n_ops = bench_arg(argc, argv, 1, 10000000);
  n_workers = bench_arg(argc, argv, 2, 8);
  if (n_workers < 1) bench_fail("g must be >= 1");
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  bench_result_ns_per_op("MutexContended", elapsed_ns, n_ops, checksum);
  return 0;
}
