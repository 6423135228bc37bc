/*
 * MutexUncontended: lock and unlock a mutex that no one else uses, from p
 * goroutines at once, each with its own padded mutex (Go's
 * BenchmarkMutexUncontended under RunParallel, p = the processor count,
 * passed by the runner).
 *
 * Each worker does its share of n Lock; count++; Unlock. One op is one
 * Lock/Unlock pair. Checksum: the sum of the workers' counts, n.
 *
 * argv: n (lock/unlock pairs), p
 */
#include "bench.h"

#include <goro.h>

#define MAXW 1024

static int64_t n_ops, n_procs;
static struct padded {
  goro_mutex mu;
  int64_t count; /* guarded by mu */
  char pad[128];
} workers[MAXW];
static const goro_mutex mu_init = GORO_MUTEX_INIT;
static goro_wg wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

static void worker(void *arg) {
  struct padded *w = arg;
  int64_t share = w->count;
  w->count = 0;
  for (int64_t i = 0; i < share; i++) {
    goro_mutex_lock(&w->mu);
    w->count++;
    goro_mutex_unlock(&w->mu);
  }
  goro_wg_done(&wg);
}

static int64_t run(int64_t n) {
  int64_t sum = 0;
  goro_wg_add(&wg, n_procs);
  for (int64_t k = 0; k < n_procs; k++) {
    workers[k].count = n / n_procs + (k == 0 ? n % n_procs : 0);
    int64_t id = goro_go(worker, &workers[k]);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  }
  goro_wg_wait(&wg);
  for (int64_t k = 0; k < n_procs; k++) sum += workers[k].count;
  return sum;
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
  n_procs = bench_arg(argc, argv, 2, 1);
  if (n_procs < 1 || n_procs > MAXW) bench_fail("p must be 1..%d", MAXW);
  /* Initialise each mutex before its first use. */
  for (int64_t k = 0; k < n_procs; k++) workers[k].mu = mu_init;
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  bench_result_ns_per_op("MutexUncontended", elapsed_ns, n_ops, checksum);
  return 0;
}
