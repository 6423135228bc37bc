/*
 * WaitGroupUncontended: Add(1); Done(); Wait() on a WaitGroup no one else
 * uses, from p goroutines at once, each with its own padded WaitGroup (Go's
 * BenchmarkWaitGroupUncontended under RunParallel, p = the processor
 * count, passed by the runner).
 *
 * One op is one Add/Done/Wait triple. Checksum: the number of Waits that
 * returned, n.
 *
 * argv: n (triples in all), p
 */
#include "bench.h"

#include <goro.h>

#define MAXW 1024

static int64_t n_ops, n_procs;
static struct padded {
  goro_wg wg;
  int64_t share, waits;
  char pad[128];
} workers[MAXW];
static const goro_wg wg_init = GORO_WG_INIT;
static goro_wg done_wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

static void worker(void *arg) {
  struct padded *w = arg;
  for (int64_t i = 0; i < w->share; i++) {
    goro_wg_add(&w->wg, 1);
    goro_wg_done(&w->wg);
    goro_wg_wait(&w->wg);
    w->waits++;
  }
  goro_wg_done(&done_wg);
}

static int64_t run(int64_t n) {
  int64_t sum = 0;
  goro_wg_add(&done_wg, n_procs);
  for (int64_t k = 0; k < n_procs; k++) {
    workers[k].share = n / n_procs + (k == 0 ? n % n_procs : 0);
    workers[k].waits = 0;
    int64_t id = goro_go(worker, &workers[k]);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  }
  goro_wg_wait(&done_wg);
  for (int64_t k = 0; k < n_procs; k++) sum += workers[k].waits;
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
  /* Initialise each WaitGroup before its first use. */
  for (int64_t k = 0; k < n_procs; k++) workers[k].wg = wg_init;
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  bench_result_ns_per_op("WaitGroupUncontended", elapsed_ns, n_ops, checksum);
  return 0;
}
