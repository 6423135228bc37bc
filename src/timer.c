/*
 * timer.c: per-processor timer heaps, the firing protocol, and goro_sleep.
 *
 * ---------------------------------------------------------------------------
 * The problem
 * ---------------------------------------------------------------------------
 * 100,000 goroutines that sleep 10 ms in a loop add and fire 10 million
 * timers per second of wall time on a few cores. One global heap under one
 * lock serialises every processor on that lock and bounces its line between
 * cores; Go moved from one heap to per-P heaps (Go 1.14) for that reason,
 * and so does this file. The price is that nobody sees every timer at once,
 * so the rules for who fires what, and the bound the idle poll M sleeps to,
 * need care. They are below.
 *
 * ---------------------------------------------------------------------------
 * The heaps
 * ---------------------------------------------------------------------------
 * heaps[i] belongs to P i; heaps[SHARED] takes timers added by threads that
 * hold no P. A goroutine adds to its current P's heap. A timer stays in the
 * heap it was added to (even if its goroutine moves), and records it in
 * t->heap for deletion. tg.hi counts the P heaps ever used, so scans stop
 * there; heap_of() raises it before anything can be published in a heap.
 *
 * Each heap holds entries {when, v}, where v is a timer or, for a sleep, the
 * sleeping goroutine itself (E_SLEEP: no timer record, so firing a sleep
 * reads nothing from the sleeper's cold stack). Entries live in one of two
 * structures under the heap lock:
 *   - a 4-ary min-heap. `when` sits in the entry so sifting never touches
 *     the timers (they live on 100,000 different goroutine stacks: a sift
 *     that follows pointers misses the cache at every level). Only tracked
 *     timers (those that may be deleted: all but sleeps and fire-and-forget
 *     timers) get their index written back, and the entry's low bits say
 *     which. Entries start 3 slots into a cache-line aligned block, so the
 *     four children of a node share one line;
 *   - a FIFO lane: untracked entries that arrive in deadline order (sleeps
 *     of one duration, by far the common case) are appended to a ring, and
 *     the earliest entry is the smaller of the ring's head and the heap's
 *     root. Both operations are O(1) for them, where a heap of 50,000
 *     entries costs a sift through eight levels per firing.
 * heap->next is the earliest `when` of both (INT64_MAX if empty), stored
 * with a release under the heap lock and read without it by anyone.
 *
 * ---------------------------------------------------------------------------
 * gmin, the global bound
 * ---------------------------------------------------------------------------
 * GMIN is a lower bound of every heap's next (exact after a recompute).
 * It answers "does any timer exist" (checkdead) and lets a busy P notice
 * another P's overdue timers with one load. Invariant (G): gmin <=
 * heap->next for every heap, except while an adder that just lowered a
 * heap's next is on its way to lower gmin.
 *   - An add that lowers its heap's next then takes tg.lock and lowers gmin
 *     if needed, and only then pokes the poll M (goro__timer_added).
 *   - A recompute scans every heap's next without the lock; if that is not
 *     above gmin there is nothing to raise. Otherwise it takes tg.lock,
 *     scans again and stores the minimum. An add whose publication the
 *     locked scan missed takes tg.lock after the recompute releases it, so
 *     its lowering is not lost.
 * tg.lock is a leaf lock: nothing is taken while holding it. It may be
 * taken under a heap lock or under sched.lock (stopm computes its deadline
 * there).
 *
 * The idle M's deadline (the no-P branch of goro__timers_next, called by
 * stopm under sched.lock). If some P is idle, it is gmin, made exact under
 * tg.lock; the M becomes the poll M and (P) its deadline <= every timer's
 * when, or an add that broke it has lowered gmin and pokes it. If no P is
 * idle, the M could fire nothing when it wakes (no P for it), and would
 * only sleep again until the next timer: a busy loop of futex sleeps while
 * the busy Ps fire their own timers anyway. So it gets no deadline (Go's
 * rule too), and stopm does not make it the poll M; the M that next idles
 * a P becomes the poll M with an exact one. (A poll M whose P was taken
 * after it went to sleep keeps its exact deadline, and adds that break it
 * poke it.)
 *
 * ---------------------------------------------------------------------------
 * Who fires what
 * ---------------------------------------------------------------------------
 *  - At every switch (pick_next) a running goroutine's P asks, in
 *    goro__timers_pending and goro__timers_next, for min(own heap + slack,
 *    shared heap + slack, gmin + STEAL_GRACE_NS): four loads. Pending first
 *    compares that with the coarse clock (5 ns) and says no when nothing
 *    can be due within a tick, so a far-off timer costs a switch no precise
 *    clock read (44 ns in a VM). The slack (BUSY_SLACK_NS, Linux's default
 *    for user timers) lets due timers gather, so one trip to g0 fires
 *    dozens. If the answer has passed, the M goes to g0, which fires.
 *  - goro__timers_run(now) on g0 fires the due timers of its own heap, of
 *    the shared heap, of heaps whose P is idle or retired (nobody else
 *    will), and of other busy Ps' heaps when they are overdue by
 *    STEAL_GRACE_NS (that P is stuck in a goroutine that does not yield),
 *    or at once when this P has no local work (Go's stealWork). It fires
 *    at most RUN_BUDGET per call, then recomputes gmin.
 *  - goro__timers_next on g0 with a P answers exactly by the same rule
 *    (no slack), so that after goro__timers_run the answer is in the future
 *    and findrunnable does not loop.
 *  - Timers never fire inside pick_next: a parking goroutine still holds its
 *    object's lock there (a sleeper holds its heap's), and a timer function
 *    may need that lock. g0 fires them with no lock held.
 *
 * Firing (fire_heap). Under the heap lock, pop up to FIRE_BATCH due
 * entries, stopping after the first tracked timer: sleeps and untracked
 * timers are forgotten as they are popped; the tracked one becomes RUNNING
 * (timer.h has the state machine). Release the lock, then ready the
 * sleepers and call the functions in order. The tracked one is last, so
 * when its function runs nothing else of the batch is outstanding, and a
 * deletion of another timer from inside a function never waits for a timer
 * this same thread has yet to run.
 *
 * Memory ordering, in one place:
 *   heap->next   store-release under the heap lock  <-> load-acquire scans
 *   GMIN      store-release under tg.lock         <-> relaxed hot reads
 *                (a stale read only delays or hastens a check; the locked
 *                protocol above keeps (G) and (P))
 *   t->state     store-release by the firer after f  <-> load-acquire in
 *                del, which then may free t
 * ThreadSanitizer builds (the runtime is not instrumented, so it cannot see
 * the heap lock) get the same two edges explicitly: add releases on t and
 * the firer acquires before f; the firer releases after f and del
 * acquires before it returns (goro__hb_*, nothing in other builds).
 */
