/* sync_cond.c: sync.Cond (Go's sync/cond_test.go, ported), plus the timed
 * wait.
 *  - TestCondSignal: n waiters; each Signal releases exactly one;
 *  - TestCondSignalGenerations: waiters that start waiting in order
 *    0..n-1 are released by successive Signals in that same order;
 *  - TestCondBroadcast: Broadcast releases every waiter, repeatedly;
 *  - a thread waits and a goroutine signals, and the reverse;
 *  - goro_cond_wait_until: -ETIMEDOUT no earlier than the deadline, with
 *    the mutex held again; 0 when signalled first; a timed-out waiter does
 *    not swallow a later signal meant for another waiter. */
#include <goro.h>

#include <pthread.h>

#include "../src/sched/park.h"
#include "check.h"

static goro_mutex mu = GORO_MUTEX_INIT;
static goro_cond cv = GORO_COND_INIT;
static goro_wg wg = GORO_WG_INIT;

/* White box: waiters queued on c (under c's lock: see src/sync/cond.c). */
static uint32_t queued(goro_cond *c) {
  return __atomic_load_n(&c->_wait, __ATOMIC_ACQUIRE);
}
static void wait_queued(goro_cond *c, uint32_t n) {
  while (queued(c) < n)
    goro_yield();
}

/* ---- Signal releases one ---------------------------------------------- */

static int running, awake;

static void signal_waiter(void *arg) {
  goro_mutex_lock(&mu);
  running++;
  goro_cond_wait(&cv, &mu);
  awake++;
  goro_mutex_unlock(&mu);
  goro_wg_done(&wg);
}

static void test_signal(int n) {
  running = awake = 0;
  goro_wg_add(&wg, n);
  for (int i = 0; i < n; i++)
    goro_go(signal_waiter, NULL);
  wait_queued(&cv, (uint32_t)n);
  for (int i = 1; i <= n; i++) {
    goro_mutex_lock(&mu);
    goro_cond_signal(&cv);
    goro_mutex_unlock(&mu);
    /* Exactly one more wakes. */
    for (;;) {
      goro_mutex_lock(&mu);
      int a = awake;
      goro_mutex_unlock(&mu);
      CHECK(a <= i);
      if (a == i)
        break;
      goro_yield();
    }
    CHECK_EQ(queued(&cv), (uint32_t)(n - i));
  }
  goro_cond_signal(&cv); /* nobody waits: a no-op */
  goro_wg_wait(&wg);
}

/* ---- order of Signal ----------------------------------------------------- */

#define GEN 100
static int order[GEN], norder;

static void gen_waiter(void *arg) {
  goro_mutex_lock(&mu);
  goro_cond_wait(&cv, &mu);
  order[norder++] = (int)(intptr_t)arg;
  goro_mutex_unlock(&mu);
  goro_wg_done(&wg);
}

static void test_generations(void) {
  norder = 0;
  goro_wg_add(&wg, GEN);
  for (int i = 0; i < GEN; i++) {
    goro_go(gen_waiter, (void *)(intptr_t)i);
    wait_queued(&cv, (uint32_t)i + 1); /* i waits before i+1 starts */
  }
  for (int i = 0; i < GEN; i++) {
    goro_mutex_lock(&mu);
    goro_cond_signal(&cv);
    goro_mutex_unlock(&mu);
    for (;;) { /* the one woken records itself before the next signal */
      goro_mutex_lock(&mu);
      int n = norder;
      goro_mutex_unlock(&mu);
      if (n == i + 1)
        break;
      goro_yield();
    }
  }
  goro_wg_wait(&wg);
  CHECK_EQ(norder, GEN);
  for (int i = 0; i < GEN; i++)
    CHECK_EQ(order[i], i);
}

/* ---- Broadcast ---------------------------------------------------------------- */

static int round_no, woke_in_round;

static void bcast_waiter(void *arg) {
  for (int r = 1; r <= 5; r++) {
    goro_mutex_lock(&mu);
    while (round_no < r)
      goro_cond_wait(&cv, &mu);
    woke_in_round++;
    goro_mutex_unlock(&mu);
  }
  goro_wg_done(&wg);
}

