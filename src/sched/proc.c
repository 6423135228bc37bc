/*
 * proc.c: the M:N scheduler.
 *
 * ---------------------------------------------------------------------------
 * The model (Go's G/M/P; see sched.h for the glossary)
 * ---------------------------------------------------------------------------
 * GORO_MAXPROCS processors (P) each own a run queue. Worker threads (M)
 * acquire a P and run its goroutines (G). A goroutine runs until it parks,
 * yields or exits; the runtime does not preempt (a goroutine that never
 * yields keeps its P).
 *
 * Switching. When a goroutine leaves its M, the M switches straight to the
 * next runnable goroutine of its P when there is one (no trip through a
 * scheduler stack: one context switch per hand-over), and to the M's own
 * stack (g0) only when the P has nothing local. Whatever the leaving
 * goroutine could not do before its registers were saved (put itself on a
 * run queue, release the lock that publishes its waiter, free its stack) is
 * recorded in m->after and done by the context that resumes (finish_switch).
 * This is the invariant that makes the rest safe:
 *
 *   (S) A goroutine becomes visible to other threads (on a run queue, or in
 *       a wait queue whose lock is released) only after its context is
 *       saved.
 *
 * So a parking goroutine holds its object's lock until the next context
 * runs. That context must not be one whose first frame is still to be
 * laid out: the first frame may fault in its stack page or arm a whole
 * chunk of guards (first_frame), microseconds to milliseconds with the
 * lock held, while the object's other goroutines queue on it. Such a
 * goroutine is started from g0 instead, after the lock is released
 * (m->g0_next).
 *
 * Run queues. Each P has a 1024-slot ring (runq) and a runnext slot.
 *   - Only the owner pushes, at tail: it writes the slot, then store-release
 *     of runqtail. Consumers (the owner and thieves) load-acquire runqtail,
 *     read slots, then CAS runqhead (release), which hands the slots back
 *     to the owner. The owner load-acquires runqhead before reusing slots.
 *   - runnext holds the goroutine readied most recently by this P's running
 *     goroutine: it runs next, in the readier's time slice, so a ping-pong
 *     pair (channel, mutex hand-off) stays on one core with no wake-up. It
 *     is taken with a CAS by the owner or, as a last resort, by a thief.
 *   - When the ring is full, the owner moves its oldest 128 to the global
 *     queue.
 *   - The global queue (sched.lock) takes goroutines from threads that hold
 *     no P and ring overflows. Every 61st switch a P polls it first, so the
 *     global queue cannot starve behind busy local queues.
 *
 * Spinning. An M with a P and no work looks for some: the global queue,
 * then stealing half of a random victim's ring (four rounds; runnext, and
 * a ring of at most RUNQ_STEAL_PAUSED, are stolen only in the last, after a
 * short pause and only if the victim has not taken them meanwhile, so a P
 * about to run its own partners keeps them). Such an M is "spinning" and counted in nmspinning. At
 * most half of the busy Ps may have spinning Ms (Go's rule), so spinning
 * never eats the machine. A spinning M that fails spins a little longer
 * (up to SPIN_NS) before it gives up its P: a thread wake-up costs ~20 us
 * on this class of machine, so a short spin often pays.
 *
 * Parking an M. Giving up: under sched.lock check the global queue once
 * more, put the P on the idle list, unlock. Then, if it was spinning:
 *
 *   nmspinning-- (seq_cst RMW)      |  a submitter: enqueue work, then
 *   recheck global queue (lock)      |  wakep(): load npidle, nmspinning
 *   recheck every P's ring           |
 *
 * Either the submitter's enqueue is seen by the recheck, or the decrement
 * is seen by wakep, which then wakes an M. (For the global queue the lock
 * orders both sides; for a P's ring the submitter is that P's running
 * goroutine, so its work is never stranded even if the wake is lost.)
 * Then the M sleeps on its futex note. One idle M, the poll M, sleeps with
 * a deadline: the next timer (and, with the netpoller, in epoll_wait); an
 * M takes that role only while some P is idle (stopm says why).
 *
 * Waking (wakep). New work wakes an idle P only if no M is spinning
 * already (a CAS of nmspinning from 0 to 1): a spinning M will find the work,
 * and when it does it wakes the next one (resetspinning), so wake-ups chain
 * only while work keeps appearing. goro_go always calls wakep (a new
 * goroutine is parallel work). goro__ready does not when the readied
 * goroutine only fills runnext: its readier is about to block or yield in
 * the common case, and waking a thread for it would cost more than running
 * it here. It does when the P already has queued work.
 *
 * Solo. With one P (GORO_MAXPROCS=1) and no bonus P, nobody but a P's
 * owner touches its run queue, except two rare visitors: the monitor's hog
 * rescue and a raise of GORO_MAXPROCS. The owner then takes from its queue
 * and runnext with plain stores instead of the compare-and-swaps that keep
 * thieves out (a locked instruction costs ~5 ns here: one per yield, two
 * per channel hand-off). An asymmetric Dekker pair keeps the visitors safe:
 *
 *   owner (solo_begin/end):          |  visitor (solo_off, sched.lock):
 *   taking++ (now odd)               |  solo = 0
 *   load solo: 0 -> the CAS path     |  membarrier(PRIVATE_EXPEDITED)
 *   plain take; taking++ (release)   |  wait until every P's taking is even
 *
 * membarrier runs a full barrier on every CPU running one of our threads,
 * so either the owner's load sees solo == 0 or the visitor sees the odd
 * count and waits for that take to end; the owner's side costs two plain
 * stores. solo_on sets solo again under sched.lock once GORO_MAXPROCS is 1,
 * every other P is dead and no rescue is at work (sched.nvisit): a bonus
 * P retires, a rescued hog switches.
 * Where membarrier is missing (old kernels, valgrind, qemu-user) solo
 * stays 0.
 *
 * Memory ordering summary
 *   runqtail store-release (owner)   <-> load-acquire (thieves)
 *   runqhead CAS release (consumers) <-> load-acquire (owner, before reuse)
 *   nmspinning / npidle: seq_cst RMW and loads (Dekker pair above)
 *   m->note store-release (waker)    <-> load-acquire (sleeper)
 *   solo / p->taking: the membarrier pair above
 *   everything else under sched.lock.
 *
 * Lock order: object locks -> sched.lock -> stack pool lock (internal.h).
 * ---------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include "park.h"
#include "sched.h"

#include "../arch/context.h"
#include "../netpoll/netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

goro__sched_t goro__sched = {.lock = GORO__LOCK_INIT};
#define sched goro__sched

#define SPIN_NS 20000   /* how long a spinning M keeps looking: ~one wake-up */

/* The runtime's per-thread state: one pointer, initial-exec TLS so that its
 * offset from the thread pointer is the same in every thread. */
static __thread goro__m *tls_m __attribute__((tls_model("initial-exec")));
intptr_t goro__tls_m_off;
intptr_t goro__errno_off;

/* Computed at load time, before any goroutine exists. errno is glibc's
 * initial-exec TLS too; m_main checks the offset holds on every worker. */
__attribute__((constructor)) static void tls_offsets(void) {
  goro__tls_m_off = (char *)&tls_m - goro__tp();
  goro__errno_off = (char *)&errno - goro__tp();
}

static inline int errno_get(void) {
  return *(int *)(goro__tp() + goro__errno_off);
}
static inline void errno_set(int e) {
  *(int *)(goro__tp() + goro__errno_off) = e;
}

bool goro__seed_mode;
static uint64_t seed_rng; /* [the single M] */
int64_t goro__seed_clock = 1; /* nonzero: the mutex reads 0 as "never waited" */

uint64_t goro__fastrand(void) {
  static __thread uint64_t state;
  if (unlikely(goro__seed_mode))
    return goro__rand_next(&seed_rng);
  goro__m *m = goro__m_get();
  if (m)
    return goro__rand_next(&m->rand);
  if (!state)
    state = (uint64_t)goro__nanotime() ^ (uint64_t)(uintptr_t)&state;
  return goro__rand_next(&state);
}

const goro__poller *goro__netpoll_active;
goro__netpoll_count goro__netpoll_waiters_line;

