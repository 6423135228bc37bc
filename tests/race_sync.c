/*
 * race_sync.c: the race-detection contract for sync: Mutex, RWMutex,
 * WaitGroup, Cond and Once.
 *
 * Go's race detector tests (runtime/race/testdata/mutex_test.go,
 * rwmutex_test.go, waitgroup_test.go and the Cond cases of sync_test.go,
 * Go 1.19), ported in the same order, then Once (which Go's file does not
 * cover). See race_chan.c for the porting rules and race_harness.h for how
 * each case is run and judged. Cases left out, and why:
 *  - TestNoRaceWaitGroupPanicRecover{,2}: a negative counter is fatal in
 *    goro (exit 2), not a panic a deferred call recovers from.
 *  - TestRaceWaitGroupWrongAdd, TestRaceWaitGroupReuse: what races there
 *    is the WaitGroup itself (Go's race.Read/Write on wg.sema when an Add
 *    from zero meets a Wait), which needs memory-access hooks the runtime
 *    does not have; and they are decided by sleeps.
 */
#include "race_harness.h"

#define W(var, val) (*(volatile int *)&(var) = (val))
#define R(var) (*(volatile int *)&(var))

static int x, y, written, condition;
static goro_chan *ch, *done;
static goro_mutex mu = GORO_MUTEX_INIT, mu1 = GORO_MUTEX_INIT,
                  mu2 = GORO_MUTEX_INIT;
static goro_rwmutex rw = GORO_RWMUTEX_INIT;
static goro_wg wg = GORO_WG_INIT;
static goro_cond cond = GORO_COND_INIT;
static goro_once once = GORO_ONCE_INIT;

/* ======================================================================
 * mutex_test.go
 * ==================================================================== */

static void g_locked_x1(void *a) {
  goro_mutex_lock(&mu);
  W(x, 1);
  goro_mutex_unlock(&mu);
  sendi(ch, 1);
}
static void g_locked_x2(void *a) {
  goro_mutex_lock(&mu);
  W(x, 2);
  goro_mutex_unlock(&mu);
  sendi(ch, 1);
}
static void NoRaceMutex(void) {
  ch = mkchan(2);
  spawn(g_locked_x1, 0);
  spawn(g_locked_x2, 0);
  recvi(ch);
  recvi(ch);
}

static void g_unlocked_x1(void *a) {
  W(x, 1);
  goro_mutex_lock(&mu);
  goro_mutex_unlock(&mu);
  sendi(ch, 1);
}
static void g_unlocked_x2(void *a) {
  W(x, 2);
  goro_mutex_lock(&mu);
  goro_mutex_unlock(&mu);
  sendi(ch, 1);
}
static void RaceMutex(void) {
  ch = mkchan(2);
  spawn(g_unlocked_x1, 0);
  spawn(g_unlocked_x2, 0);
  recvi(ch);
  recvi(ch);
}

static void g_mu1_x1(void *a) {
  goro_mutex_lock(&mu1);
  W(x, 1);
  goro_mutex_unlock(&mu1);
  sendi(ch, 1);
}
static void g_mu2_x2(void *a) {
  goro_mutex_lock(&mu2);
  W(x, 2);
  goro_mutex_unlock(&mu2);
  sendi(ch, 1);
}
static void RaceMutex2(void) {
  ch = mkchan(2);
  spawn(g_mu1_x1, 0);
  spawn(g_mu2_x2, 0);
  recvi(ch);
  recvi(ch);
}

static void g_pure_writer(void *a) {
  W(x, 1);
  goro_mutex_lock(&mu);
  W(written, 1);
  goro_mutex_unlock(&mu);
  sendi(ch, 1);
}
static void g_pure_reader(void *a) {
  goro_yield();
  goro_mutex_lock(&mu);
  while (!R(written)) {
    goro_mutex_unlock(&mu);
    goro_yield();
    goro_mutex_lock(&mu);
  }
  goro_mutex_unlock(&mu);
  W(x, 1);
  sendi(ch, 1);
}
static void NoRaceMutexPureHappensBefore(void) {
  ch = mkchan(2);
  spawn(g_pure_writer, 0);
  spawn(g_pure_reader, 0);
  recvi(ch);
  recvi(ch);
}

