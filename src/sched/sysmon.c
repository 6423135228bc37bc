/*
 * sysmon.c: the monitor thread (Go's sysmon). It runs without a P and
 * watches the processors:
 *
 *  - A P whose M sits in a marked blocking call (P_SYSCALL, goro_blocking)
 *    for longer than RETAKE_NS is retaken and handed to another M, so the
 *    goroutines queued on it keep running (goro__retake_syscall).
 *  - A P whose running goroutine has not switched for HOG_NS (its schedtick
 *    stands still) has its queue moved to the global queue, where another
 *    M runs it: on an idle P, or on a bonus P beyond GORO_MAXPROCS when
 *    there is none, which retires as soon as the hog switches. goro cannot
 *    preempt a goroutine, but it never lets one starve the others. The
 *    first rescue of each hog is reported on stderr, naming it; while the
 *    hog lasts, what it queues is moved again every RESCUE_GAP_NS. A thread
 *    the OS left waiting for a CPU is not taken for a hog (hog_verdict).
 *  - When nobody has polled for I/O for POLL_NS, it polls (without
 *    blocking), so readiness is noticed while every P is busy.
 *  - Once a second it gives back the pages of idle pooled stacks, so RSS
 *    falls after a burst even while the runtime never goes idle.
 *
 * It sleeps 20 us between rounds while it finds something to do, backing
 * off to 10 ms, and sleeps on a futex, using no CPU, while every P is idle
 * (pidle_get wakes it). Its reads of other threads' P fields are racy on
 * purpose: a stale value only delays an action by one round, and every
 * action re-checks under a CAS or sched.lock.
 */
#define _GNU_SOURCE
#include "../netpoll/netpoll.h"
#include "../stack.h"
#include "sched.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#define RETAKE_NS (20 * 1000)
#define HOG_NS (10 * 1000 * 1000)
#define CHECK_NS (1000 * 1000)
#define RESCUE_GAP_NS (1000 * 1000)
#define POLL_NS (10 * 1000 * 1000)
#define SCAVENGE_NS (1000 * 1000 * 1000)
#define DELAY_MIN_NS (20 * 1000)
#define DELAY_MAX_NS (10 * 1000 * 1000)

#define sched goro__sched

typedef struct seen {
  uint32_t schedtick, syscalltick;
  int64_t tick_since, syscall_since;
  goro__g *curg; /* the goroutine running when the tick last moved */
  bool warned;
  bool hog;            /* the stall is the goroutine's, not the OS's */
  int64_t check_since; /* the thread's CPU time is being watched since */
  int64_t check_cpu;   /* its CPU time then */
  int64_t rescued_at;  /* the last rescue of this hog, 0: none yet */
} seen;

static int64_t last_report;

static seen seen_p[GORO__MAX_PROCS];

static void nap(int64_t ns) {
  struct timespec ts = {ns / 1000000000, ns % 1000000000};
  nanosleep(&ts, NULL);
}

typedef struct hog_ctx {
  goro__g *g;
  seen *s;
  int64_t now;
} hog_ctx;

static void report_hog(int moved, void *arg) {
  hog_ctx *c = arg;
  goro__g *g = c->g;
  if (c->s->warned || c->now - last_report < 1000 * 1000 * 1000)
    return; /* once per hog, and one report a second at most */
  c->s->warned = true;
  last_report = c->now;
  goro__printf("goro: goroutine %lld (created at %s:%d) has run for over "
               "%d ms without yielding; %d goroutines queued behind it moved "
               "to another thread\n",
               (long long)g->id, g->file ? g->file : "?", g->line,
               HOG_NS / 1000000, moved);
}

/* Whether the stall of s's P is its goroutine's doing. The tick stands
 * still as well when the OS has not run the M's thread: on a loaded
 * machine a runnable thread can wait over HOG_NS for a CPU, and moving
 * its queue then would only reorder goroutines that were about to run
 * (and report a hog that is none). So a thread that is runnable ('R') is
 * watched for CHECK_NS first: it is a hog if it got at least a quarter of
 * that in CPU time, else the HOG_NS wait starts over. A thread asleep in a
 * call the runtime does not know of (a plain read(), sleep()) is a hog at
 * once, and so is one the kernel cannot tell us about. Returns 1 for a
 * hog, 0 to wait (the monitor keeps its short nap meanwhile), -1 when the
 * OS was to blame. */
static int hog_verdict(goro__m *m, seen *s, int64_t now) {
  if (s->hog)
    return 1;
  int64_t cpu = 0;
  if (s->check_since && now - s->check_since < CHECK_NS)
    return 0;
  char st = goro__thread_sample(load_relaxed(&m->tid), &cpu);
  if (st == 'R' && !s->check_since) {
    s->check_since = now;
    s->check_cpu = cpu;
    return 0;
  }
  if (st == 'R' && (cpu - s->check_cpu) * 4 < now - s->check_since) {
    s->check_since = 0;
    s->tick_since = now;
    return -1;
  }
  s->hog = true;
  return 1;
}

