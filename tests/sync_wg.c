/* sync_wg.c: sync.WaitGroup (Go's sync/waitgroup_test.go, ported).
 *  - TestWaitGroup: two groups reused over many rounds; the waiter of
 *    wg1 must not pass before all n goroutines are done;
 *  - reuse right after Wait returns, by goroutines and by a thread;
 *  - Wait with a zero counter returns at once; several waiters are all
 *    released. */
#include <goro.h>

#include <pthread.h>

#include "check.h"

#define N 16

static goro_wg wg1 = GORO_WG_INIT, wg2 = GORO_WG_INIT, exited = GORO_WG_INIT;
static int done_count, exit_count;

static void worker(void *arg) {
  __atomic_add_fetch(&done_count, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg1);
  goro_wg_wait(&wg2);
  __atomic_add_fetch(&exit_count, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&exited);
}

static void test_waitgroup(void) {
  for (int round = 0; round < 50; round++) {
    done_count = exit_count = 0;
    goro_wg_add(&wg1, N);
    goro_wg_add(&wg2, N);
    goro_wg_add(&exited, N);
    for (int i = 0; i < N; i++)
      goro_go(worker, NULL);
    goro_wg_wait(&wg1);
    CHECK_EQ(done_count, N);
    for (int i = 0; i < N; i++) {
      /* "WaitGroup released group too soon" */
      CHECK_EQ(__atomic_load_n(&exit_count, __ATOMIC_SEQ_CST), 0);
      goro_wg_done(&wg2);
    }
    goro_wg_wait(&exited); /* blocks if the barrier failed to release one */
  }
}

static goro_wg gate = GORO_WG_INIT, joined = GORO_WG_INIT;

static void waiter(void *arg) {
  goro_wg_wait(&gate);
  goro_wg_done(&joined);
}

static void *thread_waiter(void *arg) {
  goro_wg_wait(&gate);
  goro_wg_done(&joined);
  return NULL;
}

static void test_many_waiters(void) {
  goro_wg z = GORO_WG_INIT;
  goro_wg_wait(&z); /* zero: returns at once */
  for (int round = 0; round < 20; round++) {
    goro_wg_add(&gate, 1);
    goro_wg_add(&joined, 11);
    for (int i = 0; i < 10; i++)
      goro_go(waiter, NULL);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_waiter, NULL) == 0);
    goro_sleep(100000);
    goro_wg_done(&gate);
    goro_wg_wait(&joined);
    pthread_join(th, NULL);
  }
}

int main(void) {
  test_waitgroup();
  test_many_waiters();
  return 0;
}