static void g_sem_unlock(void *a) {
  W(x, 1);
  goro_mutex_unlock(&mu);
  sendi(ch, 1);
}
static void NoRaceMutexSemaphore(void) {
  ch = mkchan(2);
  goro_mutex_lock(&mu);
  spawn(g_sem_unlock, 0);
  spawn(g_locked_x2, 0);
  recvi(ch);
  recvi(ch);
}

static void g_html(void *a) {
  W(x, 1); /* a = "hello, world" */
  goro_mutex_unlock(&mu);
}
static void NoRaceMutexExampleFromHtml(void) {
  goro_mutex_lock(&mu);
  spawn(g_html, 0);
  goro_mutex_lock(&mu);
  (void)R(x);
}

static void g_overwrite(void *a) {
  goro_mutex fresh = GORO_MUTEX_INIT;
  mu = fresh;
  sendi(ch, 1);
}
static void RaceMutexOverwrite(void) {
  ch = mkchan(1);
  spawn(g_overwrite, 0);
  goro_mutex_lock(&mu);
  recvi(ch);
}

/* ======================================================================
 * rwmutex_test.go
 * ==================================================================== */

static void g_rw_w2(void *a) {
  goro_rwmutex_lock(&rw);
  W(x, 2);
  goro_rwmutex_unlock(&rw);
  sendi(ch, 1);
}
static void RaceMutexRWMutex(void) {
  ch = mkchan(2);
  spawn(g_mu1_x1, 0);
  spawn(g_rw_w2, 0);
  recvi(ch);
  recvi(ch);
}

static void g_rw_read_to_y(void *a) {
  goro_rwmutex_rlock(&rw);
  W(y, R(x) + (int)(intptr_t)a);
  goro_rwmutex_runlock(&rw);
  sendi(ch, 1);
}
static void NoRaceRWMutex(void) {
  ch = mkchan(2);
  spawn(g_rw_w2, 0);
  spawn(g_rw_read_to_y, 0);
  recvi(ch);
  recvi(ch);
}

static void RaceRWMutexMultipleReaders(void) {
  ch = mkchan(4);
  spawn(g_rw_w2, 0);
  /* Three readers so that, whatever their order, two are on the same
   * side of the write lock and race on y. */
  spawn(g_rw_read_to_y, (void *)1);
  spawn(g_rw_read_to_y, (void *)2);
  spawn(g_rw_read_to_y, (void *)3);
  for (int i = 0; i < 4; i++)
    recvi(ch);
  (void)R(y);
}

static void g_rw_read(void *a) {
  goro_rwmutex_rlock(&rw);
  (void)R(x);
  goro_rwmutex_runlock(&rw);
  sendi(ch, 1);
}
static void NoRaceRWMutexMultipleReaders(void) {
  ch = mkchan(4);
  spawn(g_rw_w2, 0);
  spawn(g_rw_read, 0);
  spawn(g_rw_read, 0);
  spawn(g_rw_read, 0);
  for (int i = 0; i < 4; i++)
    recvi(ch);
}

static void NoRaceRWMutexTransitive(void) {
  ch = mkchan(2);
  spawn(g_rw_read, 0);
  spawn(g_rw_read, 0);
  goro_rwmutex_lock(&rw);
  W(x, 42);
  goro_rwmutex_unlock(&rw);
  recvi(ch);
  recvi(ch);
}

/* ======================================================================
 * waitgroup_test.go
 * ==================================================================== */

static void g_wg_x(void *a) {
  W(x, (int)(intptr_t)a);
  goro_wg_done(&wg);
}
static void NoRaceWaitGroup(void) {
  goro_wg_add(&wg, 1);
  spawn(g_wg_x, (void *)0);
  goro_wg_wait(&wg);
}
static void RaceWaitGroup(void) {
  for (int i = 0; i < 2; i++) {
    goro_wg_add(&wg, 1);
    spawn(g_wg_x, (void *)(intptr_t)i);
  }
  goro_wg_wait(&wg);
}
static void NoRaceWaitGroup2(void) {
  goro_wg_add(&wg, 1);
  spawn(g_wg_x, (void *)1);
  goro_wg_wait(&wg);
  W(x, 2);
}

