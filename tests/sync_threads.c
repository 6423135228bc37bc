/* sync_threads.c: every sync, timer and context call from plain threads
 * (no goroutine involved, or threads and goroutines mixed), as the API
 * promises.
 *  - a Mutex handed back and forth between threads, with waiting;
 *  - an RWMutex: reader threads in parallel, a writer thread waiting;
 *  - a Cond between a thread and a goroutine, and a timed wait in a thread;
 *  - Once from threads only;
 *  - a weighted semaphore acquire with a timeout in a thread: the thread
 *    counts as blocked, yet no deadlock is reported while its deadline is
 *    pending (the deadline is a runtime timer);
 *  - goro_sleep, goro_after and a ticker from a thread;
 *  - a context canceled by a thread wakes a thread. */
#include <goro.h>

#include <pthread.h>

#include "check.h"

#define T 4

static goro_mutex mu = GORO_MUTEX_INIT;
static long counter;

static void *mutex_worker(void *arg) {
  for (int i = 0; i < 20000; i++) {
    goro_mutex_lock(&mu);
    counter++;
    goro_mutex_unlock(&mu);
  }
  return NULL;
}

static goro_rwmutex rw = GORO_RWMUTEX_INIT;
static int readers_in, max_readers;

static void *reader(void *arg) {
  for (int i = 0; i < 200; i++) {
    goro_rwmutex_rlock(&rw);
    int n = __atomic_add_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
    int m = __atomic_load_n(&max_readers, __ATOMIC_RELAXED);
    while (n > m && !__atomic_compare_exchange_n(&max_readers, &m, n, 0,
                                                  __ATOMIC_SEQ_CST,
                                                  __ATOMIC_SEQ_CST))
      ;
    goro_sleep(10000);
    __atomic_add_fetch(&readers_in, -1, __ATOMIC_SEQ_CST);
    goro_rwmutex_runlock(&rw);
  }
  return NULL;
}

static void *writer(void *arg) {
  for (int i = 0; i < 50; i++) {
    goro_rwmutex_lock(&rw);
    CHECK_EQ(__atomic_load_n(&readers_in, __ATOMIC_SEQ_CST), 0);
    goro_rwmutex_unlock(&rw);
    goro_sleep(20000);
  }
  return NULL;
}

static goro_once once = GORO_ONCE_INIT;
static int once_calls;
static void once_fn(void *arg) {
  goro_sleep(2000000);
  __atomic_add_fetch(&once_calls, 1, __ATOMIC_SEQ_CST);
}
static void *once_caller(void *arg) {
  goro_once_do(&once, once_fn, NULL);
  CHECK_EQ(once_calls, 1);
  return NULL;
}

static goro_cond cv = GORO_COND_INIT;
static int ready;
static goro_wg wg = GORO_WG_INIT;

static void cond_goroutine(void *arg) {
  goro_mutex_lock(&mu);
  while (!ready)
    goro_cond_wait(&cv, &mu);
  ready = 2;
  goro_cond_signal(&cv);
  goro_mutex_unlock(&mu);
  goro_wg_done(&wg);
}

static void run_threads(void *(*fn)(void *), int n) {
  pthread_t th[8];
  for (int i = 0; i < n; i++)
    CHECK(pthread_create(&th[i], NULL, fn, NULL) == 0);
  for (int i = 0; i < n; i++)
    pthread_join(th[i], NULL);
}

static void *all_timers(void *arg) {
  int64_t t0 = goro_now();
  goro_sleep(1000000);
  CHECK(goro_now() >= t0 + 1000000);
  goro_chan *c = goro_after(1000000);
  int64_t v;
  CHECK_EQ(goro_chan_recv(c, &v), 1);
  goro_chan_release(c);
  t0 = goro_now();
  goro_ticker *tk = goro_ticker_new(500000);
  for (int k = 1; k <= 3; k++) {
    CHECK_EQ(goro_chan_recv(goro_ticker_chan(tk), &v), 1);
    CHECK(v >= t0 + k * 500000);
  }
  goro_ticker_free(tk);
  goro_timer *t = goro_timer_new(50000000);
  CHECK_EQ(goro_timer_stop(t), 1);
  goro_timer_free(t);
  return NULL;
}

static goro_ctx *ctx;
static void *ctx_waiter(void *arg) {
  CHECK_EQ(goro_ctx_wait(ctx), -ECANCELED);
  CHECK_EQ(goro_chan_recv(goro_ctx_done(ctx), NULL), 0);
  return NULL;
}
static void *ctx_canceler(void *arg) {
  goro_sleep(2000000);
  goro_ctx_cancel(ctx);
  return NULL;
}

int main(void) {
  run_threads(mutex_worker, T);
  CHECK_EQ(counter, 20000L * T);

  pthread_t w;
  CHECK(pthread_create(&w, NULL, writer, NULL) == 0);
  run_threads(reader, T);
  pthread_join(w, NULL);

  run_threads(once_caller, T);
  CHECK_EQ(once_calls, 1);

  /* Cond: this thread and a goroutine. */
  goro_wg_add(&wg, 1);
  goro_go(cond_goroutine, NULL);
  goro_mutex_lock(&mu);
  ready = 1;
  goro_cond_signal(&cv);
  while (ready != 2)
    goro_cond_wait(&cv, &mu);
  int64_t t0 = goro_now();
  CHECK_EQ(goro_cond_wait_until(&cv, &mu, t0 + 2000000), -ETIMEDOUT);
  CHECK(goro_now() >= t0 + 2000000);
  goro_mutex_unlock(&mu);
  goro_wg_wait(&wg);

  /* A semaphore timeout in a thread while nothing else runs: no false
   * deadlock report, since the deadline is a pending timer. */
  goro_sema s = GORO_SEMA_INIT(1);
  CHECK_EQ(goro_sema_acquire(&s, 1), 0);
  goro_ctx *tctx = goro_ctx_with_timeout(NULL, 20000000);
  CHECK_EQ(goro_sema_acquire_ctx(&s, tctx, 1), -ETIMEDOUT);
  goro_ctx_release(tctx);
  goro_sema_release(&s, 1);

  run_threads(all_timers, 2);

  ctx = goro_ctx_with_cancel(NULL);
  pthread_t a, b;
  CHECK(pthread_create(&a, NULL, ctx_waiter, NULL) == 0);
  CHECK(pthread_create(&b, NULL, ctx_canceler, NULL) == 0);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  goro_ctx_release(ctx);
  return 0;
}