static void test_broadcast(int n) {
  round_no = 0;
  woke_in_round = 0;
  goro_wg_add(&wg, n);
  for (int i = 0; i < n; i++)
    goro_go(bcast_waiter, NULL);
  for (int r = 1; r <= 5; r++) {
    wait_queued(&cv, (uint32_t)n);
    goro_mutex_lock(&mu);
    round_no = r;
    woke_in_round = 0;
    goro_cond_broadcast(&cv);
    goro_mutex_unlock(&mu);
    for (;;) {
      goro_mutex_lock(&mu);
      int w = woke_in_round;
      goro_mutex_unlock(&mu);
      if (w == n)
        break;
      goro_yield();
    }
  }
  goro_wg_wait(&wg);
}

/* ---- threads ---------------------------------------------------------------- */

static int flag;

static void *thread_waits(void *arg) {
  goro_mutex_lock(&mu);
  while (!flag)
    goro_cond_wait(&cv, &mu);
  flag = 2;
  goro_cond_broadcast(&cv);
  goro_mutex_unlock(&mu);
  return NULL;
}

static void goroutine_signals(void *arg) {
  goro_mutex_lock(&mu);
  flag = 1;
  goro_cond_signal(&cv);
  while (flag != 2)
    goro_cond_wait(&cv, &mu); /* the thread signals back */
  goro_mutex_unlock(&mu);
  goro_wg_done(&wg);
}

static void test_threads(void) {
  flag = 0;
  pthread_t th;
  CHECK(pthread_create(&th, NULL, thread_waits, NULL) == 0);
  wait_queued(&cv, 1);
  goro_wg_add(&wg, 1);
  goro_go(goroutine_signals, NULL);
  goro_wg_wait(&wg);
  pthread_join(th, NULL);
  CHECK_EQ(flag, 2);
}

/* ---- timed wait ------------------------------------------------------------- */

static int timed_result;
static void timed_waiter(void *arg) {
  goro_mutex_lock(&mu);
  timed_result = goro_cond_wait_until(&cv, &mu, (int64_t)(intptr_t)arg);
  CHECK_EQ(goro_mutex_trylock(&mu), 0); /* held again */
  goro_mutex_unlock(&mu);
  goro_wg_done(&wg);
}

static void test_timed(void) {
  /* Times out, not early, with the mutex held again. */
  goro_mutex_lock(&mu);
  int64_t t0 = goro_now();
  CHECK_EQ(goro_cond_wait_until(&cv, &mu, t0 + 3000000), -ETIMEDOUT);
  CHECK(goro_now() >= t0 + 3000000);
  CHECK_EQ(goro_mutex_trylock(&mu), 0);
  /* A deadline already past. */
  CHECK_EQ(goro_cond_wait_until(&cv, &mu, t0), -ETIMEDOUT);
  goro_mutex_unlock(&mu);
  CHECK_EQ(queued(&cv), 0);

  /* Signalled before the deadline: 0. */
  goro_wg_add(&wg, 1);
  goro_go(timed_waiter, (void *)(intptr_t)(goro_now() + 60000000000LL));
  wait_queued(&cv, 1);
  goro_mutex_lock(&mu);
  goro_cond_signal(&cv);
  goro_mutex_unlock(&mu);
  goro_wg_wait(&wg);
  CHECK_EQ(timed_result, 0);

  /* A waiter that timed out does not take the next signal: the untimed
   * waiter queued behind it gets it. */
  running = awake = 0;
  timed_result = 1;
  goro_wg_add(&wg, 2);
  goro_go(timed_waiter, (void *)(intptr_t)(goro_now() + 2000000));
  for (;;) { /* queued first (or already timed out: then it is alone) */
    goro_mutex_lock(&mu);
    int t = timed_result;
    goro_mutex_unlock(&mu);
    if (queued(&cv) == 1 || t != 1)
      break;
    goro_yield();
  }
  goro_go(signal_waiter, NULL);
  for (;;) { /* running == 1 under mu: signal_waiter is queued */
    goro_mutex_lock(&mu);
    int r = running, t = timed_result;
    goro_mutex_unlock(&mu);
    if (r == 1 && t != 1)
      break; /* and the timed one has left */
    goro_yield();
  }
  CHECK_EQ(queued(&cv), 1);
  goro_mutex_lock(&mu);
  goro_cond_signal(&cv);
  goro_mutex_unlock(&mu);
  goro_wg_wait(&wg);
  CHECK_EQ(timed_result, -ETIMEDOUT);
  CHECK_EQ(awake, 1);
}

int main(void) {
  test_signal(1);
  test_signal(10);
  test_generations();
  test_broadcast(1);
  test_broadcast(50);
  test_threads();
  test_timed();
  return 0;
}