/* Add(+1) and Add(-1) are no mutex. Go sleeps so that both Waits come
 * before either Add; here they meet at a barrier that orders nothing. */
static int waited;
static void g_wg_as_mutex(void *a) {
  goro_wg_wait(&wg);
  nohb_add(&waited);
  nohb_wait(&waited, 2);
  goro_wg_add(&wg, +1);
  W(x, (int)(intptr_t)a);
  goro_wg_add(&wg, -1);
  sendi(ch, 1);
}
static void RaceWaitGroupAsMutex(void) {
  ch = mkchan(2);
  spawn(g_wg_as_mutex, (void *)1);
  spawn(g_wg_as_mutex, (void *)2);
  recvi(ch);
  recvi(ch);
}

/* Add is too late: Wait has already returned (Go relies on Gosched for
 * that; here a flag that orders nothing). Otherwise a Wait woken by one
 * Done could meet the other's Add, which is fatal misuse in goro as in
 * Go. */
static int main_waited;
static void g_wg_wrong_wait(void *a) {
  nohb_wait(&main_waited, 1);
  goro_wg_add(&wg, 1);
  goro_yield();
  W(x, (int)(intptr_t)a);
  goro_wg_done(&wg);
  sendi(ch, 1);
}
static void RaceWaitGroupWrongWait(void) {
  ch = mkchan(2);
  spawn(g_wg_wrong_wait, (void *)1);
  spawn(g_wg_wrong_wait, (void *)2);
  goro_wg_wait(&wg);
  nohb_set(&main_waited, 1);
  recvi(ch);
  recvi(ch);
}

static void g_wg_wait_send(void *a) {
  goro_wg_wait(&wg);
  sendi(ch, 1);
}
static void NoRaceWaitGroupMultipleWait(void) {
  ch = mkchan(2);
  spawn(g_wg_wait_send, 0);
  spawn(g_wg_wait_send, 0);
  goro_wg_wait(&wg);
  recvi(ch);
  recvi(ch);
}

static void g_wg_done_wait_send(void *a) {
  goro_wg_done(&wg);
  goro_wg_wait(&wg);
  sendi(ch, 1);
}
static void NoRaceWaitGroupMultipleWait2(void) {
  ch = mkchan(2);
  goro_wg_add(&wg, 2);
  spawn(g_wg_done_wait_send, 0);
  spawn(g_wg_done_wait_send, 0);
  goro_wg_wait(&wg);
  recvi(ch);
  recvi(ch);
}

enum { P = 3 };
static int data[P];
static void g_wg_data(void *a) {
  W(data[(intptr_t)a], 42);
  goro_wg_done(&wg);
}
static void g_wg_read_all(void *a) {
  goro_wg_wait(&wg);
  for (int p = 0; p < P; p++)
    (void)R(data[p]);
  sendi(ch, 1);
}
static void NoRaceWaitGroupMultipleWait3(void) {
  ch = mkchan(P);
  goro_wg_add(&wg, P);
  for (int p = 0; p < P; p++)
    spawn(g_wg_data, (void *)(intptr_t)p);
  for (int p = 0; p < P; p++)
    spawn(g_wg_read_all, 0);
  for (int p = 0; p < P; p++)
    recvi(ch);
}

/* Correct usage but still a race. */
static void RaceWaitGroup2(void) {
  goro_wg_add(&wg, 2);
  spawn(g_wg_x, (void *)1);
  spawn(g_wg_x, (void *)2);
  goro_wg_wait(&wg);
}

