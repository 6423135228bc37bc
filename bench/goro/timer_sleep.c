/*
 * TimerSleep: g goroutines (100,000 by default) each sleep k times (10) for
 * d ms (10), joined by a WaitGroup; the cost is the process's CPU time
 * (getrusage user + system, every thread) per sleep.
 *
 * The measured region spans the spawns, all g*k sleeps and the final Wait.
 * Each goroutine counts its own completed sleeps and adds the count to a
 * shared total at the end. Checksum: that total, g*k. The wall time is
 * reported too (at least k*d ms).
 *
 * argv: g, k, d_ms
 */
#include "bench.h"

#include <goro.h>
#include <stdatomic.h>

static int64_t n_goroutines, n_sleeps, sleep_ms;
static goro_wg wg = GORO_WG_INIT;
static _Atomic int64_t slept;
static int64_t cpu_ns, wall_ns;

static void sleeper(void *arg) {
  (void)arg;
  int64_t n = 0;
  for (int64_t k = 0; k < n_sleeps; k++) {
    goro_sleep(sleep_ms * 1000000);
    n++;
  }
  atomic_fetch_add(&slept, n);
  goro_wg_done(&wg);
}

static void bench_main(void *arg) {
  (void)arg;
  int64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
  goro_wg_add(&wg, n_goroutines);
  for (int64_t i = 0; i < n_goroutines; i++) {
    int64_t id = goro_go(sleeper, NULL);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  }
  goro_wg_wait(&wg);
  wall_ns = bench_now_ns() - t0;
  cpu_ns = bench_cpu_ns() - c0;
}

int main(int argc, char **argv) {
  n_goroutines = bench_arg(argc, argv, 1, 100000);
  n_sleeps = bench_arg(argc, argv, 2, 10);
  sleep_ms = bench_arg(argc, argv, 3, 10);
  int64_t sleeps = n_goroutines * n_sleeps;
  if (sleeps < 1) bench_fail("g and k must be >= 1");
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  printf("RESULT name=TimerSleep cpu_ns_per_sleep=%.1f sleeps=%lld "
         "cpu_ms=%.3f wall_ms=%.3f checksum=%lld\n",
         (double)cpu_ns / (double)sleeps, (long long)sleeps, cpu_ns / 1e6,
         wall_ns / 1e6, (long long)atomic_load(&slept));
  return 0;
}
