/* sync_fatal.c: the fatal paths of the sync and time work, each in a child
 * process; the test checks the exit status (2), Go's message, and the
 * goroutine dump.
 *  - Unlock of an unlocked Mutex, RUnlock / Unlock of an unlocked RWMutex,
 *    a negative WaitGroup counter, a WaitGroup reused before a Wait has
 *    returned, a weighted semaphore released more than held, freeing an
 *    error group whose goroutines still run;
 *  - the dump names each wait: a deadlock with goroutines blocked in every
 *    kind of sync wait, and a fatal error while another goroutine sleeps. */
#define _GNU_SOURCE
#include <goro.h>

#include "../src/sched/sched.h"
#include "check.h"

static goro_wg never = GORO_WG_INIT;

/* ---- misuse ---------------------------------------------------------------- */

static int mutex_unlock_unlocked(void) {
  goro_mutex m = GORO_MUTEX_INIT;
  goro_mutex_lock(&m);
  goro_mutex_unlock(&m);
  goro_mutex_unlock(&m);
  return 0;
}

static int rw_runlock_unlocked(void) {
  goro_rwmutex m = GORO_RWMUTEX_INIT;
  goro_rwmutex_rlock(&m);
  goro_rwmutex_runlock(&m);
  goro_rwmutex_runlock(&m);
  return 0;
}

static int rw_unlock_unlocked(void) {
  goro_rwmutex m = GORO_RWMUTEX_INIT;
  goro_rwmutex_unlock(&m);
  return 0;
}

static int rw_runlock_while_writing(void) {
  goro_rwmutex m = GORO_RWMUTEX_INIT;
  goro_rwmutex_lock(&m);
  goro_rwmutex_runlock(&m);
  return 0;
}

static int wg_negative(void) {
  goro_wg wg = GORO_WG_INIT;
  goro_wg_add(&wg, 2);
  goro_wg_add(&wg, -3);
  return 0;
}

/* Reuse before Wait returned: the waiter is woken (the counter reached
 * zero), but before it runs, the counter is raised again. With one
 * processor kept busy by a spinning goroutine, the woken waiter cannot run
 * until main has done its Add. Run with GORO_MAXPROCS=1. */
static goro_wg reuse = GORO_WG_INIT;
static int spin_started, spin_stop;

static void reuse_waiter(void *arg) { goro_wg_wait(&reuse); }

static void spinner(void *arg) {
  __atomic_store_n(&spin_started, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&spin_stop, __ATOMIC_SEQ_CST))
    ;
}

static int wg_reused(void) {
  goro_wg_add(&never, 1);
  goro_wg_add(&reuse, 1);
  goro_go(reuse_waiter, NULL);
  while ((uint32_t)__atomic_load_n(&reuse._state, __ATOMIC_SEQ_CST) != 1)
    goro_sleep(100000); /* until the waiter is counted */
  goro_go(spinner, NULL);
  while (!__atomic_load_n(&spin_started, __ATOMIC_SEQ_CST))
    goro_sleep(100000);
  goro_wg_done(&reuse);   /* releases the waiter; it cannot run yet */
  goro_wg_add(&reuse, 1); /* the next round starts too early */
  __atomic_store_n(&spin_stop, 1, __ATOMIC_SEQ_CST);
  goro_wg_wait(&never);
  return 0;
}

static int sema_over_release(void) {
  goro_sema s = GORO_SEMA_INIT(4);
  CHECK_EQ(goro_sema_acquire(&s, 3), 0);
  goro_sema_release(&s, 2);
  goro_sema_release(&s, 2);
  return 0;
}

static int slow_task(goro_ctx *ctx, void *arg) {
  goro_wg_wait(&never);
  return 0;
}

static int group_free_running(void) {
  goro_wg_add(&never, 1);
  goro_group *g = goro_group_new(NULL);
  CHECK(g != NULL);
  CHECK_EQ(goro_group_go(g, slow_task, NULL), 0);
  goro_group_free(g);
  return 0;
}

/* ---- dumps name the wait -------------------------------------------------- */

static goro_mutex mu = GORO_MUTEX_INIT, cmu = GORO_MUTEX_INIT;
static goro_rwmutex rw = GORO_RWMUTEX_INIT;
static goro_cond cv = GORO_COND_INIT;
static goro_once once = GORO_ONCE_INIT;
static goro_sema sem = GORO_SEMA_INIT(1);
static goro_ctx *ctx;

static void lock_mu(void *arg) { goro_mutex_lock(&mu); }
static void writer(void *arg) { goro_rwmutex_lock(&rw); }
static void reader(void *arg) { goro_rwmutex_rlock(&rw); }
static void cond_waiter(void *arg) {
  goro_mutex_lock(&cmu);
  goro_cond_wait(&cv, &cmu);
}
static void blocks_forever(void *arg) { goro_wg_wait(&never); }
static void once_first(void *arg) { goro_once_do(&once, blocks_forever, NULL); }
static void once_second(void *arg) { goro_once_do(&once, blocks_forever, NULL); }
static void sema_waiter(void *arg) { goro_sema_acquire(&sem, 1); }
static void ctx_waiter(void *arg) { goro_ctx_wait(ctx); }