/* One round over the Ps; returns how many actions it took (a hog under
 * watch counts as one). */
static int watch_ps(int64_t now) {
  int acted = 0;
  for (int i = 0; i < GORO__MAX_PROCS; i++) {
    goro__p *p = load_acq(&sched.allp[i]);
    if (!p)
      break;
    seen *s = &seen_p[i];
    uint32_t st = load_relaxed(&p->status);
    if (st == P_SYSCALL) {
      uint32_t t = load_relaxed(&p->syscalltick);
      if (t != s->syscalltick || s->syscall_since == 0) {
        s->syscalltick = t;
        s->syscall_since = now;
      } else if (now - s->syscall_since >= RETAKE_NS &&
                 goro__retake_syscall(p)) {
        s->syscall_since = 0;
        acted++;
      }
    } else if (st == P_BUSY) {
      uint32_t t = load_relaxed(&p->schedtick);
      goro__m *m = load_relaxed(&p->m);
      goro__g *g = m ? load_relaxed(&m->curg) : NULL;
      if (t != s->schedtick || s->tick_since == 0 || g != s->curg || !g) {
        if (s->hog)
          goro__solo_retry(); /* the rescue turned solo off */
        s->schedtick = t;
        s->tick_since = now;
        s->curg = g;
        s->warned = false;
        s->hog = false;
        s->check_since = 0;
        s->rescued_at = 0;
      } else if (now - s->tick_since >= HOG_NS &&
                 goro__hog_has_victims(p)) {
        /* One goroutine has held p for HOG_NS without switching, and
         * others wait for it. */
        int v = hog_verdict(m, s, now);
        if (v > 0 && s->rescued_at && now - s->rescued_at < RESCUE_GAP_NS) {
          /* Rescued already: what the hog queues since is moved at most
           * every RESCUE_GAP_NS. Every round (20 us) was too often: a
           * bonus P that had run out of work retired and was started
           * again, a thread woken each time (ParkedGoroutines 1M at P=1:
           * 10,242 rescues and 1,623 bonus Ps a run). */
          acted++;
        } else if (v > 0) {
          hog_ctx c = {g, s, now};
          s->rescued_at = now;
          if (goro__rescue_hog(p, t, report_hog, &c) > 0)
            acted++;
        } else if (v == 0) {
          acted++;
        }
      }
    }
  }
  return acted;
}

static void *sysmon_main(void *arg) {
  (void)arg;
  int64_t delay = DELAY_MIN_NS, last_scavenge = goro__nanotime();
  int idle_rounds = 0;
  for (;;) {
    nap(delay);
    int64_t now = goro__nanotime();
    store_relaxed(&sched.sysmon_now, now);

    /* Nothing runs: sleep until a P turns busy (pidle_get wakes us). */
    goro__lock_acquire(&sched.lock);
    if (sched.nbusy == 0) {
      sched.sysmon_sleeping = 1;
      store_relaxed(&sched.sysmon_note, 0);
      goro__lock_release(&sched.lock);
      if (goro__stack_dirty_count() > 256)
        goro__stack_scavenge(256);
      store_relaxed(&sched.sysmon_now, 0); /* stale from now: see sched.h */
      /* Acquire pairs with the release store in pidle_get. */
      while (load_acq(&sched.sysmon_note) == 0)
        goro__futex_wait(&sched.sysmon_note, 0, -1);
      store_relaxed(&sched.sysmon_now, goro__nanotime());
      delay = DELAY_MIN_NS;
      idle_rounds = 0;
      continue;
    }
    goro__lock_release(&sched.lock);

    int acted = watch_ps(now);

    const goro__poller *np = load_acq(&goro__netpoll_active);
    if (np && load_relaxed(&goro__netpoll_waiters) > 0 &&
        now - load_relaxed(&sched.lastpoll) > POLL_NS) {
      store_relaxed(&sched.lastpoll, now);
      if (np->poll(0) > 0)
        acted++;
    }

    if (now - last_scavenge >= SCAVENGE_NS) {
      last_scavenge = now;
      goro__stack_scavenge_idle();
    }

    if (acted) {
      delay = DELAY_MIN_NS;
      idle_rounds = 0;
    } else if (++idle_rounds > 50 && delay < DELAY_MAX_NS) {
      delay *= 2;
      if (delay > DELAY_MAX_NS)
        delay = DELAY_MAX_NS;
    }
  }
  return NULL;
}

/* sched.lock held (called from newm with the first worker). */
void goro__sysmon_start(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  pthread_t th;
  /* Counted with the workers: the deadlock check compares the process's
   * threads with the runtime's own. */
  sched.nm++;
  goro__san_sync_ignore_begin();
  int rc = pthread_create(&th, &attr, sysmon_main, NULL);
  goro__san_sync_ignore_end();
  if (rc != 0) {
    sched.nm--;
    goro__printf("goro: cannot start the monitor thread; blocking calls and "
                 "hogs will not be handed off\n");
  }
  pthread_attr_destroy(&attr);
}