void goro__netpoll_register(const goro__poller *p) {
  const goro__poller *none = NULL;
  /* Release pairs with the acquire loads in the idle path. */
  __atomic_compare_exchange_n(&goro__netpoll_active, &none, p, false,
                              __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void wakep_nolock(void);
static GORO_NORETURN void fatal_forked(void);
static void startm(goro__p *p, bool spinning);
static void startm_locked(goro__p *p, bool spinning);
static goro__p *p_new(int id);

/* ======================================================================
 * Local run queues
 * ==================================================================== */

static inline bool runq_empty(goro__p *p) {
  /* A snapshot; may be stale by the time it is used. */
  uint32_t h = load_acq(&p->runqhead);
  uint32_t t = load_acq(&p->runqtail);
  return h == t && load_acq(&p->runnext) == NULL;
}

bool goro__can_spin(int iter) {
  static int ncpu;
  if (iter >= 4)
    return false;
  if (!ncpu)
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu <= 1)
    return false;
  goro__m *m = goro__m_get();
  if (!m || !m->p)
    return true; /* a thread: spinning a little is all it can do cheaply */
  int procs = load_relaxed(&sched.gomaxprocs);
  if (procs <= (int)(load_relaxed(&sched.npidle) +
                     load_relaxed(&sched.nmspinning)) + 1)
    return false;
  return runq_empty(m->p);
}

static void globrunq_put_batch(goro__g *head, goro__g *tail, uint32_t n);

/* The ring is full: move its oldest RUNQ_SPILL goroutines plus g to the
 * global queue. (Go moves half of its 256; ours is 1024, and the batch is
 * copied to this goroutine's stack before the CAS, so it stays small.) */
#define RUNQ_SPILL 128
static inline void runq_put_tail(goro__p *p, goro__g *g);
GORO_NOINLINE static void runq_put_slow(goro__p *p, goro__g *g, uint32_t h,
                                       uint32_t t) {
  goro__g *batch[RUNQ_SPILL + 1];
  uint32_t n = (t - h) / 2;
  if (n > RUNQ_SPILL)
    n = RUNQ_SPILL;
  for (uint32_t i = 0; i < n; i++)
    batch[i] = p->runq[(h + i) % GORO__RUNQ];
  /* Release: the slots go back to being the owner's to overwrite. */
  if (!cas_rel(&p->runqhead, &h, h + n)) {
    runq_put_tail(p, g); /* a consumer made room meanwhile */
    return;
  }
  batch[n] = g;
  for (uint32_t i = 0; i < n; i++)
    batch[i]->schedlink = batch[i + 1];
  globrunq_put_batch(batch[0], batch[n], n + 1);
}

/* ---- Solo (see the top of the file) ---- */

static bool solo_able; /* membarrier is registered */

/* Owner: true if it may take from p's queue with plain stores until
 * solo_end. */
static inline bool solo_begin(goro__p *p) {
  if (!load_relaxed(&sched.solo))
    return false;
  store_relaxed(&p->taking, p->taking + 1);
  /* No compiler reordering of that store and this load; the CPU's is the
   * membarrier's business. */
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  if (likely(load_acq(&sched.solo)))
    return true;
  store_rel(&p->taking, p->taking + 1);
  return false;
}

static inline void solo_end(goro__p *p) {
  /* Release: the take's stores before the count a visitor waits on. */
  store_rel(&p->taking, p->taking + 1);
}

/* A visitor is coming to some P's queue: the owners go back to CAS.
 * sched.lock held. */
static void solo_off(void) {
  if (!load_relaxed(&sched.solo))
    return;
  store_relaxed(&sched.solo, 0);
  if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
    goro__fatal("membarrier failed after it was registered");
  for (int i = 0; i < GORO__MAX_PROCS; i++) {
    goro__p *p = sched.allp[i];
    if (!p)
      break;
    while (load_acq(&p->taking) & 1)
      cpu_relax();
  }
}

/* Solo again if nothing but P 0 can run and no rescue is at work.
 * sched.lock held. */
static void solo_on(void) {
  if (!solo_able || load_relaxed(&sched.solo) || sched.gomaxprocs != 1 ||
      sched.nvisit)
    return;
  for (int i = 1; i < GORO__MAX_PROCS; i++) {
    goro__p *p = sched.allp[i];
    if (!p)
      break;
    if (load_relaxed(&p->status) != P_DEAD)
      return;
  }
  /* Release: the visitors' work on the queues before the owners' plain
   * stores (they load solo with acquire). */
  store_rel(&sched.solo, 1);
}

void goro__solo_retry(void) {
  if (!solo_able || load_relaxed(&sched.solo))
    return;
  goro__lock_acquire(&sched.lock);
  solo_on();
  goro__lock_release(&sched.lock);
}

/* Owner: puts g (maybe NULL) in p's runnext; returns what was there. */
static inline goro__g *runnext_xchg(goro__p *p, goro__g *g) {
  if (solo_begin(p)) {
    goro__g *old = load_relaxed(&p->runnext);
    store_relaxed(&p->runnext, g);
    solo_end(p);
    return old;
  }
  return xchg_acq_rel(&p->runnext, g); /* against thieves' CAS */
}

/* Owner: takes slot h of p's ring if it is still the head. */
static inline bool runq_take_head(goro__p *p, uint32_t h) {
  if (solo_begin(p)) {
    bool ok = load_relaxed(&p->runqhead) == h;
    if (ok)
      store_rel(&p->runqhead, h + 1);
    solo_end(p);
    return ok;
  }
  /* Release, as the thieves' CAS: the slot was read before it is given up. */
  return cas_rel(&p->runqhead, &h, h + 1);
}

/* Puts g at the tail of p's ring (owner only), the oldest RUNQ_SPILL to
 * the global queue when it is full. Inline: finish_switch's yield case. */
static inline void runq_put_tail(goro__p *p, goro__g *g) {
  /* Acquire pairs with the consumers' release CAS on runqhead. */
  uint32_t h = load_acq(&p->runqhead);
  uint32_t t = p->runqtail;
  if (unlikely(t - h >= GORO__RUNQ)) {
    runq_put_slow(p, g, h, t);
    return;
  }
  p->runq[t % GORO__RUNQ] = g;
  /* Release: the slot's content before the new tail. */
  store_rel(&p->runqtail, t + 1);
}

/* Puts g on p's queue (owner only). With next, g takes the runnext slot
 * and the goroutine it displaces goes to the tail. Returns true if the
 * ring (not only runnext) received a goroutine. */
static bool runq_put(goro__p *p, goro__g *g, bool next) {
  if (next) {
    goro__g *old = runnext_xchg(p, g);
    if (!old)
      return false;
    g = old;
  }
  runq_put_tail(p, g);
  return true;
}

/* Starts loading what the coming switches touch, so that a run queue of
 * goroutines whose stacks are cold does not stall on memory at every
 * switch. 100,000 sleepers are the case: each switch lands on a stack last
 * touched 10 ms ago, and in a VM a miss there is a nested page walk and a
 * DRAM line for the record, then the same for the saved context.
 * Prefetched: the record PREFETCH_G ahead, and PREFETCH_LINES of the saved
 * context PREFETCH_SP ahead (its record was prefetched two switches
 * earlier). TimerSleep P=1: 570 -> 450-490 ns per sleep, interleaved; no
 * change in the hot-cache switch benchmarks. Owner only. A slot may be
 * stolen meanwhile and its g running elsewhere: records are never freed,
 * and a stale sp only prefetches the wrong line. (sp is a word read with
 * a relaxed load; first_frame writes it plainly, so ThreadSanitizer
 * builds skip all this.) */
#define RUNQ_PREFETCH_G 4
#define RUNQ_PREFETCH_SP 2
#define RUNQ_PREFETCH_LINES 8

static inline void runq_prefetch(goro__p *p, uint32_t h, uint32_t t) {
#ifdef GORO_TSAN
  /* The racy sp read would be reported against first_frame's write. */
  (void)p, (void)h, (void)t;
  return;
#endif
  uint32_t n = t - h;
  if (n > RUNQ_PREFETCH_G)
    __builtin_prefetch(p->runq[(h + RUNQ_PREFETCH_G) % GORO__RUNQ]);
  if (n > RUNQ_PREFETCH_SP) {
    goro__g *g = p->runq[(h + RUNQ_PREFETCH_SP) % GORO__RUNQ];
    const char *sp = load_relaxed(&g->sp);
    if (sp)
      for (int i = 0; i < RUNQ_PREFETCH_LINES; i++)
        __builtin_prefetch(sp + 64 * i);
  }
}

/* Takes the next goroutine of p (owner only): runnext first. */
static goro__g *runq_get(goro__p *p) {
  /* The exchange only when there is something: a locked instruction. */
  goro__g *next;
  if (load_relaxed(&p->runnext) && (next = runnext_xchg(p, NULL)) != NULL)
    return next;
  for (;;) {
    uint32_t h = load_acq(&p->runqhead);
    uint32_t t = p->runqtail;
    if (t == h)
      return NULL;
    goro__g *g = p->runq[h % GORO__RUNQ];
    if (runq_take_head(p, h)) {
      runq_prefetch(p, h + 1, t);
      return g;
    }
  }
}

/* A victim's queue this short is stolen from only if it stands still (see
 * runq_grab). 1 -> 3: SelectProdCons P=2, 11 interleaved runs, median 161
 * -> 102 ns per value (its 3 readied producers used to be stolen one by one
 * and the consumer followed them); Create, Skynet, PrimeSieve unchanged. */
#define RUNQ_STEAL_PAUSED 3

/* Grabs about half of victim's goroutines into batch (a ring of size
 * GORO__RUNQ starting at batch_head). Returns how many. */
static uint32_t runq_grab(goro__p *victim, goro__g **batch,
                          uint32_t batch_head, bool steal_next) {
  for (;;) {
    uint32_t h = load_acq(&victim->runqhead);
    uint32_t t = load_acq(&victim->runqtail);
    uint32_t n = t - h;
    n = n - n / 2;
    if (n == 0) {
      if (!steal_next)
        return 0;
      goro__g *next = load_acq(&victim->runnext);
      if (!next)
        return 0;
      /* The victim is probably about to run it: give it a moment, as
       * stealing it would move a ping-pong pair across cores. */
      for (int i = 0; i < 200 && load_relaxed(&victim->runnext) == next; i++)
        cpu_relax();
      if (!cas_acq_rel(&victim->runnext, &next, NULL))
        return 0; /* it ran, or another thief has it */
      batch[batch_head % GORO__RUNQ] = next;
      return 1;
    }
    if (n > GORO__RUNQ / 2)
      continue; /* inconsistent h and t: retry */
    if (t - h <= RUNQ_STEAL_PAUSED) {
      /* A short queue is usually the running goroutine's partners (a
       * ping-pong's other side, a select's producers readied one after
       * another): its P drains it within microseconds, and stealing would
       * split them across cores, where every hand-off crosses a cache line
       * between CPUs. Steal from it only in the last round, and only if the
       * victim has not moved on after a pause. */
      if (!steal_next)
        return 0;
      for (int i = 0; i < 200; i++)
        cpu_relax();
      if (load_acq(&victim->runqhead) != h)
        return 0; /* it ran: the victim is busy with its own work */
    }
    for (uint32_t i = 0; i < n; i++)
      batch[(batch_head + i) % GORO__RUNQ] = victim->runq[(h + i) % GORO__RUNQ];
    if (cas_rel(&victim->runqhead, &h, h + n))
      return n;
  }
}

/* Steals half of victim's queue into p's; returns one to run. */
static goro__g *runq_steal(goro__p *p, goro__p *victim, bool steal_next) {
  uint32_t t = p->runqtail;
  uint32_t n = runq_grab(victim, p->runq, t, steal_next);
  if (n == 0)
    return NULL;
  n--;
  goro__g *g = p->runq[(t + n) % GORO__RUNQ];
  if (n == 0)
    return g;
  store_rel(&p->runqtail, t + n);
  return g;
}

/* ---- the deterministic mode (GORO_SEED) ----------------------------------
 * One P, so one M runs goroutines; no monitor (its hog rescue would move
 * goroutines at times that depend on the clock). pick_next takes a random
 * entry of the run queue instead of the head; goro__fastrand (select's
 * choice) and the random yields of goro__seed_point draw from the same
 * generator, seeded with N. Nothing else in the order of events depends on
 * time, except timers; protocols that read the time use the seed clock
 * (goro__protocol_nanotime), which advances 10 us per decision. */

void goro__seed_point(void) {
  void goro_yield(void);
  goro__m *m = goro__m_get();
  goro__seed_clock += 10000;
  if (m && m->curg && goro__rand_n(&seed_rng, 4) == 0)
    goro_yield();
}

/* Moves a random entry of p's queue to its head (seed mode only: no other
 * thread touches p's queue then). */
GORO_NOINLINE static void seed_shuffle(goro__p *p) {
  uint32_t h = p->runqhead, t = p->runqtail;
  goro__g *next = p->runnext;
  uint32_t n = t - h + (next ? 1 : 0);
  goro__seed_clock += 10000;
  if (n < 2)
    return;
  uint32_t k = goro__rand_n(&seed_rng, n);
  if (next && k == n - 1)
    return; /* runnext it is */
  goro__g *tmp = p->runq[(h + k) % GORO__RUNQ];
  p->runq[(h + k) % GORO__RUNQ] = p->runq[h % GORO__RUNQ];
  p->runq[h % GORO__RUNQ] = tmp;
  if (next) { /* the chosen one goes first: demote runnext to the tail */
    p->runnext = NULL;
    runq_put(p, next, false);
  }
}

/* ======================================================================
 * The global run queue (sched.lock)
 * ==================================================================== */

static void globrunq_put_batch(goro__g *head, goro__g *tail, uint32_t n) {
  tail->schedlink = NULL;
  goro__lock_acquire(&sched.lock);
  if (sched.runqtail)
    sched.runqtail->schedlink = head;
  else
    sched.runqhead = head;
  sched.runqtail = tail;
  store_relaxed(&sched.runqsize, sched.runqsize + n);
  goro__lock_release(&sched.lock);
}

static void globrunq_put(goro__g *g) { globrunq_put_batch(g, g, 1); }

/* Takes a fair share of the global queue into p; sched.lock held. */
static goro__g *globrunq_get(goro__p *p, uint32_t max) {
  uint32_t size = sched.runqsize;
  if (size == 0)
    return NULL;
  uint32_t procs = (uint32_t)load_relaxed(&sched.gomaxprocs);
  uint32_t n = size / (procs ? procs : 1) + 1;
  if (n > size)
    n = size;
  if (max > 0 && n > max)
    n = max;
  if (n > GORO__RUNQ / 2)
    n = GORO__RUNQ / 2;
  store_relaxed(&sched.runqsize, size - n);
  goro__g *g = sched.runqhead;
  sched.runqhead = g->schedlink;
  for (uint32_t i = 1; i < n; i++) {
    goro__g *g2 = sched.runqhead;
    sched.runqhead = g2->schedlink;
    runq_put(p, g2, false);
  }
  if (!sched.runqhead)
    sched.runqtail = NULL;
  return g;
}

/* ======================================================================
 * Idle P and M lists (sched.lock)
 * ==================================================================== */

static void pidle_put(goro__p *p) {
  store_relaxed(&p->status, P_IDLE);
  store_relaxed(&p->m, NULL);
  p->link = sched.pidle;
  sched.pidle = p;
  sched.nbusy--;
  fetch_add_seq(&sched.npidle, 1);
}

static goro__p *pidle_get(void) {
  goro__p *p = sched.pidle;
  if (p) {
    sched.pidle = p->link;
    store_relaxed(&p->status, P_BUSY);
    if (sched.sysmon_sleeping) {
      /* A P turns busy: the monitor has something to watch again. */
      sched.sysmon_sleeping = 0;
      store_rel(&sched.sysmon_note, 1);
      goro__futex_wake(&sched.sysmon_note, 1);
    }
    sched.nbusy++;
    fetch_add_seq(&sched.npidle, (uint32_t)-1);
  }
  return p;
}

static goro__m *midle_get(void) {
  goro__m *m = sched.midle;
  if (m)
    sched.midle = m->link;
  return m;
}

/* ======================================================================
 * Goroutine records and their stacks
 * ==================================================================== */

/* ---- G records: slabs, never freed, walked by dumps ---------------------- */

#define GSLAB 64
typedef struct gslab {
  struct gslab *next;
  goro__g g[GSLAB];
} gslab;

static gslab *gslabs; /* [atomic: release-published, lock-free readers] */

/* Free records not cached by a P: an array, not a list, so that moving a
 * batch between it and a P's cache copies pointers and touches no record.
 * (A list's walk missed on every record another CPU had freed: 32 serial
 * misses per batch, most of CreateGoroutines' cost at two processors.)
 * Its capacity covers every record ever made, so a put never fails.
 * [sched.lock] */
static goro__g **gfree_glob;
static uint32_t ngfree_glob, gfree_cap, ngrecords;

void goro__g_each(void (*fn)(goro__g *, void *), void *ctx) {
  for (gslab *s = load_acq(&gslabs); s; s = s->next)
    for (int i = 0; i < GSLAB; i++)
      fn(&s->g[i], ctx);
}

/* Makes GSLAB fresh records and adds them to the global free set. Called
 * with sched.lock held; false if memory ran out. */
static bool gslab_new_locked(void) {
  if (ngrecords + GSLAB > gfree_cap) {
    uint32_t cap = gfree_cap ? 2 * gfree_cap : 1024;
    goro__g **a = goro__realloc(gfree_glob, cap * sizeof(*a));
    if (!a)
      return false;
    gfree_glob = a;
    gfree_cap = cap;
  }
  gslab *s = goro__aligned_alloc(GORO_CACHELINE, sizeof(gslab));
  if (!s)
    return false;
  memset(s, 0, sizeof(*s));
  ngrecords += GSLAB;
  for (int i = GSLAB - 1; i >= 0; i--)
    gfree_glob[ngfree_glob++] = &s->g[i];
  gslab *head = load_relaxed(&gslabs);
  do
    s->next = head;
  while (!cas_rel(&gslabs, &head, s));
  return true;
}

/* Starts loading the record the next spawn on p will take (both lines):
 * it was likely freed on another CPU. */
static inline void gfree_prefetch(goro__p *p) {
  if (p->ngfree) {
    goro__g *n = p->gfree[p->ngfree - 1];
    __builtin_prefetch(n, 1);
    __builtin_prefetch((char *)n + 64, 1);
  }
}

static goro__g *grecord_get(goro__p *p) {
  goro__g *g;
  if (p && p->ngfree) {
    g = p->gfree[--p->ngfree];
    gfree_prefetch(p);
    return g;
  }
  goro__lock_acquire(&sched.lock);
  if (!ngfree_glob && !gslab_new_locked()) {
    goro__lock_release(&sched.lock);
    return NULL;
  }
  g = gfree_glob[--ngfree_glob];
  if (p) {
    /* A batch for p, the most recently freed on top. */
    uint32_t n = ngfree_glob < GORO__GBATCH ? ngfree_glob : GORO__GBATCH;
    ngfree_glob -= n;
    memcpy(p->gfree, gfree_glob + ngfree_glob, n * sizeof(goro__g *));
    p->ngfree = n;
  }
  goro__lock_release(&sched.lock);
  if (p)
    gfree_prefetch(p);
  return g;
}

static void grecord_put(goro__p *p, goro__g *g) {
  store_relaxed(&g->status, G_DEAD);
  g->slot = NULL;
  if (unlikely(p->ngfree == GORO__GCACHE)) {
    /* Full: the colder half goes to the global set. */
    goro__lock_acquire(&sched.lock);
    memcpy(gfree_glob + ngfree_glob, p->gfree,
           GORO__GCACHE / 2 * sizeof(goro__g *));
    ngfree_glob += GORO__GCACHE / 2;
    goro__lock_release(&sched.lock);
    memmove(p->gfree, p->gfree + GORO__GCACHE / 2,
            GORO__GCACHE / 2 * sizeof(goro__g *));
    p->ngfree = GORO__GCACHE / 2;
  }
  p->gfree[p->ngfree++] = g;
}

/* ---- stack slots: a per-P ring, hot on top, cold below ------------------
 * A spawn reserves a slot (so running out is reported by goro_go), taking
 * it from the cold end. At its first run the goroutine swaps it for the
 * hottest slot, the one the last exited goroutine just left, whose pages
 * are in cache; the untouched reserved slot goes back to the cold end. So a
 * burst of a million short goroutines runs on a handful of warm stacks. */

#define STK_MASK (GORO__STKCACHE - 1)
#define STK_BATCH 32

static inline uint32_t stk_count(goro__p *p) { return p->stk_hi - p->stk_lo; }

GORO_NOINLINE static void stk_spill(goro__p *p) {
  void *slots[STK_BATCH];
  for (int i = 0; i < STK_BATCH; i++)
    slots[i] = p->stk[p->stk_lo++ & STK_MASK];
  goro__stack_put(slots, STK_BATCH);
}

static inline void stk_push_hot(goro__p *p, void *slot) {
  if (stk_count(p) == GORO__STKCACHE)
    stk_spill(p);
  p->stk[p->stk_hi++ & STK_MASK] = slot;
}

static inline void stk_push_cold(goro__p *p, void *slot) {
  if (stk_count(p) == GORO__STKCACHE)
    stk_spill(p);
  p->stk[--p->stk_lo & STK_MASK] = slot;
}

static int stk_reserve(goro__p *p, void **out) {
  if (!p) {
    int n = goro__stack_get(out, 1);
    return n < 0 ? n : 0;
  }
  if (stk_count(p) == 0) {
    void *slots[STK_BATCH];
    int n = goro__stack_get(slots, STK_BATCH);
    if (n < 0)
      return n;
    for (int i = 0; i < n; i++)
      p->stk[p->stk_hi++ & STK_MASK] = slots[i];
  }
  *out = p->stk[p->stk_lo++ & STK_MASK];
  return 0;
}

/* The pool is out of slots and may map no more: take one back from an idle
 * P's cache (an idle P's fields are only touched under sched.lock), and
 * return the rest of the idle caches to the pool for the next spawns. A
 * busy P's cache stays where it is; goro_go then reports -EAGAIN, which is
 * transient. */
static int stk_reclaim_idle(void **out) {
  int err = -EAGAIN;
  goro__lock_acquire(&sched.lock);
  for (goro__p *p = sched.pidle; p; p = p->link) {
    while (stk_count(p) > 0) {
      void *slot = p->stk[p->stk_lo++ & STK_MASK];
      if (err) {
        *out = slot;
        err = 0;
      } else {
        goro__stack_put(&slot, 1);
      }
    }
  }
  goro__lock_release(&sched.lock);
  return err;
}

static void g_start(void);

/* Lays out g's first frame, on the hottest slot p has. */
GORO_NOINLINE static void first_frame(goro__p *p, goro__g *g) {
  if (p && stk_count(p) > 0) {
    void *hot = p->stk[--p->stk_hi & STK_MASK];
    stk_push_cold(p, g->slot);
    g->slot = hot;
  }
  g->slot = goro__stack_armed(g->slot);
  goro__san_stack_reuse(goro__slot_lo(g->slot), goro__stack_size);
#if defined(GORO_ASAN) || defined(GORO_TSAN)
  g->san_fake = NULL;
  g->san_fiber = goro__san_fiber_new();
#endif
  g->sp = goro__ctx_make(goro__slot_top(g->slot), g_start);
}

static int64_t goid_new(goro__p *p) {
  if (p) {
    if (p->goid_next == p->goid_end) {
      p->goid_next = fetch_add_seq(&sched.goidgen, 16) + 1;
      p->goid_end = p->goid_next + 16;
    }
    return p->goid_next++;
  }
  return fetch_add_seq(&sched.goidgen, 1) + 1;
}

/* ======================================================================
 * Switching
 * ==================================================================== */

/* finish_switch's rarer cases: an exit, a goroutine for the global queue. */
static GORO_NOINLINE void finish_switch_slow(goro__m *m) {
  switch (m->after) {
  case AFTER_FREE:
#if defined(GORO_TSAN)
    goro__san_fiber_free(m->after_g->san_fiber);
    m->after_g->san_fiber = NULL;
#endif
    stk_push_hot(m->p, m->after_g->slot);
    grecord_put(m->p, m->after_g);
    break;
  case AFTER_GLOBAL:
    globrunq_put(m->after_g);
    goro__wakep();
    break;
  case AFTER_LONELY:
    globrunq_put(m->after_g); /* no wakep: a busy P will poll it */
    break;
  }
  m->after = AFTER_NONE;
}

/* Finishes, for the context that just left this M, what it could not do
 * itself (invariant S). Runs on whatever context resumed. The common cases
 * inline: a yielder to its P's ring, a parker's unlock. */
static inline void finish_switch(goro__m *m) {
  switch (m->after) {
  case AFTER_NONE:
    return;
  case AFTER_RUNQ:
    runq_put_tail(m->p, m->after_g);
    break;
  case AFTER_UNLOCK:
    if (m->after_fn)
      m->after_fn(m->after_arg);
    break;
  default:
    finish_switch_slow(m);
    return;
  }
  m->after = AFTER_NONE;
}

/* The sanitizers' view of a switch (sanitizer.h); free otherwise. */
#if defined(GORO_ASAN) || defined(GORO_TSAN)
/* A goroutine arriving on m also acquires m's start (m_main): TSan writes
 * a thread's TLS block when the thread starts, and errno and other
 * thread-locals live there. */
#define SAN_TO_G(fake, g)                                                      \
  (goro__san_switch((fake), goro__slot_lo((g)->slot), goro__stack_size,       \
                    (g)->san_fiber),                                           \
   goro__hb_acquire(&m->san_fiber))
#define SAN_TO_G0(fake, m)                                                     \
  goro__san_switch((fake), (m)->g0_lo, (m)->g0_size, (m)->san_fiber)
#define SAN_FAKE(x) (&(x)->san_fake)
#else
#define SAN_TO_G(fake, g) ((void)0)
#define SAN_TO_G0(fake, m) ((void)0)
#define SAN_FAKE(x) NULL
#endif

/* Drops a goroutine abandoned by goro_run: it is runnable, so it is in no
 * wait queue, and nothing refers to its stack. */
GORO_NOINLINE static void gdrop(goro__p *p, goro__g *g) {
  store_relaxed(&p->ngo, p->ngo - 1);
#ifdef GORO_ASAN
  /* What an abandoned goroutine points to stays reachable for
   * LeakSanitizer, as for one still parked (lsan_roots_at_exit): its used
   * stack becomes a root region for good, and the slot and the record are
   * never reused. (Recycling them made the same program report a leak or
   * not depending on whether the goroutine was dropped before the exit.) */
  if (g->sp) {
    char *top = goro__slot_lo(g->slot) + goro__stack_size;
    __lsan_register_root_region(g->sp, (size_t)(top - (char *)g->sp));
  }
  store_relaxed(&g->status, G_DEAD); /* for dumps; its stack is registered */
  return;
#endif
  stk_push_cold(p, g->slot);
  grecord_put(p, g);
}

/* A bonus P is needed while the hog it stands in for has not switched. */
static inline bool bonus_needed(goro__p *p) {
  return load_relaxed(&p->bonus_for->schedtick) == p->bonus_tick &&
         load_relaxed(&p->bonus_for->status) == P_BUSY;
}

/* The next goroutine of p to switch to directly, or NULL. Sets *to_g0
 * when the M must go through its scheduler context even if p has local
 * work: p is being retired, or a timer is due. Timers never fire here,
 * because a parking goroutine still holds its object's lock at this point
 * and a timer's function may need that lock; g0 fires them, lock-free. */
/* The clock for pick_next's timer check: the reading the parking
 * operation already made (goro_sleep's, a few ns old), else a fresh one.
 * A few ns early only defers a due timer to the next switch. */
static inline int64_t pick_now(void) {
  goro__m *m = goro__m_get();
  int64_t now = m->now_hint;
  if (now) {
    m->now_hint = 0;
    return now;
  }
  return goro__nanotime();
}

static goro__g *pick_next(goro__p *p, bool *to_g0) {
  goro__g *g;
  store_relaxed(&p->schedtick, p->schedtick + 1);
  if (unlikely(p->id >= load_relaxed(&sched.gomaxprocs) &&
               (!p->bonus_for || !bonus_needed(p))) ||
      (unlikely(goro__timers_pending()) &&
       goro__timers_next() <= pick_now())) {
    *to_g0 = true;
    return NULL;
  }
  *to_g0 = false;
  if (unlikely(goro__seed_mode))
    seed_shuffle(p);
  for (;;) {
    g = NULL;
    if (unlikely(--p->globtick == 0)) {
      p->globtick = 61;
      if (!load_relaxed(&sched.runqsize))
        goto local;

      goro__lock_acquire(&sched.lock);
      g = globrunq_get(p, 1);
      goro__lock_release(&sched.lock);
    }
  local:
    if (!g)
      g = runq_get(p);
    if (likely(!g || g->epoch == load_relaxed(&sched.epoch)))
      return g;
    gdrop(p, g);
  }
}

/* What a goroutine does when it is resumed, maybe on another M: the
 * leftovers of the context that left (finish_switch), then its own errno. */
static inline __attribute__((always_inline)) void switched_back(goro__g *g) {
#if defined(GORO_ASAN) || defined(GORO_TSAN)
  goro__san_arrived(g->san_fake);
  goro__hb_acquire(g); /* whoever readied us happened before this */
#endif
  finish_switch(goro__m_get());
  errno_set(g->saved_errno);
}

/* Leaves the running goroutine g for next, which has run before. m->after
 * must be set. Returns when g is resumed. Only g is live across the
 * switch, so goro__yield, which inlines this, saves one register of its
 * own (the switch saves the caller's). */
static inline __attribute__((always_inline)) void
switch_to_started(goro__m *m, goro__g *g, goro__g *next) {
  g->saved_errno = errno_get();
  store_relaxed(&m->curg, next);
  store_relaxed(&next->status, G_RUNNING);
  SAN_TO_G(SAN_FAKE(g), next);
  goro__ctx_switch(&g->sp, next->sp);
  switched_back(g);
}

/* Leaves g for next, maybe still to be started, or for the M's g0 (next
 * NULL). m->after must be set. */
static GORO_NOINLINE void switch_out(goro__m *m, goro__g *g, goro__g *next) {
  if (next && unlikely(!next->sp)) {
    if (m->after == AFTER_UNLOCK) {
      /* Not with the parker's lock held (the top of the file): g0
       * releases it, then starts next. ParkedGoroutines at P=2, where
       * the other P's goroutines slept on the channel's lock for 10 ms
       * and more while a chunk was armed and the monitor took them for
       * hogs: 16.8-19.6 -> 11.2 s to park 1,000,000. */
      m->g0_next = next;
      next = NULL;
    } else {
      first_frame(m->p, next); /* keeps errno */
    }
  }
  if (next) {
    switch_to_started(m, g, next);
    return;
  }
  g->saved_errno = errno_get();
  store_relaxed(&m->curg, NULL);
  SAN_TO_G0(SAN_FAKE(g), m);
  goro__ctx_switch(&g->sp, m->g0_sp);
  switched_back(g);
}

static GORO_NORETURN void goexit0(void);

/* Every goroutine starts here, on its own stack. */
static void g_start(void) {
  goro__san_arrived(NULL);
  goro__m *m = goro__m_get();
  finish_switch(m);
  goro__g *g = m->curg;
  goro__hb_acquire(g); /* the go statement happened before the start */
  g->fn(g->arg);
  goexit0();
}

static GORO_NORETURN void goexit0(void) {
  goro__m *m = goro__m_get();
  goro__g *g = m->curg;
  goro__p *p = m->p;
  store_relaxed(&g->status, G_DEAD);
  if (likely(!(g->flags & G_FLAG_MAIN)))
    store_relaxed(&p->ngo, p->ngo - 1);
  bool to_g0;
  goro__g *next = pick_next(p, &to_g0);
  m->after = AFTER_FREE;
  m->after_g = g;
  if (next) {
    if (unlikely(!next->sp))
      first_frame(p, next);
    store_relaxed(&m->curg, next);
    store_relaxed(&next->status, G_RUNNING);
    SAN_TO_G(NULL, next); /* NULL: this stack is gone for ASan */
    goro__ctx_switch(&g->sp, next->sp);
  } else {
    store_relaxed(&m->curg, NULL);
    SAN_TO_G0(NULL, m);
    goro__ctx_switch(&g->sp, m->g0_sp);
  }
  __builtin_unreachable();
}

void goro__park(void (*unlockf)(void *), void *arg, const char *reason) {
  goro__m *m = goro__m_get();
  goro__g *g = m->curg;
  GORO_ASSERT(g != NULL);
  if (unlikely(!load_relaxed(&sched.started)))
    fatal_forked(); /* the only way a goroutine sees the runtime stopped */
  g->wait_reason = reason;
  g->wait_since = goro__wait_clock();
  store_relaxed(&g->status, G_WAITING);
  bool to_g0;
  goro__g *next = pick_next(m->p, &to_g0);
  m->after = AFTER_UNLOCK;
  m->after_fn = unlockf;
  m->after_arg = arg;
  switch_out(m, g, next);
}

void goro__ready(goro__g *g) {
  goro__hb_release(g); /* pairs with the acquire when g resumes */
  store_relaxed(&g->status, G_RUNNABLE);
  goro__m *m = goro__m_get();
  if (m && m->p) {
    if (runq_put(m->p, g, true))
      goro__wakep();
  } else {
    globrunq_put(g);
    goro__wakep();
  }
}

/* ======================================================================
 * Finding work (on g0)
 * ==================================================================== */

static void resetspinning(goro__m *m) {
  m->spinning = false;
  /* The last spinner found work: there may be more, keep one looking. */
  if (add_fetch_seq(&sched.nmspinning, (uint32_t)-1) == 0)
    goro__wakep();
}

/* Hands p back when goro_maxprocs shrank below it. sched.lock held. */
static void retire_p(goro__m *m, goro__p *p) {
  goro__g *g;
  while ((g = runq_get(p)) != NULL) {
    g->schedlink = NULL;
    if (sched.runqtail)
      sched.runqtail->schedlink = g;
    else
      sched.runqhead = g;
    sched.runqtail = g;
    store_relaxed(&sched.runqsize, sched.runqsize + 1);
  }
  store_relaxed(&p->status, P_DEAD);
  store_relaxed(&p->m, NULL);
  sched.nbusy--;
  m->p = NULL;
  solo_on();
}

static void acquirep(goro__m *m, goro__p *p) {
  m->p = p;
  store_relaxed(&p->m, m);
}

/* Sleeps until startm hands this M a P, or (as the poll M) until the next
 * timer is due or I/O is ready. sched.lock held on entry, released on
 * return.
 *
 * Only while a P is idle does an M become the poll M: what it wakes for
 * needs a P to run. With every P busy, a poll M would take each event as
 * it comes, find no P, put the goroutine on the global queue and poll
 * again: a thread waking per event, on the busy Ps' CPUs, while those Ps
 * would have collected the same events in batches when they ran out of
 * work (findrunnable polls, and the monitor polls a P that never does).
 * Go's M that wakes from netpoll to find no P does not poll again either:
 * it injects the goroutines and sleeps on its note. TCPEcho1000 at one
 * processor, where such an M polled 6,000-45,000 times a run: medians of
 * 14 interleaved pairs, 8,105 -> 6,926 ns per round trip, server CPU
 * 8,050 -> 6,822 ns, p99 16.2 -> 12.8 ms. A goroutine whose I/O turns
 * ready while every P stays busy now waits for a P to run out of work or
 * for the monitor's poll (10 ms), as in Go. */
static void stopm(goro__m *m) {
  int64_t deadline = -1;
  int64_t next = goro__timers_next();
  const goro__poller *np = load_acq(&goro__netpoll_active);
  bool poller = false;
  if (!sched.poll_m && sched.pidle &&
      (next != INT64_MAX || (np && load_relaxed(&goro__netpoll_waiters) > 0))) {
    sched.poll_m = m;
    sched.poll_until = next == INT64_MAX ? INT64_MAX : next;
    deadline = next == INT64_MAX ? -1 : next;
    poller = true;
  } else {
    m->link = sched.midle;
    sched.midle = m;
  }
  if (sched.nbusy == 0)
    goro__checkdead();
  goro__lock_release(&sched.lock);

  if (poller && np) {
    /* Sleep in the poller: I/O, the next timer, or a brk() ends it. */
    int64_t delay = deadline < 0 ? -1 : deadline - goro__nanotime();
    np->poll(delay < 0 && deadline >= 0 ? 0 : delay);
  } else {
    /* Acquire pairs with the release store in startm / the timer poke. */
    while (load_acq(&m->note) == 0) {
      goro__futex_wait(&m->note, 0, deadline);
      if (poller && goro__nanotime() >= deadline)
        break;
    }
  }

  if (poller) {
    /* The note is cleared under the lock, after any poke: poke_poll_m
     * (sched.lock held) may set it just after this M woke on its own, and
     * a note left set would make the next stopm return at once with this M
     * still on midle, where startm could hand it a P while it sleeps in
     * the poller, out of reach of the note (a P lost, everything stops:
     * io_close hung 2 in 20 runs under TSan and load). */
    goro__lock_acquire(&sched.lock);
    if (sched.poll_m == m)
      sched.poll_m = NULL;
    store_relaxed(&m->note, 0);
    goro__lock_release(&sched.lock);
  } else {
    store_relaxed(&m->note, 0);
  }
}

/* Wakes the poll M wherever it sleeps: on its note or in the poller.
 * sched.lock held. */
static void poke_poll_m(goro__m *pm) {
  sched.poll_m = NULL;
  store_rel(&pm->note, 1);
  goro__futex_wake(&pm->note, 1);
  const goro__poller *np = load_acq(&goro__netpoll_active);
  if (np)
    np->brk();
}

bool goro__sched_try_acquire_p(void) {
  goro__m *m = goro__m_get();
  if (!m)
    return false;
  if (m->p)
    return true;
  goro__lock_acquire(&sched.lock);
  goro__p *p = pidle_get();
  goro__lock_release(&sched.lock);
  if (!p)
    return false;
  acquirep(m, p);
  return true;
}

/* Pokes the poll M because a timer now fires before its deadline, or
 * starts an M when none is around to fire it. */
GORO_HIDDEN void goro__timer_added(int64_t when) {
  goro__lock_acquire(&sched.lock);
  goro__m *pm = sched.poll_m;
  if (pm && when < sched.poll_until) {
    poke_poll_m(pm);
  } else if (!pm && sched.nbusy == 0) {
    wakep_nolock();
  }
  goro__lock_release(&sched.lock);
}

static goro__g *steal_work(goro__m *m, goro__p *p) {
  int procs = load_relaxed(&sched.gomaxprocs);
  for (int round = 0; round < 4; round++) {
    uint32_t start = goro__rand_n(&m->rand, (uint32_t)procs);
    for (int i = 0; i < procs; i++) {
      goro__p *v = sched.allp[(start + (uint32_t)i) % (uint32_t)procs];
      if (!v || v == p)
        continue;
      goro__g *g = runq_steal(p, v, round == 3);
      if (g)
        return g;
    }
  }
  return NULL;
}

static bool any_runq_work(bool skip_global) {
  int procs = load_relaxed(&sched.gomaxprocs);
  for (int i = 0; i < procs; i++) {
    goro__p *v = sched.allp[i];
    if (v && !runq_empty(v))
      return true;
  }
  /* With skip_global, a busy P will take the global queue's work. */
  return load_relaxed(&sched.runqsize) != 0 &&
         !(skip_global && load_relaxed(&sched.nbusy) > 0);
}

/* Returns a goroutine to run; m holds a P on return. */
static goro__g *findrunnable(goro__m *m) {
  goro__g *g;
  if (m->g0_next) {
    /* Picked by the goroutine that parked (switch_out). */
    g = m->g0_next;
    m->g0_next = NULL;
    return g;
  }
top:;
  goro__p *p = m->p;
  if (!p) {
    /* Woken without a P: by a due timer. Take an idle P if there is one;
     * if every P is busy, they fire timers at their next switch. */
    goro__lock_acquire(&sched.lock);
    p = pidle_get();
    if (!p) {
      stopm(m);
      goto handed;
    }
    goro__lock_release(&sched.lock);
    acquirep(m, p);
  }
  if (unlikely(p->id >= load_relaxed(&sched.gomaxprocs)) &&
      (!p->bonus_for || !bonus_needed(p))) {
    goro__lock_acquire(&sched.lock);
    p->bonus_for = NULL;
    retire_p(m, p);
    if (m->spinning) {
      m->spinning = false;
      fetch_add_seq(&sched.nmspinning, (uint32_t)-1);
    }
    wakep_nolock(); /* its goroutines went to the global queue */
    stopm(m);
    goto handed;
  }

  if (goro__timers_pending() && goro__timers_next() <= goro__nanotime())
    goro__timers_run(goro__nanotime());
  bool to_g0;
  if ((g = pick_next(p, &to_g0)) != NULL)
    goto found;
  if (to_g0)
    goto top; /* retiring, or more timers came due */
  if (m->skip_global && load_relaxed(&sched.nbusy) < 2)
    m->skip_global = false; /* nobody else would run it */
  if (load_relaxed(&sched.runqsize) && !m->skip_global) {
    goro__lock_acquire(&sched.lock);
    g = globrunq_get(p, 0);
    goro__lock_release(&sched.lock);
    if (g)
      goto found;
  }
  /* I/O that is ready now: its goroutines land on this P (runq). */
  const goro__poller *np = load_acq(&goro__netpoll_active);
  if (np && load_relaxed(&goro__netpoll_waiters) > 0) {
    store_relaxed(&sched.lastpoll, goro__nanotime_coarse());
    if (np->poll(0) > 0 && (g = runq_get(p)) != NULL)
      goto found;
  }

  /* Steal, if spinning is allowed: at most half the busy Ps. */
  int procs = load_relaxed(&sched.gomaxprocs);
  if (m->spinning || 2 * load_seq(&sched.nmspinning) <
                         (uint32_t)procs - load_seq(&sched.npidle)) {
    if (!m->spinning) {
      m->spinning = true;
      fetch_add_seq(&sched.nmspinning, 1);
    }
    int64_t spin_until = 0;
    for (int iter = 0;; iter++) {
      if ((g = steal_work(m, p)) != NULL)
        goto found;
      if ((g = runq_get(p)) != NULL) /* a timer may have readied one */
        goto found;
      if (load_relaxed(&sched.runqsize) && !m->skip_global) {
        goro__lock_acquire(&sched.lock);
        g = globrunq_get(p, 0);
        goro__lock_release(&sched.lock);
        if (g)
          goto found;
      }
      if (goro__timers_pending() && goro__timers_next() <= goro__nanotime()) {
        goro__timers_run(goro__nanotime());
        continue;
      }
      /* I/O that came ready while we spin (Go's findrunnable polls here
       * too): without it, a reply lands only once this M gives up. */
      if (np && load_relaxed(&goro__netpoll_waiters) > 0 && np->poll(0) > 0 &&
          (g = runq_get(p)) != NULL)
        goto found;
      /* Even alone (one P) keep looking for a moment: threads outside
       * the runtime feed the global queue. */
      int64_t now = goro__nanotime();
      if (iter == 0)
        spin_until = now + SPIN_NS;
      else if (now >= spin_until)
        break;
      /* Space the attempts out: each one reads the victims' queue lines,
       * which their owners are writing all the time. */
      for (int i = 0; i < 400; i++)
        cpu_relax();
    }
  }

  /* Give up the P. */
  goro__lock_acquire(&sched.lock);
  if (sched.runqsize && !(m->skip_global && sched.nbusy > 1)) {
    g = globrunq_get(p, 0);
    goro__lock_release(&sched.lock);
    goto found;
  }
  m->p = NULL;
  if (p->bonus_for) {
    p->bonus_for = NULL;
    m->p = p;
    retire_p(m, p); /* a bonus P with nothing to do is done */
  } else {
    pidle_put(p);
  }
  goro__lock_release(&sched.lock);

  if (m->spinning) {
    m->spinning = false;
    /* Dekker with wakep, see the top of the file. */
    fetch_add_seq(&sched.nmspinning, (uint32_t)-1);
    if (any_runq_work(m->skip_global)) {
      goro__lock_acquire(&sched.lock);
      p = pidle_get();
      goro__lock_release(&sched.lock);
      if (p) {
        acquirep(m, p);
        m->spinning = true;
        fetch_add_seq(&sched.nmspinning, 1);
        goto top;
      }
    }
  }

  goro__lock_acquire(&sched.lock);
  m->skip_global = false; /* asleep, it takes nothing from anyone */
  stopm(m);
handed:
  /* startm handed us a P (maybe spinning), or a timer is due. */
  if (m->nextp) {
    acquirep(m, m->nextp);
    m->nextp = NULL;
  }
  goto top;

found:
  m->skip_global = false;
  if (m->spinning)
    resetspinning(m);
  return g;
}

/* ======================================================================
 * Ms: worker threads
 * ==================================================================== */

static void execute(goro__m *m, goro__g *g) {
  if (unlikely(!g->sp))
    first_frame(m->p, g);
  store_relaxed(&m->curg, g);
  store_relaxed(&g->status, G_RUNNING);
  SAN_TO_G(SAN_FAKE(m), g);
  goro__ctx_switch(&m->g0_sp, g->sp);
#if defined(GORO_ASAN) || defined(GORO_TSAN)
  goro__san_arrived(m->san_fake);
#endif
  finish_switch(m); /* g0 never changes threads: m is still ours */
}

static void *m_main(void *arg) {
  goro__m *m = arg;
  tls_m = m;
  m->tid = (pid_t)syscall(SYS_gettid);
  if ((char *)&errno - goro__tp() != goro__errno_off)
    goro__fatal("errno is not at a fixed offset from the thread pointer");
  /* Into locals first: under TSan the libc calls' writes are seen, and this
   * thread's start is not ordered after newm's (sanitizer.h). */
  pthread_attr_t attr;
  void *lo = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &lo, &size);
    pthread_attr_destroy(&attr);
  }
  m->g0_lo = lo;
  m->g0_size = size;
