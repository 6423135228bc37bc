/* sync_perf.c: the sync/time work's measuring program (not a test; see
 * docs/sync.md and docs/timers.md). tests/sync_perf.go is its Go twin and
 * tests/sync_perf.sh runs both, alternating, and prints medians.
 *
 *   sync_perf contended G N    G goroutines each do N Lock/count++/Unlock
 *                              on one mutex; prints ns per Lock/Unlock pair
 *   sync_perf uncontended N    one goroutine, its own mutex, N pairs
 *   sync_perf sleep G K D      G goroutines each sleep K times D ms; prints
 *                              process CPU time (user+sys) per sleep
 *
 * Output: one line "RESULT <name> <value> <checksum>". */
#define _GNU_SOURCE
#include <goro.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int64_t cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static int64_t g_n, g_g, g_k, g_d;
static goro_wg wg = GORO_WG_INIT;

/* ---- contended ------------------------------------------------------------ */
static goro_mutex mu = GORO_MUTEX_INIT;
static int64_t count;

static void locker(void *arg) {
  int64_t n = g_n;
  for (int64_t i = 0; i < n; i++) {
    goro_mutex_lock(&mu);
    count++;
    goro_mutex_unlock(&mu);
  }
  goro_wg_done(&wg);
}

static void contended(void *arg) {
  int64_t t0 = goro_now();
  goro_wg_add(&wg, g_g);
  for (int64_t i = 0; i < g_g; i++)
    goro_go(locker, NULL);
  goro_wg_wait(&wg);
  int64_t el = goro_now() - t0;
  printf("RESULT contended %.2f %lld\n", (double)el / (double)(g_g * g_n),
         (long long)count);
}

/* ---- uncontended ---------------------------------------------------------- */
static void uncontended(void *arg) {
  static goro_mutex m = GORO_MUTEX_INIT;
  static int64_t c;
  int64_t t0 = goro_now();
  for (int64_t i = 0; i < g_n; i++) {
    goro_mutex_lock(&m);
    c++;
    goro_mutex_unlock(&m);
  }
  int64_t el = goro_now() - t0;
  printf("RESULT uncontended %.2f %lld\n", (double)el / (double)g_n,
         (long long)c);
}

/* ---- sleep ---------------------------------------------------------------- */
static int64_t slept;

static void sleeper(void *arg) {
  int64_t n = 0;
  for (int64_t k = 0; k < g_k; k++) {
    goro_sleep(g_d * 1000000);
    n++;
  }
  __atomic_add_fetch(&slept, n, __ATOMIC_RELAXED);
  goro_wg_done(&wg);
}

static void sleep_main(void *arg) {
  int64_t c0 = cpu_ns(), t0 = goro_now();
  goro_wg_add(&wg, g_g);
  for (int64_t i = 0; i < g_g; i++)
    if (goro_go(sleeper, NULL) < 0)
      abort();
  goro_wg_wait(&wg);
  int64_t cpu = cpu_ns() - c0, wall = goro_now() - t0;
  printf("RESULT sleep %.1f %lld wall_ms=%.1f\n",
         (double)cpu / (double)(g_g * g_k), (long long)slept, wall / 1e6);
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  if (!strcmp(argv[1], "contended") && argc == 4) {
    g_g = atoll(argv[2]);
    g_n = atoll(argv[3]);
    return goro_run(contended, NULL);
  }
  if (!strcmp(argv[1], "uncontended") && argc == 3) {
    g_n = atoll(argv[2]);
    return goro_run(uncontended, NULL);
  }
  if (!strcmp(argv[1], "sleep") && argc == 5) {
    g_g = atoll(argv[2]);
    g_k = atoll(argv[3]);
    g_d = atoll(argv[4]);
    return goro_run(sleep_main, NULL);
  }
  return 2;
}
