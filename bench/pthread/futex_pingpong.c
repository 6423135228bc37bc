/*
 * FutexPingPong: the OS-thread baseline for ChanSync and Gosched: two
 * threads hand a value back and forth through a futex word.
 *
 * ping writes i into a slot, sets turn = 1 and FUTEX_WAKEs; pong waits
 * (FUTEX_WAIT while turn != 1), adds the slot to its sum, sets turn = 0 and
 * wakes ping. Every handoff makes a wake system call, and a wait whenever
 * the other side has not answered yet. One op is one handoff (half a round
 * trip), so n rounds are 2n ops. Checksum: pong's sum, n(n-1)/2.
 *
 * argv: n (rounds)
 */
#include "bench.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic int turn; /* 0: ping's turn, 1: pong's */
static int64_t slot, pong_sum;

static void futex_wait(_Atomic int *addr, int val) {
  syscall(SYS_futex, (int *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *addr) {
  syscall(SYS_futex, (int *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void *pong(void *arg) {
  int64_t n = (int64_t)(intptr_t)arg;
  for (int64_t i = 0; i < n; i++) {
    while (atomic_load(&turn) != 1) futex_wait(&turn, 0);
    pong_sum += slot;
    atomic_store(&turn, 0);
    futex_wake(&turn);
  }
  return NULL;
}

static int64_t run(int64_t n) {
  pthread_t t;
  pong_sum = 0;
  atomic_store(&turn, 0);
  int err = pthread_create(&t, NULL, pong, (void *)(intptr_t)n);
  if (err != 0) bench_fail("pthread_create: %s", strerror(err));
  for (int64_t i = 0; i < n; i++) {
    slot = i;
    atomic_store(&turn, 1);
    futex_wake(&turn);
    while (atomic_load(&turn) != 0) futex_wait(&turn, 1);
  }
  pthread_join(t, NULL);
  return pong_sum;
}

int main(int argc, char **argv) {
  int64_t n = bench_arg(argc, argv, 1, 200000);
  run(n / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  int64_t checksum = run(n);
  int64_t elapsed = bench_now_ns() - t0;
  bench_result_ns_per_op("FutexPingPong", elapsed, 2 * n, checksum);
  return 0;
}
