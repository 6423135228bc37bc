/* sync_once.c: sync.Once (Go's sync/once_test.go, ported).
 *  - TestOnce: many goroutines and threads call Do at once; fn runs exactly
 *    once, and every caller returns only after it has finished (fn is slow
 *    and sets its result last: a caller that returned early would see 0);
 *  - a second Once with a different fn is independent;
 *  - Do after completion is a no-op (fn not called). */
#include <goro.h>

#include <pthread.h>

#include "check.h"

static goro_once once = GORO_ONCE_INIT;
static int calls, result;
static goro_wg wg = GORO_WG_INIT;

static void slow_init(void *arg) {
  __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
  goro_sleep(5000000); /* 5 ms: every other caller has to wait */
  result = (int)(intptr_t)arg;
}

static void caller(void *arg) {
  goro_once_do(&once, slow_init, (void *)(intptr_t)42);
  CHECK(result == 42 || result == 7); /* whoever ran it, it has finished */
  goro_wg_done(&wg);
}

static void *thread_caller(void *arg) {
  goro_once_do(&once, slow_init, (void *)(intptr_t)7);
  CHECK(result == 42 || result == 7);
  return NULL;
}

static int other_calls;
static void other_init(void *arg) { other_calls++; }
static void never(void *arg) { CHECK(!"called twice"); }

int main(void) {
  goro_wg_add(&wg, 100);
  for (int i = 0; i < 100; i++)
    CHECK(goro_go(caller, NULL) > 0);
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    CHECK(pthread_create(&th[i], NULL, thread_caller, NULL) == 0);
  goro_wg_wait(&wg);
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  CHECK_EQ(calls, 1);
  CHECK(result == 42 || result == 7);

  goro_once o2 = GORO_ONCE_INIT;
  goro_once_do(&o2, other_init, NULL);
  goro_once_do(&o2, never, NULL);
  goro_once_do(&once, never, NULL);
  CHECK_EQ(other_calls, 1);
  return 0;
}