static void g_wg_y(void *a) {
  goro_yield();
  W(y, 42);
  goro_wg_done(&wg);
}
static void NoRaceWaitGroupTransitive(void) {
  goro_wg_add(&wg, 2);
  spawn(g_wg_x, (void *)42);
  spawn(g_wg_y, 0);
  goro_wg_wait(&wg);
  (void)R(x);
  (void)R(y);
}

static void g_wg_inc(void *a) {
  int p = (int)(intptr_t)a;
  W(data[p], R(data[p]) + 1);
  goro_wg_done(&wg);
}
static void NoRaceWaitGroupReuse(void) {
  for (int try = 0; try < 3; try++) {
    goro_wg_add(&wg, P);
    for (int p = 0; p < P; p++)
      spawn(g_wg_inc, (void *)(intptr_t)p);
    goro_wg_wait(&wg);
    for (int p = 0; p < P; p++)
      W(data[p], R(data[p]) + 1);
  }
}

static void g_wg_wait_inc(void *a) {
  goro_wg_wait(&wg);
  for (int p = 0; p < P; p++)
    W(data[p], R(data[p]) + 1);
  sendi(done, 1);
}
static void NoRaceWaitGroupReuse2(void) {
  done = mkchan(0);
  for (int try = 0; try < 3; try++) {
    goro_wg_add(&wg, P);
    for (int p = 0; p < P; p++)
      spawn(g_wg_inc, (void *)(intptr_t)p);
    spawn(g_wg_wait_inc, 0);
    goro_wg_wait(&wg);
    recvi(done);
    for (int p = 0; p < P; p++)
      W(data[p], R(data[p]) + 1);
  }
}

static void g_wg_concurrent_add(void *a) {
  goro_wg_add(&wg, 1);
  sendi(ch, 1);
  goro_wg_done(&wg);
}
static void NoRaceWaitGroupConcurrentAdd(void) {
  ch = mkchan(4);
  for (int p = 0; p < 4; p++)
    spawn(g_wg_concurrent_add, 0);
  for (int p = 0; p < 4; p++)
    recvi(ch);
  goro_wg_wait(&wg);
}

/* ======================================================================
 * sync_test.go: Cond
 * ==================================================================== */

static void g_cond_signal(void *a) {
  W(x, 1);
  goro_mutex_lock(&mu);
  W(condition, 1);
  goro_cond_signal(&cond);
  goro_mutex_unlock(&mu);
}
static void NoRaceCond(void) {
  spawn(g_cond_signal, 0);
  goro_mutex_lock(&mu);
  while (R(condition) != 1)
    goro_cond_wait(&cond, &mu);
  goro_mutex_unlock(&mu);
  W(x, 2);
}

/* Go sleeps twice: so that main enters cond.Wait's loop, and so that it
 * has left the loop (and unlocked) before x = 3; the second wait is a flag
 * that orders nothing, so the verdict does not depend on the schedule. */
static int left_loop;
static void g_race_cond(void *a) {
  goro_yield();
  W(x, 1);
  goro_mutex_lock(&mu);
  W(condition, 1);
  goro_cond_signal(&cond);
  goro_mutex_unlock(&mu);
  nohb_wait(&left_loop, 1);
  goro_mutex_lock(&mu);
  W(x, 3);
  goro_mutex_unlock(&mu);
  sendi(done, 1);
}
static void RaceCond(void) {
  done = mkchan(0);
  spawn(g_race_cond, 0);
  goro_mutex_lock(&mu);
  while (R(condition) != 1)
    goro_cond_wait(&cond, &mu);
  goro_mutex_unlock(&mu);
  nohb_set(&left_loop, 1);
  W(x, 2);
  recvi(done);
}

/* ======================================================================
 * Once (goro's own): fn happens before every Do returns.
 * ==================================================================== */

static void once_fn(void *a) { W(x, 1); }
static void g_once(void *a) {
  goro_once_do(&once, once_fn, NULL);
  (void)R(x);
  sendi(ch, 1);
}
static void NoRaceOnce(void) {
  ch = mkchan(3);
  for (int i = 0; i < 3; i++)
    spawn(g_once, 0);
  goro_once_do(&once, once_fn, NULL);
  W(y, R(x));
  for (int i = 0; i < 3; i++)
    recvi(ch);
}

