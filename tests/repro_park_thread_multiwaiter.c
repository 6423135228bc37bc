/* repro_park_thread_multiwaiter.c (not registered; a reproducer for the
 * scheduler owners, see docs/channels.md).
 *
 * park.h says one goroutine may hold several waiters at once (a select),
 * and that a waker calls goro__wake on the waiter it dequeued. For a
 * goroutine that works with any of its waiters (goro__wake readies w->g).
 * For a plain thread it does not: goro__block(w0) sleeps on w0's futex, and
 * goro__wake(w1) stores 1 into w1's futex and wakes that address, so the
 * thread sleeps on. (It also decrements sched.nblocked while the thread
 * still counts as blocked.) select.c works around it by waking the waiter
 * the thread sleeps on (goro__selstate.primary).
 *
 * Build: cc -O2 -Iinclude tests/repro_park_thread_multiwaiter.c
 *        build/libgoro.a -lpthread
 * Expected with the current contract: "thread still asleep after
 * goro__wake(w1)", exit 1. */
#include <goro.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "../src/sched/park.h"

static goro__waiter w0, w1;
static int woke;

static void *blocker(void *arg) {
  goro__waiter_init(&w0);
  goro__waiter_init(&w1);
  w0.waitlink = &w1; /* one "select" holding two waiters */
  goro__block(&w0, NULL, NULL, "select");
  __atomic_store_n(&woke, 1, __ATOMIC_RELEASE);
  return NULL;
}

int main(void) {
  goro__runtime_init();
  pthread_t th;
  pthread_create(&th, NULL, blocker, NULL);
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  goro__wake(&w1); /* the select's second case fired */
  nanosleep(&ts, NULL);
  if (!__atomic_load_n(&woke, __ATOMIC_ACQUIRE)) {
    printf("thread still asleep after goro__wake(w1)\n");
    return 1;
  }
  printf("woken\n");
  return 0;
}
