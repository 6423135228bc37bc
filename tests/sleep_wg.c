/* sleep_wg.c: goro_sleep never returns early, from goroutines and from a
 * thread; WaitGroups are reusable, and waited on by goroutines and threads
 * at once. */
#include <goro.h>

#include "check.h"

static goro_wg wg = GORO_WG_INIT;
static goro_wg start = GORO_WG_INIT;
static int early;

static void sleeper(void *arg) {
  int64_t d = (int64_t)(intptr_t)arg;
  int64_t t0 = goro_now();
  goro_sleep(d);
  if (goro_now() - t0 < d)
    __atomic_store_n(&early, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg);
}

static int waiters_done;
static void waiter(void *arg) {
  goro_wg_wait(&start);
  __atomic_add_fetch(&waiters_done, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg);
}

int main(void) {
  for (int round = 0; round < 3; round++) {
    goro_wg_add(&wg, 100);
    for (int i = 0; i < 100; i++)
      goro_go(sleeper, (void *)(intptr_t)(1000 * (i % 10) * (round + 1)));
    goro_wg_wait(&wg);
  }
  CHECK(!early);
  int64_t t0 = goro_now();
  goro_sleep(2000000);
  CHECK(goro_now() - t0 >= 2000000);
  goro_sleep(0);
  goro_sleep(-5);

  /* Reuse: the same WaitGroup released several times over. */
  for (int round = 0; round < 5; round++) {
    goro_wg_add(&start, 1);
    goro_wg_add(&wg, 10);
    for (int i = 0; i < 10; i++)
      goro_go(waiter, NULL);
    goro_sleep(100000);
    goro_wg_done(&start);
    goro_wg_wait(&start); /* the counter is zero: returns at once */
    goro_wg_wait(&wg);
  }
  CHECK_EQ(waiters_done, 50);
  printf("sleep_wg: ok\n");
  return 0;
}
