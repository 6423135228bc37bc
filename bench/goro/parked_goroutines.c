/*
 * ParkedGoroutines: the memory of n goroutines (1,000,000 by default) all
 * parked at once, as resident bytes per goroutine.
 *
 * Goroutine i marks itself started (a WaitGroup) and blocks receiving from
 * a channel that nothing sends on (Go: <-release). Once every goroutine has
 * started, main reads VmRSS from /proc/self/status and compares it with the
 * reading taken before the first spawn. Then it closes the channel, which
 * wakes them all; each adds i to a sum and exits, and main waits for them.
 * Checksum: that sum, n(n-1)/2, so every goroutine was really parked and
 * really woken.
 *
 * argv: n (goroutines)
 */
#include "bench.h"

#include <goro.h>
#include <stdatomic.h>

static int64_t n_goroutines;
static goro_chan *release;
static goro_wg started = GORO_WG_INIT, exited = GORO_WG_INIT;
static _Atomic int64_t woke_sum;
static int64_t rss_before, rss_after, spawn_ns, wake_ns;

static void parked(void *arg) {
  int64_t i = (int64_t)(intptr_t)arg;
  goro_wg_done(&started);
  if (goro_chan_recv(release, NULL) != 0) bench_fail("recv: not closed");
  atomic_fetch_add(&woke_sum, i);
  goro_wg_done(&exited);
}

static void bench_main(void *arg) {
  (void)arg;
  int64_t n = n_goroutines;
  release = goro_chan_make(0, 0);
  if (release == NULL) bench_fail("goro_chan_make");
  rss_before = bench_rss_bytes();
  int64_t t0 = bench_now_ns();
  goro_wg_add(&started, n);
  goro_wg_add(&exited, n);
  for (int64_t i = 0; i < n; i++) {
    int64_t id = goro_go(parked, (void *)(intptr_t)i);
    if (id < 0) bench_fail("goro_go #%lld: %s", (long long)i,
                           goro_strerror((int)id));
  }
  goro_wg_wait(&started);
  int64_t t1 = bench_now_ns();
  rss_after = bench_rss_bytes();
  goro_chan_close(release);
  goro_wg_wait(&exited);
  wake_ns = bench_now_ns() - t1;
  spawn_ns = t1 - t0;
  goro_chan_release(release);
}

int main(int argc, char **argv) {
  n_goroutines = bench_arg(argc, argv, 1, 1000000);
  if (n_goroutines < 1) bench_fail("n must be >= 1");
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  if (rss_before < 0 || rss_after < 0) bench_fail("cannot read VmRSS");
  printf("RESULT name=ParkedGoroutines bytes_per_goroutine=%.1f "
         "goroutines=%lld rss_before=%lld rss_after=%lld "
         "spawn_ns_per_goroutine=%.1f wake_ns_per_goroutine=%.1f "
         "checksum=%lld\n",
         (double)(rss_after - rss_before) / (double)n_goroutines,
         (long long)n_goroutines, (long long)rss_before, (long long)rss_after,
         (double)spawn_ns / (double)n_goroutines,
         (double)wake_ns / (double)n_goroutines,
         (long long)atomic_load(&woke_sum));
  return 0;
}