#if defined(GORO_ASAN) || defined(GORO_TSAN)
  m->san_fiber = goro__san_fiber_current();
  goro__hb_release(&m->san_fiber); /* see SAN_TO_G */
#endif
  if (m->altstack) {
    stack_t ss = {.ss_sp = m->altstack, .ss_size = 64 * 1024, .ss_flags = 0};
    sigaltstack(&ss, NULL);
  }
  if (m->nextp) {
    acquirep(m, m->nextp);
    m->nextp = NULL;
  }
  for (;;)
    execute(m, findrunnable(m));
  return NULL;
}

/* Creates a worker thread for p. sched.lock held. */
static bool newm(goro__p *p, bool spinning) {
  static bool warned;
  goro__m *m = goro__aligned_alloc(GORO_CACHELINE, sizeof(goro__m));
  if (!m)
    return false;
  memset(m, 0, sizeof(*m));
  m->id = (int)sched.nm;
  m->nextp = p;
  m->spinning = spinning;
  m->rand = (uint64_t)goro__nanotime() ^ ((uint64_t)(uintptr_t)m << 17);
  m->altstack = goro__altstack_new();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t th;
  /* Counted before it exists, so the deadlock check never sees a thread
   * it cannot account for. */
  sched.nm++;
  goro__san_sync_ignore_begin();
  int rc = goro__fault(GORO_FAULT_THREAD) ? EAGAIN
                                         : pthread_create(&th, &attr, m_main, m);
  goro__san_sync_ignore_end();
  pthread_attr_destroy(&attr);
  if (rc == 0 && sched.nm == 1 && !goro__seed_mode)
    goro__sysmon_start(); /* with the first worker (sched.lock held) */
  if (rc != 0) {
    sched.nm--;
    if (!warned) {
      warned = true;
      goro__printf("goro: cannot create a worker thread: %s\n", strerror(rc));
    }
    if (m->altstack)
      munmap(m->altstack, 64 * 1024);
    free(m);
    return false;
  }
  return true;
}