#define _GNU_SOURCE
#include "timer.h"

#include "../include/goro.h"
#include "netpoll/netpoll.h"
#include "sched/park.h"
#include "sched/sanitizer.h"
#include "sched/sched.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHARED GORO__MAX_PROCS
#define FIRE_BATCH 64
/* Timers one goro__timers_run fires at most. findrunnable calls it again
 * at once while timers are due, but each round goes through pick_next, so
 * the P's schedtick moves and sysmon does not take a long burst of firings
 * (100,000 sleepers due together) for a goroutine that never yields. */
#define RUN_BUDGET 1024
/* How late another busy P's timer may be before this P fires it for it. */
#define STEAL_GRACE_NS 250000
/* How late a busy P lets its own timers get before it leaves the goroutine
 * it is switching to for g0 to fire them: Linux's default timer slack for
 * user threads. When the first one is 50 us late, every timer due by then
 * fires in the same trip, so with 100,000 sleepers a trip fires dozens
 * instead of one or two (each trip is a switch to g0 and a findrunnable).
 * A sleep never ends early; an idle P fires exactly on time. */
#define BUSY_SLACK_NS 50000

enum {
  T_IDLE = 0,
  T_PENDING = 1,
  T_RUNNING = 2,
  T_NOREARM = 4, /* with RUNNING: deleted from inside its own f */
  T_STMASK = 7,
  T_SEQ1 = 8, /* one step of the sequence number above the state bits */
};

