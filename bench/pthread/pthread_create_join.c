/*
 * PthreadCreateJoin: the OS-thread baseline for CreateGoroutines.
 *
 * n times: pthread_create a thread (default attributes: glibc's cached
 * stacks, 8 MiB reserved) that stores its value v in a slot, then
 * pthread_join it and add the slot to a sum. One op is one thread created,
 * run and joined. Checksum: n(n-1)/2.
 *
 * argv: n (threads)
 */
#include "bench.h"

#include <pthread.h>

static int64_t slot;

static void *child(void *arg) {
  slot = (int64_t)(intptr_t)arg;
  return NULL;
}

static int64_t run(int64_t n) {
  int64_t sum = 0;
  for (int64_t v = 0; v < n; v++) {
    pthread_t t;
    int err = pthread_create(&t, NULL, child, (void *)(intptr_t)v);
    if (err != 0) bench_fail("pthread_create: %s", strerror(err));
    pthread_join(t, NULL);
    sum += slot;
  }
  return sum;
}

int main(int argc, char **argv) {
  int64_t n = bench_arg(argc, argv, 1, 100000);
  run(n / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  int64_t checksum = run(n);
  int64_t elapsed = bench_now_ns() - t0;
  bench_result_ns_per_op("PthreadCreateJoin", elapsed, n, checksum);
  return 0;
}