/* Gives p (or an idle P) to an idle or new M. sched.lock held. */
static void startm_locked(goro__p *p, bool spinning) {
  if (!p) {
    p = pidle_get();
    if (!p) {
      if (spinning)
        fetch_add_seq(&sched.nmspinning, (uint32_t)-1);
      return;
    }
  }
  goro__m *m = midle_get();
  /* An M on midle sleeps on its note, which nobody else has set. */
  GORO_ASSERT(!m || (load_relaxed(&m->note) == 0 && m != sched.poll_m));
  if (!m) {
    if (!newm(p, spinning)) {
      pidle_put(p);
      if (spinning)
        fetch_add_seq(&sched.nmspinning, (uint32_t)-1);
    }
    return;
  }
  m->spinning = spinning;
  m->nextp = p;
  /* Release pairs with the acquire load in stopm. */
  store_rel(&m->note, 1);
  goro__futex_wake(&m->note, 1);
}

static void startm(goro__p *p, bool spinning) {
  goro__lock_acquire(&sched.lock);
  startm_locked(p, spinning);
  goro__lock_release(&sched.lock);
}

void goro__wakep(void) {
  /* seq_cst loads: the submitter's half of the Dekker pair. */
  if (load_seq(&sched.npidle) == 0)
    return;
  uint32_t zero = 0;
  if (load_seq(&sched.nmspinning) != 0 ||
      !cas_seq(&sched.nmspinning, &zero, 1))
    return;
  startm(NULL, true);
}

