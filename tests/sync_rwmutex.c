/* sync_rwmutex.c: sync.RWMutex (Go's sync/rwmutex_test.go, ported).
 *  - TestParallelReaders: n readers hold the read lock at the same time
 *    (each takes it, then waits until all n have it);
 *  - HammerRWMutex: readers and writers, goroutines and threads, keep an
 *    activity count (reader +1, writer +10000) that proves a writer is
 *    alone and readers never overlap a writer;
 *  - a waiting writer holds back new readers: R1 reads, W waits, R2 must
 *    get the read lock only after W has had the write lock;
 *  - TryLock / TryRLock. */
#include <goro.h>

#include <pthread.h>

#include "check.h"

static goro_wg wg = GORO_WG_INIT;

/* ---- parallel readers ---------------------------------------------------- */

static goro_rwmutex prw = GORO_RWMUTEX_INIT;
static goro_wg all_in = GORO_WG_INIT;
static goro_wg release = GORO_WG_INIT;

static void reader_waits_for_all(void *arg) {
  goro_rwmutex_rlock(&prw);
  goro_wg_done(&all_in);
  goro_wg_wait(&release); /* every reader holds the lock here at once */
  goro_rwmutex_runlock(&prw);
  goro_wg_done(&wg);
}

static void test_parallel_readers(int n) {
  goro_wg_add(&all_in, n);
  goro_wg_add(&release, 1);
  goro_wg_add(&wg, n);
  for (int i = 0; i < n; i++)
    goro_go(reader_waits_for_all, NULL);
  goro_wg_wait(&all_in);
  CHECK_EQ(goro_rwmutex_trylock(&prw), 0); /* readers inside */
  goro_wg_done(&release);
  goro_wg_wait(&wg);
  CHECK_EQ(goro_rwmutex_trylock(&prw), 1);
  goro_rwmutex_unlock(&prw);
}

/* ---- hammer ---------------------------------------------------------------- */

static goro_rwmutex hrw = GORO_RWMUTEX_INIT;
static int32_t activity;

static void reader_step(int i) {
  goro_rwmutex_rlock(&hrw);
  int32_t n = __atomic_add_fetch(&activity, 1, __ATOMIC_SEQ_CST);
  CHECK(n >= 1 && n < 10000);
  if (i % 50 == 0)
    goro_yield();
  __atomic_add_fetch(&activity, -1, __ATOMIC_SEQ_CST);
  goro_rwmutex_runlock(&hrw);
}

static void writer_step(int i) {
  goro_rwmutex_lock(&hrw);
  int32_t n = __atomic_add_fetch(&activity, 10000, __ATOMIC_SEQ_CST);
  CHECK_EQ(n, 10000);
  if (i % 10 == 0)
    goro_yield();
  __atomic_add_fetch(&activity, -10000, __ATOMIC_SEQ_CST);
  goro_rwmutex_unlock(&hrw);
}

#define HAMMER 5000

static void reader(void *arg) {
  for (int i = 0; i < HAMMER; i++)
    reader_step(i);
  goro_wg_done(&wg);
}

static void writer(void *arg) {
  for (int i = 0; i < HAMMER / 10; i++)
    writer_step(i);
  goro_wg_done(&wg);
}

static void *thread_mix(void *arg) {
  for (int i = 0; i < HAMMER / 5; i++) {
    if (i % 7 == 0)
      writer_step(i);
    else
      reader_step(i);
  }
  return NULL;
}

static void test_hammer(void) {
  pthread_t th[2];
  goro_wg_add(&wg, 10);
  for (int i = 0; i < 8; i++)
    goro_go(reader, NULL);
  for (int i = 0; i < 2; i++)
    goro_go(writer, NULL);
  for (int i = 0; i < 2; i++)
    CHECK(pthread_create(&th[i], NULL, thread_mix, NULL) == 0);
  goro_wg_wait(&wg);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  CHECK_EQ(activity, 0);
}

/* ---- a waiting writer holds back new readers ----------------------------- */

static goro_rwmutex orw = GORO_RWMUTEX_INIT;
static int events[3], nevents;
static goro_mutex ev_mu = GORO_MUTEX_INIT;

static void event(int e) {
  goro_mutex_lock(&ev_mu);
  events[nevents++] = e;
  goro_mutex_unlock(&ev_mu);
}

static void w_fn(void *arg) {
  goro_rwmutex_lock(&orw); /* waits for R1 */
  event(1);
  goro_sleep(1000000); /* R2 stays blocked meanwhile */
  goro_rwmutex_unlock(&orw);
  goro_wg_done(&wg);
}

static void r2_fn(void *arg) {
  goro_rwmutex_rlock(&orw); /* a writer is pending: waits */
  event(2);
  goro_rwmutex_runlock(&orw);
  goro_wg_done(&wg);
}

static void test_writer_preference(void) {
  goro_rwmutex_rlock(&orw); /* R1: this thread */
  goro_wg_add(&wg, 2);
  goro_go(w_fn, NULL);
  /* Wait until the writer has announced itself: then TryRLock fails
   * although only readers hold the lock. */
  while (goro_rwmutex_tryrlock(&orw)) {
    goro_rwmutex_runlock(&orw);
    goro_sleep(100000);
  }
  goro_go(r2_fn, NULL);
  goro_sleep(2000000); /* give R2 every chance to get in wrongly */
  CHECK_EQ(nevents, 0);
  goro_rwmutex_runlock(&orw); /* R1 leaves: W, then R2 */
  goro_wg_wait(&wg);
  CHECK_EQ(nevents, 2);
  CHECK_EQ(events[0], 1);
  CHECK_EQ(events[1], 2);
}

/* ---- try ---------------------------------------------------------------- */

static void test_try(void) {
  goro_rwmutex m = GORO_RWMUTEX_INIT;
  CHECK_EQ(goro_rwmutex_tryrlock(&m), 1);
  CHECK_EQ(goro_rwmutex_tryrlock(&m), 1);
  CHECK_EQ(goro_rwmutex_trylock(&m), 0);
  goro_rwmutex_runlock(&m);
  goro_rwmutex_runlock(&m);
  CHECK_EQ(goro_rwmutex_trylock(&m), 1);
  CHECK_EQ(goro_rwmutex_tryrlock(&m), 0);
  CHECK_EQ(goro_rwmutex_trylock(&m), 0);
  goro_rwmutex_unlock(&m);
  goro_rwmutex_lock(&m);
  goro_rwmutex_unlock(&m);
  goro_rwmutex_rlock(&m);
  goro_rwmutex_runlock(&m);
}

int main(void) {
  test_try();
  test_parallel_readers(1);
  test_parallel_readers(3);
  test_parallel_readers(100);
  test_hammer();
  test_writer_preference();
  return 0;
}
