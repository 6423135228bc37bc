/* sync_sema.c: golang.org/x/sync/semaphore.Weighted (its semaphore_test.go,
 * ported).
 *  - TestWeighted: goroutines and threads acquire random weights and check
 *    that the amount held never exceeds the size;
 *  - FIFO: a large request at the head of the queue holds back a small one
 *    that would fit (TestLargeAcquireDoesntStarve), and waiters are served
 *    in arrival order;
 *  - a canceled or timed-out Acquire leaves the queue and lets the ones
 *    behind it through (TestWeightedAcquireCanceled), and holds nothing;
 *    an Acquire larger than the size waits for its context only;
 *  - TryAcquire; argument errors. */
#include <goro.h>

#include <pthread.h>

#include "../src/sched/park.h"
#include "check.h"

static goro_wg wg = GORO_WG_INIT;

/* ---- hammer --------------------------------------------------------------- */

#define SIZE 10
static goro_sema hs = GORO_SEMA_INIT(SIZE);
static int64_t held;

static void take(int64_t n) {
  CHECK_EQ(goro_sema_acquire(&hs, n), 0);
  int64_t h = __atomic_add_fetch(&held, n, __ATOMIC_SEQ_CST);
  CHECK(h <= SIZE);
  goro_yield();
  __atomic_add_fetch(&held, -n, __ATOMIC_SEQ_CST);
  goro_sema_release(&hs, n);
}

static void hammer(void *arg) {
  uint64_t r = (uint64_t)(intptr_t)arg * 0x9E3779B97F4A7C15ULL + 1;
  for (int i = 0; i < 2000; i++) {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    take((int64_t)(r % SIZE) + 1);
  }
  goro_wg_done(&wg);
}

static void *hammer_thread(void *arg) {
  for (int i = 0; i < 500; i++)
    take(i % 3 + 1);
  return NULL;
}

static void test_hammer(void) {
  pthread_t th;
  CHECK(pthread_create(&th, NULL, hammer_thread, NULL) == 0);
  goro_wg_add(&wg, 8);
  for (int i = 0; i < 8; i++)
    goro_go(hammer, (void *)(intptr_t)i);
  goro_wg_wait(&wg);
  pthread_join(th, NULL);
  CHECK_EQ(held, 0);
  CHECK_EQ(goro_sema_tryacquire(&hs, SIZE), 1); /* all of it is back */
  goro_sema_release(&hs, SIZE);
}

/* ---- FIFO ------------------------------------------------------------------- */

static goro_sema fs = GORO_SEMA_INIT(3);
static int order[8], norder;
static goro_mutex omu = GORO_MUTEX_INIT;

typedef struct req {
  int id;
  int64_t n;
} req;

static void acquirer(void *arg) {
  req *r = arg;
  CHECK_EQ(goro_sema_acquire(&fs, r->n), 0);
  goro_mutex_lock(&omu);
  order[norder++] = r->id;
  goro_mutex_unlock(&omu);
  goro_sema_release(&fs, r->n);
  goro_wg_done(&wg);
}

/* White box: the number of queued waiters (semaphore.c: a list of
 * goro__waiter; a racy read is enough to wait for it to grow). */
static int queued(goro_sema *s) {
  int n = 0;
  for (goro__waiter *w = __atomic_load_n((goro__waiter **)&s->_head,
                                         __ATOMIC_ACQUIRE);
       w; w = w->next)
    n++;
  return n;
}

static void test_fifo(void) {
  /* Hold 2 of 3. A request for 3 queues; then a request for 1, which
   * would fit, must wait behind it. */
  CHECK_EQ(goro_sema_acquire(&fs, 2), 0);
  static req big = {1, 3}, small = {2, 1}, mid = {3, 2};
  goro_wg_add(&wg, 3);
  goro_go(acquirer, &big);
  while (queued(&fs) < 1)
    goro_yield();
  goro_go(acquirer, &small);
  goro_go(acquirer, &mid);
  while (queued(&fs) < 3)
    goro_yield();
  CHECK_EQ(goro_sema_tryacquire(&fs, 1), 0); /* fits, but waiters queue */
  goro_sleep(1000000);
  CHECK_EQ(norder, 0);
  goro_sema_release(&fs, 2);
  goro_wg_wait(&wg);
  CHECK_EQ(norder, 3);
  CHECK_EQ(order[0], 1);
  /* small and mid may finish in either order once both fit. */
  CHECK(order[1] == 2 || order[1] == 3);
}