static void wakep_nolock(void) {
  if (load_seq(&sched.npidle) == 0)
    return;
  uint32_t zero = 0;
  if (load_seq(&sched.nmspinning) != 0 ||
      !cas_seq(&sched.nmspinning, &zero, 1))
    return;
  startm_locked(NULL, true);
}

/* ======================================================================
 * Start-up
 * ==================================================================== */

static int default_procs(void) {
  cpu_set_t set;
  int n = 1;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    n = CPU_COUNT(&set);
  else
    n = (int)sysconf(_SC_NPROCESSORS_ONLN);
  /* cgroup v2 CPU quota: "max 100000" or "150000 100000". */
  FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
  if (f) {
    char q[32];
    long period;
    if (fscanf(f, "%31s %ld", q, &period) == 2 && strcmp(q, "max") != 0 &&
        period > 0) {
      long quota = atol(q);
      int lim = (int)((quota + period - 1) / period);
      if (lim >= 1 && lim < n)
        n = lim;
    }
    fclose(f);
  }
  return n < 1 ? 1 : n;
}

static goro__p *p_new(int id) {
  goro__p *p = goro__aligned_alloc(GORO_CACHELINE, sizeof(goro__p));
  if (!p)
    return NULL;
  memset(p, 0, sizeof(*p));
  p->id = id;
  p->globtick = 61;
  p->status = P_DEAD; /* until it joins the idle list */
  p->rand = (uint64_t)goro__nanotime() * 0x9E3779B97F4A7C15ULL + (uint64_t)id;
  return p;
}