/* Only fn's effects are ordered: a Do that finds fn done orders nothing
 * back to anyone. main runs fn, then lets g go; g writes y and calls Do on
 * the fast path; main calls Do again and writes y. Nothing orders the two
 * writes in any schedule (if the fast path released, main's second Do could
 * acquire g's write when g ran first, and the race would hide). A caller
 * that waits on the slow path for the winner is ordered after it by the
 * mutex, as in Go, so the test keeps g off the slow path. */
static void g_once_write(void *a) {
  recvi(done);
  W(y, 1);
  goro_once_do(&once, once_fn, NULL);
  sendi(ch, 1);
}
static void RaceOnceCaller(void) {
  ch = mkchan(1);
  done = mkchan(1);
  spawn(g_once_write, 0);
  goro_once_do(&once, once_fn, NULL);
  sendi(done, 1);
  goro_once_do(&once, once_fn, NULL);
  W(y, 2);
  recvi(ch);
}

static const race_case cases[] = {
    /* mutex_test.go */
    {"NoRaceMutex", CLEAN, NoRaceMutex},
    {"RaceMutex", RACY, RaceMutex},
    {"RaceMutex2", RACY, RaceMutex2},
    {"NoRaceMutexPureHappensBefore", CLEAN, NoRaceMutexPureHappensBefore},
    {"NoRaceMutexSemaphore", CLEAN, NoRaceMutexSemaphore},
    {"NoRaceMutexExampleFromHtml", CLEAN, NoRaceMutexExampleFromHtml},
    {"RaceMutexOverwrite", RACY, RaceMutexOverwrite},
    /* rwmutex_test.go */
    {"RaceMutexRWMutex", RACY, RaceMutexRWMutex},
    {"NoRaceRWMutex", CLEAN, NoRaceRWMutex},
    {"RaceRWMutexMultipleReaders", RACY, RaceRWMutexMultipleReaders},
    {"NoRaceRWMutexMultipleReaders", CLEAN, NoRaceRWMutexMultipleReaders},
    {"NoRaceRWMutexTransitive", CLEAN, NoRaceRWMutexTransitive},
    /* waitgroup_test.go */
    {"NoRaceWaitGroup", CLEAN, NoRaceWaitGroup},
    {"RaceWaitGroup", RACY, RaceWaitGroup},
    {"NoRaceWaitGroup2", CLEAN, NoRaceWaitGroup2},
    {"RaceWaitGroupAsMutex", RACY, RaceWaitGroupAsMutex},
    {"RaceWaitGroupWrongWait", RACY, RaceWaitGroupWrongWait},
    {"NoRaceWaitGroupMultipleWait", CLEAN, NoRaceWaitGroupMultipleWait},
    {"NoRaceWaitGroupMultipleWait2", CLEAN, NoRaceWaitGroupMultipleWait2},
    {"NoRaceWaitGroupMultipleWait3", CLEAN, NoRaceWaitGroupMultipleWait3},
    {"RaceWaitGroup2", RACY, RaceWaitGroup2},
    {"NoRaceWaitGroupTransitive", CLEAN, NoRaceWaitGroupTransitive},
    {"NoRaceWaitGroupReuse", CLEAN, NoRaceWaitGroupReuse},
    {"NoRaceWaitGroupReuse2", CLEAN, NoRaceWaitGroupReuse2},
    {"NoRaceWaitGroupConcurrentAdd", CLEAN, NoRaceWaitGroupConcurrentAdd},
    /* sync_test.go */
    {"NoRaceCond", CLEAN, NoRaceCond},
    {"RaceCond", RACY, RaceCond},
    /* Once */
    {"NoRaceOnce", CLEAN, NoRaceOnce},
    {"RaceOnceCaller", RACY, RaceOnceCaller},
};

int main(int argc, char **argv) {
  return race_run(argc, argv, cases, sizeof(cases) / sizeof(cases[0]),
                  "race_sync");
}