static int deadlock_dump(void) {
  goro_wg_add(&never, 1);
  ctx = goro_ctx_with_cancel(NULL);
  goro_mutex_lock(&mu);
  goro_rwmutex_rlock(&rw);
  CHECK_EQ(goro_sema_acquire(&sem, 1), 0);
  goro_go(lock_mu, NULL);
  goro_go(writer, NULL);
  while (goro_rwmutex_tryrlock(&rw)) { /* until the writer is pending */
    goro_rwmutex_runlock(&rw);
    goro_sleep(100000);
  }
  goro_go(reader, NULL);
  goro_go(cond_waiter, NULL);
  goro_go(once_first, NULL);
  goro_sleep(1000000);
  goro_go(once_second, NULL);
  goro_go(sema_waiter, NULL);
  goro_go(ctx_waiter, NULL);
  goro_sleep(20000000); /* every goroutine blocks; no timer is left */
  goro_wg_wait(&never);
  return 0;
}

static void sleeper(void *arg) { goro_sleep(60000000000LL); }

/* White box: is some goroutine parked in "sleep"? */
static void find_sleeper(goro__g *g, void *found) {
  if (__atomic_load_n(&g->status, __ATOMIC_RELAXED) == G_WAITING &&
      g->wait_reason && !strcmp(g->wait_reason, "sleep"))
    *(int *)found = 1;
}

static int fatal_while_sleeping(void) {
  goro_go(sleeper, NULL);
  for (int found = 0; !found;) {
    goro_sleep(1000000);
    goro__g_each(find_sleeper, &found);
  }
  goro_mutex m = GORO_MUTEX_INIT;
  goro_mutex_unlock(&m);
  return 0;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*fn)(void);
  } scenarios[] = {
      {"mutex_unlock_unlocked", mutex_unlock_unlocked},
      {"rw_runlock_unlocked", rw_runlock_unlocked},
      {"rw_unlock_unlocked", rw_unlock_unlocked},
      {"rw_runlock_while_writing", rw_runlock_while_writing},
      {"wg_negative", wg_negative},
      {"wg_reused", wg_reused},
      {"sema_over_release", sema_over_release},
      {"group_free_running", group_free_running},
      {"deadlock_dump", deadlock_dump},
      {"fatal_while_sleeping", fatal_while_sleeping},
  };
  if (argc > 1) {
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
      if (!strcmp(argv[1], scenarios[i].name))
        return scenarios[i].fn();
    return 100;
  }
  static char out[1 << 16];
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  CHECK(n > 0);
  exe[n] = 0;

  CHECK_EQ(child(exe, "mutex_unlock_unlocked", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: unlock of unlocked mutex");

  CHECK_EQ(child(exe, "rw_runlock_unlocked", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: RUnlock of unlocked RWMutex");
  CHECK_EQ(child(exe, "rw_unlock_unlocked", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: Unlock of unlocked RWMutex");
  CHECK_EQ(child(exe, "rw_runlock_while_writing", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: RUnlock of unlocked RWMutex");

  CHECK_EQ(child(exe, "wg_negative", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: negative WaitGroup counter");
  const char *one[] = {"GORO_MAXPROCS=1", NULL};
  CHECK_EQ(child(exe, "wg_reused", one, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: WaitGroup is reused before "
                      "previous Wait has returned");

  CHECK_EQ(child(exe, "sema_over_release", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: semaphore: released more than held");
  CHECK_EQ(child(exe, "group_free_running", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: goro_group_free: goroutines of the "
                      "group are still running");

#ifndef SYNC_FATAL_NO_DEADLOCK
  CHECK_EQ(child(exe, "deadlock_dump", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: all goroutines are asleep - deadlock!");
  CHECK_CONTAINS(out, "[sync.Mutex.Lock");
  CHECK_CONTAINS(out, "[sync.RWMutex.Lock");
  CHECK_CONTAINS(out, "[sync.RWMutex.RLock");
  CHECK_CONTAINS(out, "[sync.Cond.Wait");
  CHECK_CONTAINS(out, "[sync.Once.Do");
  CHECK_CONTAINS(out, "[semaphore.Acquire");
  CHECK_CONTAINS(out, "[context.Done");
  CHECK_CONTAINS(out, "sync_fatal.c:");
#endif

  CHECK_EQ(child(exe, "fatal_while_sleeping", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: unlock of unlocked mutex");
  CHECK_CONTAINS(out, "[sleep");
  printf("sync_fatal: ok\n");
  return 0;
}