/* Start-up runs under init_mu until it succeeds once; a start that ran
 * out of memory (or was made to, GORO_FAULT) keeps what it allocated and
 * the next call to the API tries again. */
static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
static bool forked;

/* In a child of fork() only the forking thread exists: the workers, the
 * monitor and any lock they held are gone. Using the runtime there cannot
 * work, so every entry point that reaches the slow start-up path, and every
 * park, reports it instead of hanging. fork() followed by exec() is fine. */
static void atfork_child(void) {
  forked = true;
  store_relaxed(&sched.started, 0);
}

static GORO_NORETURN void fatal_forked(void) {
  goro__fatal("goro: the runtime was used in a child process after fork() "
              "without exec(); a forked child may only exec or _exit");
}

#ifdef GORO_ASAN
/* LeakSanitizer and goroutine stacks. A pointer that only a parked
 * goroutine's stack holds is no leak, so LSan must scan those stacks; but
 * only their used part: [sp, top) of a switched-out goroutine, the whole
 * stack only for one running elsewhere. Registering every slot whole (as
 * this once did) had LSan read 256 KiB per slot at exit, and on kernels
 * that map no shared zero page for reads of untouched anonymous memory
 * (the 6.18 build this project is tested on) that committed every page:
 * 24 GiB and the OOM killer for 100,000 pooled stacks (time_many). The
 * regions are registered at exit, by a handler that atexit runs before
 * LSan's own (registered earlier, at ASan's start). */
static void lsan_root(goro__g *g, void *self) {
  uint32_t st = load_relaxed(&g->status);
  if (st == G_IDLE || st == G_DEAD || !g->slot)
    return;
  char *lo = goro__slot_lo(g->slot), *top = lo + goro__stack_size;
  char *from = lo; /* running on another M: its sp is unknown */
  if (g == self)
    from = (char *)__builtin_frame_address(0);
  else if (st != G_RUNNING && g->sp)
    from = g->sp;
  else if (st != G_RUNNING)
    return; /* never run: nothing on its stack yet */
  if (from >= lo && from < top)
    __lsan_register_root_region(from, (size_t)(top - from));
}
static void lsan_roots_at_exit(void) { goro__g_each(lsan_root, goro__g_get()); }
#endif