/* What an entry holds, in the low bits of tentry.v (timers are 8-byte
 * and goroutine records 64-byte aligned). */
enum {
  E_TIMER = 0,   /* an untracked timer (GORO__TIMER_NOSTOP) */
  E_TRACKED = 1, /* a tracked timer: its idx follows it around the heap */
  E_SLEEP = 2,   /* a sleeping goroutine: no timer record at all */
  E_KIND = 3,
};

typedef struct tentry {
  int64_t when;
  uintptr_t v; /* a timer or a goroutine, | E_* */
} tentry;

struct goro__theap {
  goro__lock lock;
  uint32_t n, cap; /* heap entries and room [lock] */
  tentry *e;       /* [lock] the 4-ary heap, e[0] the earliest */
  void *mem;       /* [lock] the block e points into */
  tentry *q;       /* [lock] the FIFO lane: a ring of qcap (a power of 2) */
  uint32_t qhead, qlen, qcap; /* [lock] */
  int64_t next; /* earliest when of both, or INT64_MAX [atomic; written
                   under lock] */
} GORO_ALIGNED_CL;

static goro__theap heaps[GORO__MAX_PROCS + 1] = {
    [0 ... GORO__MAX_PROCS] = {.next = INT64_MAX}};

/* [atomic] lower bound of every heap's next, see (G); INT64_MAX: no timer
 * exists. A global of its own so the scheduler's inline check
 * (goro__timers_pending, sched.h) is one load. */
int64_t goro__timers_gmin = INT64_MAX;
#define GMIN goro__timers_gmin

static struct {
  uint32_t hi;  /* [atomic] 1 + the highest P heap index ever used */
  goro__lock lock GORO_ALIGNED_CL; /* orders recomputes and lowerings */
} tg = {.lock = GORO__LOCK_INIT};

/* The tracked timer whose function this thread is running, if any. Only
 * g0 and plain threads read it, and they never change threads. */
static __thread goro__timer *tls_running;

