/*
 * ThreadMemory: the OS-thread baseline for ParkedGoroutines: resident bytes
 * per idle thread, over n threads (10,000 by default).
 *
 * Thread i (default attributes: 8 MiB stack reserved, touched only as
 * used) counts itself started and blocks on a futex word until main
 * releases it. Once all have started main reads VmRSS and compares it with
 * the reading before the first pthread_create; then it releases them, each
 * adds i to a sum, and main joins them all. Checksum: n(n-1)/2.
 * VmRSS does not count the kernel's own memory per thread (its kernel
 * stack and task struct, about 10-20 KiB), so this understates a thread.
 *
 * argv: n (threads)
 */
#include "bench.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic int started;
static _Atomic int released;
static _Atomic int64_t woke_sum;

static void *idle(void *arg) {
  int64_t i = (int64_t)(intptr_t)arg;
  atomic_fetch_add(&started, 1);
  syscall(SYS_futex, (int *)&started, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  while (atomic_load(&released) == 0)
    syscall(SYS_futex, (int *)&released, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  atomic_fetch_add(&woke_sum, i);
  return NULL;
}

int main(int argc, char **argv) {
  int64_t n = bench_arg(argc, argv, 1, 10000);
  if (n < 1 || n > INT_MAX) bench_fail("n out of range");
  pthread_t *ts = calloc((size_t)n, sizeof *ts);
  if (ts == NULL) bench_fail("calloc");
  int64_t rss_before = bench_rss_bytes();
  int64_t t0 = bench_now_ns();
  for (int64_t i = 0; i < n; i++) {
    int err = pthread_create(&ts[i], NULL, idle, (void *)(intptr_t)i);
    if (err != 0) bench_fail("pthread_create #%lld: %s", (long long)i,
                             strerror(err));
  }
  for (int s; (s = atomic_load(&started)) < n;)
    syscall(SYS_futex, (int *)&started, FUTEX_WAIT_PRIVATE, s, NULL, NULL, 0);
  int64_t t1 = bench_now_ns();
  int64_t rss_after = bench_rss_bytes();
  atomic_store(&released, 1);
  syscall(SYS_futex, (int *)&released, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL,
          0);
  for (int64_t i = 0; i < n; i++) pthread_join(ts[i], NULL);
  int64_t t2 = bench_now_ns();
  if (rss_before < 0 || rss_after < 0) bench_fail("cannot read VmRSS");
  printf("RESULT name=ThreadMemory bytes_per_thread=%.1f threads=%lld "
         "rss_before=%lld rss_after=%lld spawn_ns_per_thread=%.1f "
         "wake_join_ns_per_thread=%.1f checksum=%lld\n",
         (double)(rss_after - rss_before) / (double)n, (long long)n,
         (long long)rss_before, (long long)rss_after,
         (double)(t1 - t0) / (double)n, (double)(t2 - t1) / (double)n,
         (long long)atomic_load(&woke_sum));
  free(ts);
  return 0;
}