static int runtime_init(void) {
  static bool stack_done;
  int saved_errno = errno; /* start-up opens files that may not exist */
  if (!stack_done) {
    goro__stack_init();
#ifdef GORO_ASAN
    atexit(lsan_roots_at_exit);
#endif
    stack_done = true;
  }
  int procs = default_procs();
  const char *e = getenv("GORO_MAXPROCS");
  if (e && *e) {
    int v = atoi(e);
    if (v >= 1)
      procs = v;
  }
  if (procs > GORO__MAX_PROCS)
    procs = GORO__MAX_PROCS;
  e = getenv("GORO_SEED");
  if (e && *e) {
    goro__seed_mode = true;
    seed_rng = strtoull(e, NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
    procs = 1;
  }
  if (!sched.allp)
    sched.allp = goro__calloc(GORO__MAX_PROCS, sizeof(goro__p *));
  if (!sched.allp)
    return -ENOMEM;
  for (int i = 0; i < procs; i++)
    if (!sched.allp[i] && !(sched.allp[i] = p_new(i)))
      return -ENOMEM; /* the Ps made so far stay for the next try */
  for (int i = procs - 1; i >= 0; i--) {
    sched.nbusy++; /* pidle_put counts it back down */
    pidle_put(sched.allp[i]);
  }
  store_relaxed(&sched.gomaxprocs, procs);
  solo_able = syscall(SYS_membarrier,
                      MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  solo_on();
  goro__signals_init();
  pthread_atfork(NULL, NULL, atfork_child);
  errno = saved_errno;
  store_rel(&sched.started, 1);
  return 0;
}

int goro__runtime_init_slow(void) {
  if (unlikely(forked))
    fatal_forked();
  if (load_acq(&sched.started))
    return 0;
  pthread_mutex_lock(&init_mu);
  int err = load_relaxed(&sched.started) ? 0 : runtime_init();
  pthread_mutex_unlock(&init_mu);
  return err;
}

/* ======================================================================
 * Threads blocked in the API
 * ==================================================================== */

void goro__block(goro__waiter *w, void (*unlockf)(void *), void *arg,
                 const char *reason) {
  if (w->g) {
    goro__park(unlockf, arg, reason);
    return;
  }
  GORO_ASSERT(goro__m_get() == NULL || goro__m_get()->curg == NULL);
  goro__blocked rec = {.tid = (pid_t)syscall(SYS_gettid),
                       .reason = reason,
                       .since = goro__nanotime_coarse()};
  goro__lock_acquire(&sched.lock);
  fetch_add_seq(&sched.nblocked, 1);
  rec.next = sched.blocked;
  if (sched.blocked)
    sched.blocked->prev = &rec;
  sched.blocked = &rec;
  if (sched.nbusy == 0 && load_acq(&sched.started))
    goro__checkdead();
  goro__lock_release(&sched.lock);
  if (unlockf)
    unlockf(arg);
  /* Acquire pairs with the release store in goro__wake. */
  while (load_acq(&w->futex) == 0)
    goro__futex_wait(&w->futex, 0, -1);
  goro__lock_acquire(&sched.lock);
  if (rec.prev)
    rec.prev->next = rec.next;
  else
    sched.blocked = rec.next;
  if (rec.next)
    rec.next->prev = rec.prev;
  goro__lock_release(&sched.lock);
}

void goro__wake(goro__waiter *w) {
  if (w->g) {
    goro__ready(w->g);
    return;
  }
  /* No longer blocked from here on: the deadlock check must not count a
   * thread that is about to run. */
  fetch_add_seq(&sched.nblocked, -1);
  store_rel(&w->futex, 1);
  goro__futex_wake(&w->futex, 1);
}

/* ======================================================================
 * Deadlock detection
 * ==================================================================== */

/* Calls keep(taskdir, tid, ctx) for every task (thread) of this process
 * and returns how many it kept, or -1. No malloc: count_threads runs under
 * sched.lock, so the directory is read with getdents64 into a stack
 * buffer. */
static int tasks_count(bool (*keep)(int taskdir, const char *tid, void *ctx),
                       void *ctx) {
  int dfd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  char buf[4096];
  int n = 0;
  long r;
  while ((r = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
    for (long off = 0; off < r;) {
      /* struct linux_dirent64: ino, off (8 bytes each), reclen (2), type
       * (1), then the name. */
      unsigned short reclen;
      memcpy(&reclen, buf + off + 16, sizeof(reclen));
      const char *name = buf + off + 19;
      if (name[0] != '.' && keep(dfd, name, ctx))
        n++;
      off += reclen;
    }
  }
  close(dfd);
  return r < 0 ? -1 : n;
}

#ifdef GORO_TSAN
/* ThreadSanitizer starts a thread of its own (memory flushes, reports) at
 * the process's first pthread_create, named like the program, so no name
 * tells it apart. A constructor makes that first call itself, with a
 * thread that returns at once, and remembers the threads it then finds
 * besides itself and the one it made: TSan's. Only if the process was
 * single-threaded before (a constructor of a library loaded later could
 * see the user's threads); otherwise deadlocks stay undetected under TSan,
 * as before. */
static long san_helpers[4];
static int nsan_helpers;

struct tid_list {
  long tid[8];
  int n;
};

static bool tid_collect(int taskdir, const char *tid, void *ctx) {
  (void)taskdir;
  struct tid_list *l = ctx;
  if (l->n < 8)
    l->tid[l->n++] = atol(tid);
  return true;
}

/* This process's tasks, or -1 if there are more than 8 or none could be
 * read. */
static int san_tasks(struct tid_list *l) {
  l->n = 0;
  int n = tasks_count(tid_collect, l);
  return n > 8 ? -1 : n;
}

static long san_probe_tid;
static void *san_probe(void *arg) {
  store_rel(&san_probe_tid, (long)syscall(SYS_gettid));
  return arg;
}

__attribute__((constructor)) static void san_helpers_find(void) {
  struct tid_list l;
  if (san_tasks(&l) != 1)
    return;
  pthread_t th;
  if (pthread_create(&th, NULL, san_probe, NULL) != 0)
    return;
  pthread_join(th, NULL);
  long probe = load_acq(&san_probe_tid), self = (long)syscall(SYS_gettid);
  /* The probe's task can linger in the list for a moment after the join. */
  for (int tries = 0; tries < 1000; tries++) {
    int n = san_tasks(&l);
    if (n < 0)
      return;
    bool lingering = false;
    for (int i = 0; i < n; i++)
      lingering |= l.tid[i] == probe;
    if (!lingering) {
      for (int i = 0; i < n; i++)
        if (l.tid[i] != self && nsan_helpers < 4)
          san_helpers[nsan_helpers++] = l.tid[i];
      return;
    }
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
}
#endif

/* Whether task `tid` of this process is a helper that can never call into
 * the runtime by itself: the kernel's io_uring workers ("iou-wrk-N",
 * "iou-sqp-N"), which come and go as the kernel needs them, and the file
 * pool's threads ("goro-io", io_file.c), which act only for a goroutine
 * that waits on them (and is counted in goro__netpoll_waiters meanwhile);
 * under ThreadSanitizer, its own thread too. */
static bool helper_task(int taskdir, const char *tid) {
#ifdef GORO_TSAN
  for (int i = 0; i < nsan_helpers; i++)
    if (san_helpers[i] == atol(tid))
      return true;
#endif
  char path[64], comm[32];
  snprintf(path, sizeof(path), "%s/comm", tid);
  int fd = openat(taskdir, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t k = read(fd, comm, sizeof(comm) - 1);
  close(fd);
  if (k <= 0)
    return false;
  comm[k] = 0;
  return strncmp(comm, "iou-", 4) == 0 || strncmp(comm, "goro-io", 7) == 0;
}

static bool not_helper_counted(int taskdir, const char *tid, void *ctx) {
  ++*(int *)ctx;
  return !helper_task(taskdir, tid);
}

/* The kernel's count of this process's threads (field 20 of
 * /proc/self/stat, after the parenthesised name), or -1. */
static int stat_threads(void) {
  char buf[1024];
  const char *f = goro__proc_stat_field("/proc/self/stat", buf, sizeof buf, 20);
  return f ? atoi(f) : -1;
}

/* The process's threads, less the helpers, or -1 if no consistent count
 * could be had. Called under sched.lock. Reading /proc/self/task is not a
 * snapshot: when a thread exits during the walk, the kernel's iteration
 * can stop at it and miss the threads after it (a running producer thread
 * went uncounted that way, and chan_stress reported a deadlock that was
 * not one, about 1 run in 400 under load). So the walk counts only if it
 * found as many tasks as the kernel's thread count read before and after
 * it, unchanged; a few retries cover a thread that is just exiting. */
static int count_threads(void) {
  for (int attempt = 0; attempt < 8; attempt++) {
    int before = stat_threads();
    int all = 0;
    int n = tasks_count(not_helper_counted, &all);
    int after = stat_threads();
    if (n >= 0 && before > 0 && before == after && all == before)
      return n;
    sched_yield();
  }
  return -1;
}

/* sched.lock held, every P idle. */
void goro__checkdead(void) {
  if (load_seq(&sched.nblocked) <= 0)
    return; /* some thread outside the runtime is still running */
  /* The waiters first: a waker makes its goroutine runnable before it
   * uncounts it (goro__io_waiters_done), so a zero here means the
   * goroutine shows in the run queues or nbusy read next. */
  if (load_seq(&goro__netpoll_waiters) > 0 || load_seq(&sched.nsyscall) > 0)
    return; /* a peer's I/O or a blocking call can still wake someone */
  if (sched.runqsize != 0 || sched.nbusy != 0 || goro__timers_pending())
    return; /* work, or a timer that will make some */
  int threads = count_threads();
  if (threads < 0 || threads != (int)sched.nm + load_seq(&sched.nblocked))
    return; /* a thread we do not know may still call in */
  goro__fatal("all goroutines are asleep - deadlock!");
}

void goro__checkdead_idle(void) {
  if (load_seq(&sched.nbusy) != 0)
    return; /* a running P will check when it idles */
  goro__lock_acquire(&sched.lock);
  if (sched.nbusy == 0)
    goro__checkdead();
  goro__lock_release(&sched.lock);
}

/* ======================================================================
 * The public Runtime API
 * ==================================================================== */

/* A thread spawned g, but no worker thread exists and none could be made:
 * take g back out of the global queue. Returns true if it did. */
static bool unspawn_if_no_m(goro__g *g) {
  bool found = false;
  goro__lock_acquire(&sched.lock);
  if (sched.nm == 0) {
    goro__g **pp = &sched.runqhead, *prev = NULL;
    while (*pp && *pp != g) {
      prev = *pp;
      pp = &(*pp)->schedlink;
    }
    if (*pp) {
      *pp = g->schedlink;
      if (sched.runqtail == g)
        sched.runqtail = prev;
      store_relaxed(&sched.runqsize, sched.runqsize - 1);
      found = true;
    }
  }
  goro__lock_release(&sched.lock);
  if (found) {
    fetch_add_seq(&sched.ngo_threads, -1);
    goro__stack_put(&g->slot, 1);
    store_relaxed(&g->status, G_DEAD);
    goro__lock_acquire(&sched.lock);
    gfree_glob[ngfree_glob++] = g; /* room: the capacity covers every record */
    goro__lock_release(&sched.lock);
  }
  return found;
}

int64_t goro_go_at(void (*fn)(void *), void *arg, const char *file,
                   int line) {
  if (!fn)
    return -EINVAL;
  int err = goro__runtime_init();
  if (err)
    return err;
  goro__m *m = goro__m_get();
  goro__p *p = m ? m->p : NULL;
  void *slot;
  err = stk_reserve(p, &slot);
  if (err && stk_reclaim_idle(&slot) == 0)
    err = 0;
  if (err)
    return err;
  goro__g *g = grecord_get(p);
  if (!g) {
    goro__stack_put(&slot, 1);
    return -ENOMEM;
  }
  g->slot = slot;
  g->sp = NULL; /* the first run lays out the frame (first_frame) */
  goro__g *self = m ? m->curg : NULL;
  g->fn = fn;
  g->arg = arg;
  g->file = file;
  g->line = line;
  g->flags = 0;
  g->param = NULL;
  g->waiting = NULL;
  g->wait_reason = NULL;
  g->parent = self ? self->id : 0;
  g->epoch = load_relaxed(&sched.epoch);
  g->id = goid_new(p);
  goro__hb_release(g); /* pairs with the acquire in g_start */
  store_relaxed(&g->status, G_RUNNABLE);
  if (p) {
    store_relaxed(&p->ngo, p->ngo + 1);
    runq_put(p, g, true);
  } else {
    fetch_add_seq(&sched.ngo_threads, 1);
    globrunq_put(g);
  }
  goro__wakep();
  if (unlikely(!p && load_relaxed(&sched.nm) == 0) && unspawn_if_no_m(g))
    return -EAGAIN; /* not one worker thread could be created */
  return g->id;
}

#undef goro_go
int64_t goro_go(void (*fn)(void *), void *arg) {
  return goro_go_at(fn, arg, "?", 0);
}

/* goro__yield's cases but the common one. */
static GORO_NOINLINE void yield_slow(goro__m *m, goro__g *g) {
  if (!g) {
    sched_yield();
    return;
  }
  if (unlikely(g->epoch != load_relaxed(&sched.epoch)))
    goexit0(); /* abandoned by goro_run: never resumed, not even here */
  goro__p *p = m->p;
  bool to_g0;
  goro__g *next = pick_next(p, &to_g0);
  if (!next && !to_g0) {
    if (!load_relaxed(&sched.runqsize)) {
      /* Nothing else wants to run. Callers that yield in a loop are
       * usually waiting for another processor to write something: one
       * pause lets that store through without delaying the reader much
       * (a PAUSE is some 65 cycles on the EPYC measured here). */
      cpu_relax();
      if (likely(++p->lonely < 64) || load_relaxed(&sched.nbusy) < 2)
        return;
      /* A goroutine alone on its P, spinning on yield while another P is
       * busy, is waiting for something over there (a yield ping-pong
       * split across cores costs a cross-CPU round trip per turn, and
       * much more when the OS deschedules either thread). Join the busy
       * P: go to the global queue, which it polls every 61 switches, and
       * let this P idle. (Go's Gosched always goes through the global
       * queue and gets this for free.) */
      p->lonely = 0;
      store_relaxed(&g->status, G_RUNNABLE);
      m->skip_global = true;
      m->after = AFTER_LONELY;
      m->after_g = g;
      switch_out(m, g, NULL);
      return;
    }
    goro__lock_acquire(&sched.lock);
    next = globrunq_get(p, 0);
    goro__lock_release(&sched.lock);
    if (!next)
      return;
  }
  p->lonely = 0;
  store_relaxed(&g->status, G_RUNNABLE);
  m->after = AFTER_RUNQ;
  m->after_g = g;
  switch_out(m, g, next);
}

/* goro_yield's body. On x86-64 goro_yield itself is a few instructions of
 * yield_x86_64.S around it, which return to the caller with an indirect
 * jump (see there); elsewhere it is the C function after this one.
 *
 * The common case alone, so that it saves no more registers than it uses
 * (the switch saves the caller's): pick_next's work without its call when
 * nothing is in runnext, no timer exists, no global-queue turn is due, not
 * the deterministic mode, a P in service, and the head of the ring has run
 * before. Split from the rest, Gosched at P=1 went from 77.3M to 65.0M
 * instructions (callgrind, 200,000 rounds) and from 18.1 to 15.4 ns per
 * switch (medians of 8 interleaved runs). */
void goro__yield(void) {
  goro__m *m = goro__m_get();
  goro__g *g = m ? m->curg : NULL;
  if (likely(g)) {
    goro__p *p = m->p;
    uint32_t epoch = load_relaxed(&sched.epoch);
    if (likely(g->epoch == epoch && p->globtick > 1 &&
               !load_relaxed(&p->runnext) &&
               load_relaxed(&goro__timers_gmin) == INT64_MAX &&
               !goro__seed_mode &&
               p->id < load_relaxed(&sched.gomaxprocs))) {
      uint32_t h = load_acq(&p->runqhead);
      if (h != p->runqtail) {
        goro__g *next = p->runq[h % GORO__RUNQ];
        /* As in runq_get; a lost race goes the long way. */
        if (next->epoch == epoch && runq_take_head(p, h)) {
          p->globtick--;
          store_relaxed(&p->schedtick, p->schedtick + 1);
          p->lonely = 0;
          store_relaxed(&g->status, G_RUNNABLE);
          m->after = AFTER_RUNQ;
          m->after_g = g;
          /* next is ours now: its sp is no thief's to write. */
          if (unlikely(!next->sp))
            switch_out(m, g, next);
          else
            switch_to_started(m, g, next);
          return;
        }
      }
    }
  }
  yield_slow(m, g);
}

#if !defined(__x86_64__)
void goro_yield(void) { goro__yield(); }
#endif

void goro_exit(void) {
  goro__g *g = goro__g_get();
  if (!g)
    pthread_exit(NULL);
  goexit0();
}

int64_t goro_self(void) {
  goro__g *g = goro__g_get();
  return g ? g->id : 0;
}

int goro_maxprocs(int n) {
  if (goro__runtime_init())
    return 1;
  goro__lock_acquire(&sched.lock);
  int old = sched.gomaxprocs;
  if (n > GORO__MAX_PROCS)
    n = GORO__MAX_PROCS;
  if (goro__seed_mode)
    n = 0; /* one processor, always */
  if (n > 0 && n != old) {
    if (n > old) {
      solo_off(); /* before any new P can steal */
      for (int i = old; i < n; i++) {
        goro__p *p = sched.allp[i];
        if (!p) {
          p = p_new(i);
          if (!p) {
            n = i;
            break;
          }
          store_rel(&sched.allp[i], p);
        }
        /* A P still busy retiring simply stays; a dead one comes back. */
        if (p->status == P_DEAD) {
          sched.nbusy++;
          pidle_put(p);
        }
      }
    } else {
      /* Idle Ps beyond n leave the idle list now; busy ones retire at
       * their next switch (pick_next sends their M to g0). */
      goro__p **pp = &sched.pidle;
      while (*pp) {
        goro__p *p = *pp;
        if (p->id >= n) {
          *pp = p->link;
          p->status = P_DEAD;
          fetch_add_seq(&sched.npidle, (uint32_t)-1);
        } else {
          pp = &p->link;
        }
      }
    }
    store_relaxed(&sched.gomaxprocs, n);
    solo_on();
  }
  goro__lock_release(&sched.lock);
  if (n > old)
    for (int i = old; i < n; i++)
      goro__wakep();
  return old;
}

/* ---- marked blocking calls (entersyscall / exitsyscall) ------------------
 * Entering, the owner publishes P_SYSCALL: from then on the monitor may
 * take the P (CAS to P_BUSY, now its own) and hand it to another M. Leaving,
 * the owner CASes P_SYSCALL back to P_BUSY; if that fails the P is gone,
 * and the goroutine either gets an idle P or goes to the global queue while
 * this M idles. Between the two, the goroutine runs no runtime code (so it
 * touches none of the P's state): that is the contract of goro_blocking. */
void goro_blocking_begin(void) {
  goro__m *m = goro__m_get();
  if (!m || !m->curg)
    return;
  goro__p *p = m->p;
  store_relaxed(&p->syscalltick, p->syscalltick + 1);
  m->curg->wait_reason = "blocking call";
  m->curg->wait_since = goro__nanotime_coarse();
  fetch_add_seq(&sched.nsyscall, 1); /* checkdead: this one may wake others */
  /* Release: everything this P did before is visible to a retaker. */
  store_rel(&p->status, P_SYSCALL);
}

void goro_blocking_end(void) {
  goro__m *m = goro__m_get();
  if (!m || !m->curg)
    return;
  goro__p *p = m->p;
  goro__g *g = m->curg;
  g->wait_reason = NULL;
  fetch_add_seq(&sched.nsyscall, -1);
  uint32_t st = P_SYSCALL;
  if (likely(cas_acq_rel(&p->status, &st, P_BUSY)))
    return;
  /* The monitor retook the P. Any idle P will do. */
  m->p = NULL;
  goro__lock_acquire(&sched.lock);
  p = pidle_get();
  goro__lock_release(&sched.lock);
  if (p) {
    acquirep(m, p);
    return;
  }
  /* None: queue the goroutine globally and let this M idle (g0 picks it up
   * with no P, finds none, and sleeps). */
  store_relaxed(&g->status, G_RUNNABLE);
  m->after = AFTER_GLOBAL;
  m->after_g = g;
  switch_out(m, g, NULL);
}

void goro_blocking(void (*fn)(void *), void *arg) {
  if (!fn)
    return;
  goro_blocking_begin();
  fn(arg);
  goro_blocking_end();
}

bool goro__retake_syscall(goro__p *p) {
  uint32_t st = P_SYSCALL;
  if (!cas_acq_rel(&p->status, &st, P_BUSY))
    return false;
  /* p is ours now; its old M will find out when its call returns. */
  goro__lock_acquire(&sched.lock);
  store_relaxed(&p->m, NULL);
  if (!runq_empty(p) || sched.runqsize || goro__timers_pending()) {
    startm_locked(p, false);
  } else {
    pidle_put(p);
  }
  goro__lock_release(&sched.lock);
  return true;
}

bool goro__hog_has_victims(goro__p *p) {
  return !runq_empty(p) || load_relaxed(&sched.runqsize) ||
         (goro__timers_pending() && goro__timers_next() <= goro__nanotime());
}

static int rescue_hog_visit(goro__p *p, uint32_t tick,
                            void (*report)(int moved, void *ctx), void *ctx) {
  /* Take its queued goroutines, as a thief would (runnext too). */
  goro__g *batch[GORO__RUNQ];
  int moved = 0;
  for (;;) {
    uint32_t n = runq_grab(p, batch, 0, true);
    if (n == 0)
      break;
    for (uint32_t i = 0; i < n; i++) {
      batch[i]->schedlink = i + 1 < n ? batch[i + 1] : NULL;
    }
    globrunq_put_batch(batch[0], batch[n - 1], n);
    moved += (int)n;
  }
  if (moved == 0 && !goro__hog_has_victims(p))
    return 0;
  if (moved > 0 && report)
    report(moved, ctx); /* before they can run and the program can end */
  goro__lock_acquire(&sched.lock);
  if (sched.npidle > 0) {
    wakep_nolock();
  } else if (load_relaxed(&p->schedtick) == tick) {
    /* No P to spare: run the queue on a bonus P beyond GORO_MAXPROCS,
     * which retires once the hog switches or the work runs out. One per
     * hog, and no more bonus Ps than GORO_MAXPROCS in all: the goroutines
     * moved to the global queue wait for the existing ones otherwise. */
    int procs = sched.gomaxprocs, id = -1, nbonus = 0;
    for (int i = procs; i < GORO__MAX_PROCS; i++) {
      goro__p *b = sched.allp[i];
      if (b && load_relaxed(&b->status) != P_DEAD) {
        if (b->bonus_for == p)
          nbonus = procs; /* this hog has one: that is enough */
        nbonus++;
        continue;
      }
      if (id < 0)
        id = i;
    }
    if (nbonus >= procs)
      id = -1;
    if (id >= 0) {
      goro__p *b = sched.allp[id];
      if (!b) {
        b = p_new(id);
        if (b)
          store_rel(&sched.allp[id], b);
      }
      if (b) {
        b->bonus_for = p;
        b->bonus_tick = tick;
        store_relaxed(&b->status, P_BUSY);
        sched.nbusy++;
        startm_locked(b, false);
      }
    }
  }
  goro__lock_release(&sched.lock);
  return moved;
}

int goro__rescue_hog(goro__p *p, uint32_t tick,
                     void (*report)(int moved, void *ctx), void *ctx) {
  /* A visit to p's queue: solo stays off until it is over (a bonus P
   * retiring meanwhile must not turn it back on), and comes back once the
   * hog switches (goro__solo_retry). */
  if (solo_able) {
    goro__lock_acquire(&sched.lock);
    sched.nvisit++;
    solo_off();
    goro__lock_release(&sched.lock);
  }
  int moved = rescue_hog_visit(p, tick, report, ctx);
  if (solo_able) {
    goro__lock_acquire(&sched.lock);
    sched.nvisit--;
    goro__lock_release(&sched.lock);
  }
  return moved;
}

int goro_proc(void) {
  goro__m *m = goro__m_get();
  return m && m->curg && m->p ? m->p->id : -1;
}

int64_t goro_count(void) {
  if (!load_acq(&sched.started))
    return 0;
  int64_t n = load_relaxed(&sched.ngo_threads);
  for (int i = 0; i < GORO__MAX_PROCS; i++) {
    goro__p *p = load_acq(&sched.allp[i]);
    if (!p)
      break;
    n += load_relaxed(&p->ngo);
  }
  return n;
}

int64_t goro_now(void) { return goro__nanotime(); }

/* ---- goro_run ---------------------------------------------------------- */

typedef struct run_ctx {
  void (*fn)(void *);
  void *arg;
  goro__lock lock;
  bool done;
  goro__waiter *waiting;
} run_ctx;

static void run_unlock(void *arg) { goro__lock_release(&((run_ctx *)arg)->lock); }

static void run_main(void *arg) {
  run_ctx *c = arg;
  c->fn(c->arg);
  goro__hb_release(c); /* main_fn's return happens before goro_run's */
  /* Not counted by goro_count once goro_run has returned (goexit0 skips
   * the decrement for the main goroutine). */
  goro__m *m = goro__m_get();
  m->curg->flags |= G_FLAG_MAIN;
  store_relaxed(&m->p->ngo, m->p->ngo - 1);
  /* Every goroutine alive now is abandoned: never resumed again. */
  fetch_add_seq(&sched.epoch, 1);
  goro__lock_acquire(&c->lock);
  c->done = true;
  goro__waiter *w = c->waiting;
  goro__lock_release(&c->lock);
  if (w)
    goro__wake(w);
}

int goro_run(void (*main_fn)(void *), void *arg) {
  if (!main_fn)
    return -EINVAL;
  run_ctx c = {.fn = main_fn, .arg = arg, .lock = GORO__LOCK_INIT};
  int64_t id = goro_go_at(run_main, &c, "goro_run", 0);
  if (id < 0)
    return (int)id;
  goro__waiter w;
  goro__waiter_init(&w);
  goro__lock_acquire(&c.lock);
  if (c.done) {
    goro__lock_release(&c.lock);
    goro__hb_acquire(&c);
    return 0;
  }
  c.waiting = &w;
  goro__block(&w, run_unlock, &c, "goro_run (main goroutine)");
  goro__hb_acquire(&c);
  return 0;
}