static GORO_NOINLINE goro__timer *running_here(void) { return tls_running; }

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t sat_add(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* ======================================================================
 * The 4-ary heap (heap lock held)
 * ==================================================================== */

static inline goro__timer *ent_timer(uintptr_t v) {
  return (goro__timer *)(v & ~(uintptr_t)E_KIND);
}

static inline void put(goro__theap *h, uint32_t i, tentry x) {
  h->e[i] = x;
  if ((x.v & E_KIND) == E_TRACKED)
    ent_timer(x.v)->idx = (int32_t)i;
}

static void sift_up(goro__theap *h, uint32_t i, tentry x) {
  while (i > 0) {
    uint32_t parent = (i - 1) / 4;
    if (h->e[parent].when <= x.when)
      break;
    put(h, i, h->e[parent]);
    i = parent;
  }
  put(h, i, x);
}

static void sift_down(goro__theap *h, uint32_t i, tentry x) {
  uint32_t n = h->n;
  for (;;) {
    uint32_t c = 4 * i + 1;
    if (c >= n)
      break;
    uint32_t end = c + 4 < n ? c + 4 : n, best = c;
    int64_t bw = h->e[c].when;
    for (uint32_t k = c + 1; k < end; k++)
      if (h->e[k].when < bw) {
        best = k;
        bw = h->e[k].when;
      }
    if (bw >= x.when)
      break;
    put(h, i, h->e[best]);
    i = best;
  }
  put(h, i, x);
}

static int grow_heap(goro__theap *h) {
  if (h->cap >= (1u << 30))
    return -ENOMEM;
  uint32_t cap = h->cap ? h->cap * 2 : 64;
  /* (cap + 4) * 16 bytes is a multiple of the line, as aligned_alloc
   * wants; e starts 3 entries in, so children 4i+1..4i+4 share a line. */
  void *mem =
      goro__aligned_alloc(GORO_CACHELINE, ((size_t)cap + 4) * sizeof(tentry));
  if (!mem)
    return -ENOMEM;
  tentry *e = (tentry *)mem + 3;
  goro__san_ignore_begin(); /* TSan cannot see the heap lock */
  if (h->n)
    memcpy(e, h->e, h->n * sizeof(tentry));
  free(h->mem);
  goro__san_ignore_end();
  h->mem = mem;
  h->e = e;
  h->cap = cap;
  return 0;
}

static int grow_fifo(goro__theap *h) {
  if (h->qcap >= (1u << 30))
    return -ENOMEM;
  uint32_t cap = h->qcap ? h->qcap * 2 : 64;
  tentry *q = goro__malloc((size_t)cap * sizeof(tentry));
  if (!q)
    return -ENOMEM;
  for (uint32_t i = 0; i < h->qlen; i++)
    q[i] = h->q[(h->qhead + i) & (h->qcap - 1)];
  goro__san_ignore_begin(); /* TSan cannot see the heap lock */
  free(h->q);
  goro__san_ignore_end();
  h->q = q;
  h->qhead = 0;
  h->qcap = cap;
  return 0;
}

static inline int64_t fifo_head_when(goro__theap *h) {
  return h->qlen ? h->q[h->qhead].when : INT64_MAX;
}

static inline int64_t earliest(goro__theap *h) {
  return min64(h->n ? h->e[0].when : INT64_MAX, fifo_head_when(h));
}

static inline void publish_next(goro__theap *h) {
  store_rel(&h->next, earliest(h));
}

/* Inserts x. Untracked entries that come in deadline order (sleeps of one
 * duration: the common case) go to the FIFO lane, O(1) both ways; the rest
 * to the heap. Returns 1 if it lowered h->next, 0 if not, -ENOMEM. */
static int tq_push(goro__theap *h, tentry x) {
  bool lane = (x.v & E_KIND) != E_TRACKED &&
              (h->qlen == 0 ||
               h->q[(h->qhead + h->qlen - 1) & (h->qcap - 1)].when <= x.when);
  if (lane) {
    if (h->qlen == h->qcap && grow_fifo(h) != 0)
      return -ENOMEM;
    h->q[(h->qhead + h->qlen++) & (h->qcap - 1)] = x;
  } else {
    if (h->n == h->cap && grow_heap(h) != 0)
      return -ENOMEM;
    sift_up(h, h->n++, x);
  }
  if (x.when < h->next) {
    store_rel(&h->next, x.when);
    return 1;
  }
  return 0;
}

/* Removes heap entry i; the caller publishes next. */
static void heap_remove(goro__theap *h, uint32_t i) {
  uint32_t last = --h->n;
  if (i == last)
    return;
  tentry x = h->e[last];
  if (i > 0 && x.when < h->e[(i - 1) / 4].when)
    sift_up(h, i, x);
  else
    sift_down(h, i, x);
}

/* Takes the earliest entry (there is one); the caller publishes next. */
static tentry tq_pop(goro__theap *h) {
  tentry x;
  if (h->qlen && (h->n == 0 || h->q[h->qhead].when <= h->e[0].when)) {
    x = h->q[h->qhead];
    h->qhead = (h->qhead + 1) & (h->qcap - 1);
    h->qlen--;
  } else {
    x = h->e[0];
    heap_remove(h, 0);
  }
  return x;
}

static inline tentry timer_entry(goro__timer *t) {
  tentry x = {t->when, (uintptr_t)t | ((t->flags & GORO__TIMER_NOSTOP)
                                            ? (uintptr_t)E_TIMER
                                            : (uintptr_t)E_TRACKED)};
  return x;
}

/* ======================================================================
 * gmin
 * ==================================================================== */

static int64_t scan_exact(void) {
  uint32_t hi = load_acq(&tg.hi);
  int64_t m = load_acq(&heaps[SHARED].next);
  for (uint32_t i = 0; i < hi; i++)
    m = min64(m, load_acq(&heaps[i].next));
  return m;
}

static int64_t gmin_recompute(void) {
  /* Nothing to do if gmin is already exact (the common case); a lower
   * scan means an adder is on its way to lower gmin itself. */
  int64_t m = scan_exact();
  if (m <= load_acq(&GMIN))
    return m;
  goro__lock_acquire(&tg.lock);
  m = scan_exact();
  if (m != GMIN)
    store_rel(&GMIN, m);
  goro__lock_release(&tg.lock);
  return m;
}

/* An add lowered its heap's next to when: keep (G), then (P). */
static void gmin_lower(int64_t when) {
  goro__lock_acquire(&tg.lock);
  bool lowered = when < GMIN;
  if (lowered)
    store_rel(&GMIN, when);
  goro__lock_release(&tg.lock);
  if (lowered)
    goro__timer_added(when);
}

/* P p's heap, counted in tg.hi. Every path that adds to a P's heap gets
 * it here: hi is raised before the heap's next can be published, so a
 * scan that sees a timer's effect on gmin also scans its heap. */
static goro__theap *heap_of(goro__p *p) {
  uint32_t id = (uint32_t)p->id;
  uint32_t hi = load_acq(&tg.hi);
  while (id >= hi && !cas_acq_rel(&tg.hi, &hi, id + 1))
    ;
  return &heaps[id];
}

/* The heap this context adds to: its P's, or the shared one. */
static goro__theap *heap_here(void) {
  goro__m *m = goro__m_get();
  return m && m->p ? heap_of(m->p) : &heaps[SHARED];
}

/* ======================================================================
 * Adding and deleting
 * ==================================================================== */

int goro__timer_add(goro__timer *t) {
  GORO_ASSERT((load_relaxed(&t->state) & T_STMASK) == T_IDLE);
  goro__hb_release(t); /* to the firer's acquire before f */
  goro__theap *h = heap_here();
  goro__lock_acquire(&h->lock);
  int first = tq_push(h, timer_entry(t));
  if (first < 0) {
    goro__lock_release(&h->lock);
    return first;
  }
  store_relaxed(&t->heap, h);
  /* Release: heap before state, for del's unlocked read of t->heap. */
  store_rel(&t->state, (t->state & ~(uint32_t)T_STMASK) | T_PENDING);
  goro__lock_release(&h->lock);
  if (first)
    gmin_lower(t->when);
  return 0;
}

static void wait_running(int *spins) {
  if (++*spins < 64) {
    cpu_relax();
    return;
  }
  if (goro__g_get())
    goro_yield();
  else
    sched_yield();
}

bool goro__timer_del(goro__timer *t) {
  GORO_ASSERT(!(t->flags & GORO__TIMER_NOSTOP));
  goro__timer *self = goro__g_get() ? NULL : running_here();
  int spins = 0;
  for (;;) {
    /* Acquire pairs with the firer's store-release after f (and add's). */
    uint32_t s = load_acq(&t->state);
    switch (s & T_STMASK) {
    case T_IDLE:
      goro__hb_acquire(t); /* a firing that ended before: its f's writes */
      return false;
    case T_PENDING: {
      goro__theap *h = load_relaxed(&t->heap);
      if (!h)
        continue; /* popped meanwhile: read the state again */
      goro__lock_acquire(&h->lock);
      if (load_relaxed(&t->state) != s || t->heap != h) {
        goro__lock_release(&h->lock);
        continue;
      }
      bool top = t->idx == 0;
      heap_remove(h, (uint32_t)t->idx);
      publish_next(h);
      t->heap = NULL;
      t->idx = -1;
      store_rel(&t->state, (s & ~(uint32_t)T_STMASK) | T_IDLE);
      goro__lock_release(&h->lock);
      if (top)
        gmin_recompute(); /* keep gmin exact, so the poll M sleeps long */
      return true;
    }
    default: /* RUNNING */
      if (t == self) {
        /* From inside its own f: no re-arm; the firer finishes it. */
        goro__hb_acquire(t);
        store_relaxed(&t->state, s | T_NOREARM);
        return false;
      }
      wait_running(&spins);
    }
  }
}

int goro__timer_reset(goro__timer *t, int64_t when) {
  bool was = goro__timer_del(t);
  t->when = when;
  int err = goro__timer_add(t);
  return err ? err : (int)was;
}

static void unlock_heap(void *h) {
  goro__lock_release(&((goro__theap *)h)->lock);
}

bool goro__sleep_until(int64_t when, const char *reason) {
  goro__g *g = goro__g_get();
  goro__theap *h = heap_here();
  goro__lock_acquire(&h->lock);
  tentry x = {when, (uintptr_t)g | E_SLEEP};
  int first = tq_push(h, x);
  if (first < 0) {
    goro__lock_release(&h->lock);
    return false;
  }
  if (first)
    gmin_lower(when); /* heap lock -> tg.lock, then sched.lock */
  goro__park(unlock_heap, h, reason);
  return true;
}

/* ======================================================================
 * Firing
 * ==================================================================== */

/* After a tracked timer's f returned: leave RUNNING (timer.h). */
static void finish(goro__timer *t, uint32_t running, goro__theap *home,
                   int64_t now) {
  uint32_t seq = running & ~(uint32_t)T_STMASK;
  /* Only this thread leaves RUNNING, so s is stable unless f re-armed it
   * (then it differs and is someone else's now). */
  uint32_t s = load_acq(&t->state);
  goro__hb_release(t); /* to del's acquire, and to the next firing's */
  if (s == running && t->period > 0) {
    /* Next multiple of the period after now: missed ticks are skipped. */
    if (t->when + t->period > now)
      t->when += t->period;
    else
      t->when += t->period * ((now - t->when) / t->period + 1);
    goro__lock_acquire(&home->lock);
    int first = tq_push(home, timer_entry(t));
    if (first < 0) {
      goro__lock_release(&home->lock);
      store_rel(&t->state, seq | T_IDLE); /* no memory: the ticker stops */
      return;
    }
    t->heap = home;
    store_rel(&t->state, seq | T_PENDING);
    goro__lock_release(&home->lock);
    if (first)
      gmin_lower(t->when);
  } else if ((s & ~(uint32_t)T_NOREARM) == running) {
    /* Release: the last access; del may free t once it reads IDLE. */
    store_rel(&t->state, seq | T_IDLE);
  }
}

/* Fires the timers of h due by `limit`, at most about *budget of them.
 * Returns how many. */
static int fire_heap(goro__theap *h, int64_t limit, int64_t now,
                     goro__theap *home, int *budget) {
  int fired = 0;
  for (;;) {
    if (*budget <= 0 || load_acq(&h->next) > limit)
      return fired;
    uintptr_t batch[FIRE_BATCH];
    int n = 0;
    uint32_t running = 0;
    goro__lock_acquire(&h->lock);
    while (n < FIRE_BATCH && earliest(h) <= limit) {
      tentry x = tq_pop(h);
      batch[n++] = x.v;
      if ((x.v & E_KIND) == E_TRACKED) {
        goro__timer *t = ent_timer(x.v);
        t->heap = NULL;
        t->idx = -1;
        running = ((t->state & ~(uint32_t)T_STMASK) + T_SEQ1) | T_RUNNING;
        store_relaxed(&t->state, running);
        break; /* the tracked one goes last, see the top of the file */
      }
    }
    publish_next(h);
    goro__lock_release(&h->lock);
    for (int i = 0; i < n; i++) {
      uintptr_t v = batch[i];
      goro__timer *t = ent_timer(v);
      switch (v & E_KIND) {
      case E_SLEEP:
        /* The sleeper itself: no timer record to read (one cache miss
         * less per sleep). It may return from goro_sleep at once. */
        goro__ready((goro__g *)t);
        break;
      case E_TIMER:
        goro__hb_acquire(t);
        t->f(t, now); /* untracked: forgotten; f may free t */
        break;
      default:
        goro__hb_acquire(t);
        tls_running = t;
        t->f(t, now);
        tls_running = NULL;
        finish(t, running, home, now);
      }
    }
    fired += n;
    *budget -= n;
  }
}

static inline bool runq_is_empty(goro__p *p) {
  return load_acq(&p->runqhead) == load_acq(&p->runqtail) &&
         load_acq(&p->runnext) == NULL;
}

/* True if heap i has no running P to fire it: its P is idle or retired. */
static bool heap_orphaned(uint32_t i) {
  if ((int)i >= load_relaxed(&goro__sched.gomaxprocs))
    return true;
  goro__p *p = load_acq(&goro__sched.allp[i]);
  /* status is written under sched.lock; a racy read only picks between
   * firing now and firing a little later. */
  return !p || load_relaxed(&p->status) != P_BUSY;
}

/* Is heap i's earliest timer p's to fire at time `due`? Applies the rule
 * of "Who fires what" to the timer at heap->next. */
static inline int64_t effective_next(uint32_t i, goro__p *p, bool idle) {
  int64_t nx = load_acq(&heaps[i].next);
  if (nx == INT64_MAX || i == SHARED || !p || (int)i == p->id || idle ||
      heap_orphaned(i))
    return nx;
  return sat_add(nx, STEAL_GRACE_NS);
}

int goro__timers_run(int64_t now) {
  goro__m *m = goro__m_get();
  goro__p *p = m ? m->p : NULL;
  if (!p)
    return 0;
  goro__theap *home = heap_of(p); /* periodic timers re-arm here */
  int budget = RUN_BUDGET;
  int fired = fire_heap(home, now, now, home, &budget);
  fired += fire_heap(&heaps[SHARED], now, now, home, &budget);
  bool idle = runq_is_empty(p);
  uint32_t hi = load_acq(&tg.hi);
  uint32_t start = hi ? goro__fastrand_n(hi) : 0;
  for (uint32_t k = 0; k < hi && budget > 0; k++) {
    uint32_t i = (start + k) % hi;
    if ((int)i == p->id || load_relaxed(&heaps[i].next) > now)
      continue;
    int64_t limit = idle || heap_orphaned(i) ? now : now - STEAL_GRACE_NS;
    fired += fire_heap(&heaps[i], limit, now, home, &budget);
  }
  gmin_recompute();
  return fired;
}

/* What a busy P at a goroutine switch fires for (see the top of the
 * file): its own heap and the shared one, with BUSY_SLACK_NS, and any
 * timer overdue by STEAL_GRACE_NS (gmin). Four loads. */
static inline int64_t hot_next(goro__m *m, int64_t gmin) {
  int64_t r = load_relaxed(&heaps[SHARED].next);
  if (m->p)
    r = min64(r, load_relaxed(&heaps[m->p->id].next));
  return min64(sat_add(r, BUSY_SLACK_NS), sat_add(gmin, STEAL_GRACE_NS));
}

int64_t goro__timers_next(void) {
  goro__m *m = goro__m_get();
  if (m && m->curg) {
    /* A goroutine at a switch (pick_next): the cheap check. */
    int64_t g = load_relaxed(&GMIN);
    return g == INT64_MAX ? g : hot_next(m, g);
  }
  if (m && m->p) {
    /* g0 with a P (findrunnable): exactly what goro__timers_run would
     * fire, so that it never loops on a timer it will not fire. */
    goro__p *p = m->p;
    bool idle = runq_is_empty(p);
    uint32_t hi = load_acq(&tg.hi);
    int64_t r = effective_next(SHARED, p, idle);
    int64_t exact = load_acq(&heaps[SHARED].next);
    for (uint32_t i = 0; i < hi; i++) {
      r = min64(r, effective_next(i, p, idle));
      exact = min64(exact, load_acq(&heaps[i].next));
    }
    if (exact > load_relaxed(&GMIN))
      gmin_recompute(); /* gmin was stale: a deleted or fired timer */
    return r;
  }
  /* No P: the deadline of an M about to sleep (stopm, under sched.lock),
   * which then becomes the poll M. If no P is idle, it could not fire
   * anything when it wakes (it would find no P, sleep again until the
   * next timer, and so on: a busy loop of short futex sleeps, while the
   * busy Ps fire their own timers at their next switch and steal a stuck
   * one's). So, as in Go, it sleeps without a deadline, and not as the
   * poll M (stopm); the M that next idles a P computes one. Otherwise:
   * exact, with gmin made exact too, which is what (P) needs. */
  if (load_seq(&goro__sched.npidle) == 0)
    return INT64_MAX;
  return gmin_recompute();
}

/* CLOCK_MONOTONIC_COARSE is CLOCK_MONOTONIC as of the last tick: it lags
 * by at most its resolution. Set once (racy, idempotent). */
static int64_t coarse_window;

static GORO_NOINLINE int64_t coarse_window_init(void) {
  struct timespec ts;
  int64_t w = 10000000; /* HZ=100, if the resolution cannot be read */
  if (clock_getres(CLOCK_MONOTONIC_COARSE, &ts) == 0)
    w = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  w += 1000000; /* margin */
  store_relaxed(&coarse_window, w);
  return w;
}

bool goro__timers_pending_slow(int64_t g) {
  goro__m *m = goro__m_get();
  if (!m || !m->curg)
    return true; /* checkdead, g0: does any timer exist? */
  /* A goroutine at a switch (pick_next reads the precise clock, 44 ns in
   * a VM, only if this says yes): no, if nothing this P would fire can be
   * due within a tick of the coarse clock (5 ns). So a far-off timer (a
   * ticker, a long timeout) costs a switch nothing. */
  int64_t next = hot_next(m, g);
  /* goro_sleep's precise reading, when there is one: free. Even the coarse
   * clock is not free when 100,000 sleepers' stacks thrash the TLB: its
   * vDSO page then misses too (TimerSleep, 20% of its profile). The
   * reading is good for this one switch: pick_now takes it when a timer is
   * due, and it goes here when none is; left behind, it would hold the
   * clock still for every later switch on this M, and a busy P would never
   * see its timers come due. */
  if (m->now_hint) {
    if (next <= m->now_hint)
      return true;
    m->now_hint = 0;
    return false;
  }
  int64_t w = load_relaxed(&coarse_window);
  if (unlikely(!w))
    w = coarse_window_init();
  return next <= goro__nanotime_coarse() + w;
}

/* ======================================================================
 * time.Sleep
 * ==================================================================== */

void goro_sleep(int64_t ns) {
  if (ns <= 0)
    return;
  int64_t deadline = sat_add(goro__nanotime(), ns);
  goro__g *g = goro__runtime_init() == 0 ? goro__g_get() : NULL;
  if (!g) {
    /* A thread sleeps by itself and is not blocked in the API: it wakes on
     * its own, so it can never be part of a deadlock. */
    struct timespec ts = {.tv_sec = deadline / 1000000000,
                          .tv_nsec = deadline % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
      ;
    return;
  }
  goro__m *m = goro__m_get();
  m->now_hint = deadline - ns; /* pick_next's clock (proc.c) */
  if (goro__sleep_until(deadline, "sleep"))
    return;
  m->now_hint = 0;
  /* No memory for the heap to grow: let others run until the deadline. */
  while (goro__nanotime() < deadline)
    goro_yield();
}