/* ---- cancellation ------------------------------------------------------------ */

static goro_sema cs = GORO_SEMA_INIT(2);
static int cancel_result;

static void cancelable(void *arg) {
  cancel_result = goro_sema_acquire_ctx(&cs, arg, 2);
  goro_wg_done(&wg);
}

static int small_ok;
static void small_fn(void *arg) {
  small_ok = goro_sema_acquire(&cs, 1) == 0;
  goro_sema_release(&cs, 1);
  goro_wg_done(&wg);
}

static void test_cancel(void) {
  /* One of two held. A request for 2 queues, then a request for 1 (which
   * would fit) waits behind it. Canceling the first lets the second in. */
  CHECK_EQ(goro_sema_acquire(&cs, 1), 0);
  goro_ctx *ctx = goro_ctx_with_cancel(NULL);
  goro_wg_add(&wg, 2);
  goro_go(cancelable, ctx);
  while (queued(&cs) < 1)
    goro_yield();
  goro_go(small_fn, NULL);
  while (queued(&cs) < 2)
    goro_yield();
  goro_sleep(1000000);
  CHECK_EQ(small_ok, 0); /* behind the big one */
  goro_ctx_cancel(ctx);
  goro_wg_wait(&wg); /* the canceled one and the small one */
  CHECK_EQ(cancel_result, -ECANCELED);
  CHECK_EQ(small_ok, 1);
  CHECK_EQ(queued(&cs), 0);
  goro_sema_release(&cs, 1);
  CHECK_EQ(goro_sema_tryacquire(&cs, 2), 1); /* nothing leaked */
  goro_sema_release(&cs, 2);
  goro_ctx_release(ctx);

  /* A deadline. */
  CHECK_EQ(goro_sema_acquire(&cs, 2), 0);
  int64_t t0 = goro_now();
  goro_ctx *tctx = goro_ctx_with_timeout(NULL, 3000000);
  CHECK_EQ(goro_sema_acquire_ctx(&cs, tctx, 1), -ETIMEDOUT);
  CHECK(goro_now() >= t0 + 3000000);
  /* Already done: fails even though it would fit after a release. */
  goro_sema_release(&cs, 2);
  CHECK_EQ(goro_sema_acquire_ctx(&cs, tctx, 1), -ETIMEDOUT);
  goro_ctx_release(tctx);
  CHECK_EQ(goro_sema_tryacquire(&cs, 2), 1);
  goro_sema_release(&cs, 2);

  /* Larger than the size: waits for the context only. */
  goro_ctx *c2 = goro_ctx_with_timeout(NULL, 1000000);
  CHECK_EQ(goro_sema_acquire_ctx(&cs, c2, 3), -ETIMEDOUT);
  goro_ctx_release(c2);
  CHECK_EQ(goro_sema_acquire(&cs, 3), -EINVAL);
  CHECK_EQ(goro_sema_acquire(&cs, -1), -EINVAL);
  CHECK_EQ(goro_sema_acquire_ctx(&cs, NULL, -1), -EINVAL);
}

static void test_init(void) {
  goro_sema s;
  goro_sema_init(&s, 4);
  CHECK_EQ(goro_sema_tryacquire(&s, 4), 1);
  CHECK_EQ(goro_sema_tryacquire(&s, 1), 0);
  goro_sema_release(&s, 4);
  CHECK_EQ(goro_sema_tryacquire(&s, 0), 1);
  CHECK_EQ(goro_sema_tryacquire(&s, -1), 0);
  CHECK_EQ(goro_sema_acquire_ctx(&s, NULL, 2), 0); /* background ctx */
  goro_sema_release(&s, 2);
}

int main(void) {
  test_init();
  test_hammer();
  test_fifo();
  test_cancel();
  return 0;
}
