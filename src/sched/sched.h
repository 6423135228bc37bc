/*
 * sched.h: the scheduler's objects, G, M and P, in Go's shape.
 *
 * Glossary
 *   G   a goroutine: a stack slot and a saved context. The goro__g record
 *       (128 bytes) lives in a slab and is never freed; dead records are
 *       recycled through per-P caches. A parked goroutine costs one stack
 *       page and its record.
 *   M   a worker thread. Its own pthread stack is the "g0" context, where
 *       the scheduling loop runs when no goroutine is ready to switch to.
 *   P   a processor: the right to run goroutines, with a local run queue.
 *       There are GORO_MAXPROCS of them; an M runs goroutines only while
 *       it holds a P.
 *
 * The protocol (run queues, spinning, parking and wake-ups, and their
 * memory ordering) is written down at the top of proc.c.
 *
 * Ownership legend for fields: [owner] only the P's or M's own thread
 * touches it; [atomic] accessed with atomics, see the pairing comment;
 * [sched.lock] guarded by sched.lock; [switch] handed over with the context
 * switch (written before it, read after it on the same thread).
 */
#ifndef GORO_SCHED_H
#define GORO_SCHED_H

#include "../internal.h"
#include "../stack.h"
#include "sanitizer.h"

#include <pthread.h>
#include <sys/types.h>

typedef struct goro__g goro__g;
typedef struct goro__m goro__m;
typedef struct goro__p goro__p;
typedef struct goro__waiter goro__waiter;

/* ---- G ------------------------------------------------------------------ */

enum {
  G_IDLE = 0, /* a fresh record, never used */
  G_RUNNABLE, /* on a run queue, or about to be */
  G_RUNNING,  /* on an M */
  G_WAITING,  /* parked: some object holds a waiter for it */
  G_DEAD,     /* exited; the record sits in a free list */
};

enum { G_FLAG_MAIN = 1 };

/* Records are allocated in slabs and never freed (like Go's allgs), so a
 * dump can walk every goroutine without locks. 128 bytes: two lines. */
struct goro__g {
  goro__g *schedlink;   /* global run queue / free list link [owner of list] */
  void *sp;             /* saved context while not running; NULL until the
                           first run lays out its frame [switch] */
  void (*fn)(void *);
  void *arg;
  void *slot;           /* its stack slot (stack.h) */
  int64_t id;
  uint32_t status;      /* G_* [atomic: relaxed; dumps read it racily] */
  uint32_t flags;
  int saved_errno;      /* [switch] */
  uint32_t epoch;       /* goro_run generation; older ones are abandoned */
  const char *file;     /* spawn site, for dumps */
  int line;
  const char *wait_reason; /* set when parking, for dumps */
  int64_t wait_since;   /* coarse clock at park */
  int64_t parent;       /* id of the goroutine that spawned it, 0: a thread */
  void *param;          /* written by the waker before goro__ready */
  goro__waiter *waiting; /* select: this G's waiters, owned by the G */
#if defined(GORO_ASAN) || defined(GORO_TSAN)
  void *san_fake;   /* ASan's fake-stack slot while switched out */
  void *san_fiber;  /* TSan's fiber, from the first run to the exit */
#endif
} GORO_ALIGNED_CL;

/* Calls fn for every goroutine record ever allocated (dumps). Lock-free. */
GORO_HIDDEN void goro__g_each(void (*fn)(goro__g *, void *), void *ctx);

/* ---- P ------------------------------------------------------------------ */

/* Local run queue capacity (a power of two). Go's is 256; at 1024 a
 * goroutine that spawns a batch of 1,000 keeps them on its P, where the
 * other Ps steal them lock-free, instead of spilling most of them to the
 * global queue and its lock (CreateGoroutines at two processors: 65-75
 * -> 48-57 ns, interleaved runs). */
#define GORO__RUNQ 1024
#define GORO__MAX_PROCS 1024
#define GORO__STKCACHE 128 /* stack slots cached per P (a power of two) */
#define GORO__GCACHE 256   /* dead goroutine records cached per P */
#define GORO__GBATCH 32    /* records a P takes from the global set at once */

/* P_BUSY <-> P_SYSCALL change by CAS (the owner entering and leaving a
 * marked blocking call, the monitor retaking); every other change happens
 * under sched.lock. */
enum { P_IDLE = 0, P_BUSY, P_DEAD, P_SYSCALL };

struct goro__p {
  /* The run queue: a bounded lock-free ring. The owner pushes at tail and
   * pops at head; thieves pop at head. See proc.c for the ordering. */
  uint32_t runqhead;         /* [atomic] CAS by owner and thieves */
  uint32_t runqtail;         /* [atomic] stored only by the owner */
  goro__g *runq[GORO__RUNQ]; /* slots [head, tail) are valid */
  /* On a line of its own, away from runqhead and runqtail: a spinning M
   * reads those of every P while it looks for work, and the owner CASes
   * runnext at nearly every channel hand-off; sharing the line made each
   * such CAS a miss. P=2, medians of 7 interleaved runs: ChanProdCons0
   * 93 -> 87 ns per value, ChanProdCons1 54 -> 49, SelectProdCons 142 ->
   * 130. (Go's p has it after the ring, too.) */
  goro__g *runnext GORO_ALIGNED_CL; /* [atomic] CAS by owner and thieves */
  char runnext_pad[GORO_CACHELINE - sizeof(goro__g *)];

  int id;
  uint32_t status;    /* P_* [atomic; see the enum] */
  goro__p *link;      /* idle list [sched.lock] */
  goro__m *m;         /* holder, NULL when idle [owner] */
  uint32_t schedtick; /* switches made [owner; the monitor reads it] */
  uint32_t globtick;  /* counts down to the next poll of the global queue
                         (every 61st switch, as in Go) [owner] */
  uint32_t lonely;    /* yields in a row with nothing else to run [owner] */
  uint32_t taking;    /* odd while the owner takes from its queue without
                         a CAS (solo) [owner; solo_off reads it] */
  uint64_t rand;      /* [owner] */

  /* Dead goroutine records, a stack: the last freed (warmest) on top. An
   * empty cache takes GORO__GBATCH from the global set; a full one gives
   * back its colder half. [owner] */
  uint32_t ngfree;
  goro__g *gfree[GORO__GCACHE];
  /* Stack slots, a ring: the top end is hot (freed last, its pages warm in
   * cache), the bottom end cold (reserved by a spawn, never touched). */
  uint32_t stk_lo, stk_hi; /* [owner] ring indexes, hi - lo = count */
  void *stk[GORO__STKCACHE];

  int64_t goid_next, goid_end; /* a batch of goroutine ids [owner] */
  uint32_t syscalltick; /* marked blocking calls entered [owner; the
                           monitor reads it racily] */
  /* A bonus P runs the queue of a hog's P beyond GORO_MAXPROCS until the
   * hog yields (sysmon.c). [sched.lock to set; owner reads] */
  goro__p *bonus_for;
  uint32_t bonus_tick;
  int64_t ngo; /* goroutines spawned here minus exited here; [atomic:
                  relaxed, single writer, summed by goro_count] */
} GORO_ALIGNED_CL;

/* ---- M ------------------------------------------------------------------ */

/* What the context that resumes after a switch must finish for the one that
 * left: the leaver could not do it itself, because until its registers are
 * saved nobody else may run it (Go does this on g0 in mcall). */
enum {
  AFTER_NONE = 0,
  AFTER_RUNQ,   /* yield: put after_g on this P's run queue */
  AFTER_UNLOCK, /* park: call after_fn(after_arg), publishing the waiter */
  AFTER_FREE,   /* exit: after_g's stack goes to this P's free cache */
  AFTER_GLOBAL, /* after_g goes to the global queue (lost its P) */
  AFTER_LONELY, /* after_g goes to the global queue for a busier P */
};

struct goro__m {
  goro__g *curg; /* running goroutine, NULL on g0 [owner] */
  goro__p *p;    /* held P [owner] */
  void *g0_sp;   /* saved scheduler context [switch] */
  int after;     /* AFTER_* [switch] */
  goro__g *after_g;
  void (*after_fn)(void *);
  void *after_arg;
  goro__g *g0_next;   /* a fresh goroutine g0 is to start first: see
                         switch_out [owner] */

  int id;
  pid_t tid;
  bool spinning;      /* counted in sched.nmspinning [owner] */
  bool skip_global;   /* leave the global queue to the other busy Ps until
                         this M sleeps or runs something [owner] */
  goro__p *nextp;     /* P handed over by startm [sched.lock, then owner] */
  uint32_t note;      /* futex: 1 = woken [atomic] */
  goro__m *link;      /* idle list [sched.lock] */
  void *altstack;
  uint64_t rand;
  int64_t now_hint;   /* a clock reading for the next pick_next, or 0 */
  void *g0_lo;        /* the thread's own stack, for the sanitizers */
  size_t g0_size;
#if defined(GORO_ASAN) || defined(GORO_TSAN)
  void *san_fake;
  void *san_fiber;
#endif
} GORO_ALIGNED_CL;

/* ---- sched: the global state ---------------------------------------- */

typedef struct goro__sched {
  /* Grouped into cache lines by who writes them: a line that one CPU
   * writes costs every CPU that reads it a miss (about 230 ns one way
   * between this machine's two CPUs), so the fields every switch reads
   * share no line with anything written on a hot path. */

  /* Read at every switch; written only when the runtime starts or
   * GORO_MAXPROCS or goro_run's generation changes. */
  uint32_t started;     /* [atomic] set once the runtime is initialised */
  int gomaxprocs;       /* [atomic relaxed; written under lock] */
  uint32_t epoch;       /* goro_run generation [atomic] */
  uint32_t solo;        /* 1: only its owner touches a P's run queue
                           [atomic; written under lock] see proc.c "Solo" */
  goro__p **allp;       /* GORO__MAX_PROCS slots, filled lazily */

  /* The lock and what it guards. */
  goro__lock lock GORO_ALIGNED_CL;
  goro__p *pidle;       /* idle Ps [lock] */
  uint32_t nbusy;       /* Ps held or handed over, not idle [lock] */
  uint32_t nm;          /* threads created [lock] */
  goro__m *midle;       /* idle Ms, asleep with no deadline [lock] */
  goro__m *poll_m;      /* the idle M asleep until the next timer [lock] */
  int64_t poll_until;   /* its deadline [lock] */
  /* the global run queue [lock] */
  goro__g *runqhead, *runqtail;
  uint32_t runqsize;    /* [atomic relaxed reads as a hint; lock] */
  uint32_t sysmon_sleeping; /* the monitor sleeps until a P is busy [lock] */
  uint32_t nvisit;      /* hog rescues at work on a queue; solo waits [lock] */

  /* Spinning and idling: the Dekker pair of proc.c, written as Ms start
   * and stop looking for work, read by every wakep. */
  uint32_t npidle GORO_ALIGNED_CL; /* [atomic; written under lock] */
  uint32_t nmspinning;  /* [atomic seq_cst] see proc.c */

  /* Spawn counters. */
  int64_t goidgen GORO_ALIGNED_CL; /* [atomic] */
  int64_t ngo_threads;  /* goroutines spawned by threads without P [atomic] */

  /* The monitor, the poller and threads blocked in the API (deadlock
   * detection and dumps). */
  int32_t nblocked GORO_ALIGNED_CL; /* [atomic] not yet woken */
  int32_t nsyscall;     /* goroutines inside marked blocking calls [atomic] */
  int64_t lastpoll;     /* when the poller last ran [atomic relaxed] */
  int64_t sysmon_now;   /* the monitor's last clock reading [atomic relaxed] */
  uint32_t sysmon_note; /* its futex [atomic] */
  struct goro__blocked *blocked; /* list [lock] */
} goro__sched_t;

GORO_HIDDEN extern goro__sched_t goro__sched;

/* When a goroutine started waiting, for dumps ("[chan receive, 2
 * minutes]"): the monitor's last reading, at most its nap (10 ms) old
 * while anything runs; the coarse clock where no monitor runs. Reading a
 * clock at every park cost 5% of a sleep (the vDSO's lines go cold when
 * 100,000 goroutines take turns). */
static inline int64_t goro__wait_clock(void) {
  int64_t t = __atomic_load_n(&goro__sched.sysmon_now, __ATOMIC_RELAXED);
  return t ? t : goro__nanotime_coarse();
}

/* A thread (not a goroutine) blocked in the API. */
typedef struct goro__blocked {
  struct goro__blocked *next, *prev;
  pid_t tid;
  const char *reason;
  int64_t since;
} goro__blocked;

/* ---- entry points used across the runtime ------------------------------ */

/* The calling thread's M, NULL on a thread that is not a worker, and the
 * running goroutine, NULL on a thread that is not running one.
 *
 * A goroutine may resume on another thread after any switch, so these must
 * never be cached by the compiler across a call. They read the thread
 * pointer with a volatile asm (never merged or hoisted) plus the constant
 * offset of the runtime's initial-exec TLS slot, computed once at load. */
GORO_HIDDEN extern intptr_t goro__tls_m_off;
static inline char *goro__tp(void) {
  char *tp;
#if defined(__x86_64__)
  __asm__ __volatile__("mov %%fs:0, %0" : "=r"(tp)::"memory");
#elif defined(__aarch64__)
  __asm__ __volatile__("mrs %0, tpidr_el0" : "=r"(tp)::"memory");
#else
#error "goro: no thread pointer access for this architecture"
#endif
  return tp;
}
static inline goro__m *goro__m_get(void) {
  return *(goro__m **)(goro__tp() + goro__tls_m_off);
}
static inline goro__g *goro__g_get(void) {
  goro__m *m = goro__m_get();
  return m ? m->curg : NULL;
}

/* A fast random number for the calling thread (select's choice, stealing
 * order): the M's generator on a worker, a thread-local one elsewhere. */
GORO_HIDDEN uint64_t goro__fastrand(void);
static inline uint32_t goro__fastrand_n(uint32_t n) {
  return (uint32_t)(((goro__fastrand() >> 32) * (uint64_t)n) >> 32);
}

/* sync.Mutex's spin rule (Go's runtime_canSpin): true if spinning on a
 * lock for round `iter` (0, 1, ...) can pay: few rounds, more than one CPU,
 * some other P running (so the owner may be running), and nothing queued on
 * our own P that would rather run. */
GORO_HIDDEN bool goro__can_spin(int iter);

/* GORO_SEED=N: the deterministic mode. One processor, goroutines picked
 * at random from the run queue, select's choice from the same generator,
 * and random yields at scheduling points: the same seed replays the same
 * order of events (for programs that do not depend on timing). */
GORO_HIDDEN extern bool goro__seed_mode;
GORO_HIDDEN void goro__seed_point(void);
/* The deterministic mode's clock: 10 us per scheduling decision, so a
 * protocol that reads the time (the mutex's 1 ms starvation rule) replays
 * exactly. [the single M] */
GORO_HIDDEN extern int64_t goro__seed_clock;
/* The clock for protocol decisions: the seed clock in the deterministic
 * mode, the monotonic clock otherwise. */
static inline int64_t goro__protocol_nanotime(void) {
  if (unlikely(goro__seed_mode))
    return goro__seed_clock;
  return goro__nanotime();
}
/* A point where the deterministic mode may switch goroutines. Call it only
 * where the caller holds no lock: at the entry of a blocking operation. */
static inline void goro__sched_point(void) {
  if (unlikely(goro__seed_mode))
    goro__seed_point();
}

/* Starts the runtime on first use; 0 or -errno. */
GORO_HIDDEN int goro__runtime_init_slow(void);
static inline int goro__runtime_init(void) {
  if (likely(load_acq(&goro__sched.started)))
    return 0;
  return goro__runtime_init_slow();
}

/* Parks the running goroutine (gopark). The caller has published a waiter
 * for it somewhere (or nowhere: then it never wakes) and holds the lock that
 * guards it; unlockf(arg) runs once the goroutine's context is saved, so a
 * waker that takes the lock can only see a goroutine that is ready to be
 * resumed. reason names the wait in dumps ("chan receive"). Returns when
 * goro__ready made it runnable and a processor resumed it. */
GORO_HIDDEN void goro__park(void (*unlockf)(void *), void *arg,
                            const char *reason);

/* Makes a parked goroutine runnable (goready). From a goroutine (or g0)
 * holding a P it goes to that P's runnext slot, so a woken partner runs
 * next on the same core; another processor is woken only if this P already
 * has queued work. From any other thread it goes to the global queue and a
 * sleeping processor is woken. Call at most once per park. */
GORO_HIDDEN void goro__ready(goro__g *g);

/* Wakes an idle P if there is one and no M is spinning already. */
GORO_HIDDEN void goro__wakep(void);

/* goro_yield's body (proc.c); goro_yield wraps it (yield_x86_64.S). */
GORO_HIDDEN void goro__yield(void);

/* The monitor (sysmon.c) and the scheduler's services for it. */
GORO_HIDDEN void goro__sysmon_start(void);
/* Takes p from an M blocked in a marked call and hands it on. Returns true
 * if it did (p was still in P_SYSCALL). */
GORO_HIDDEN bool goro__retake_syscall(goro__p *p);
/* Turns solo back on if nothing but P 0 can run (proc.c "Solo"); the
 * monitor calls it when a hog it rescued has switched. */
GORO_HIDDEN void goro__solo_retry(void);
/* Whether anything waits on p's hog: its queue, the global queue, or a
 * due timer (a racy snapshot). */
GORO_HIDDEN bool goro__hog_has_victims(goro__p *p);
/* p has run one goroutine for too long: moves its queue to the global
 * queue and makes sure some other M runs it, on a bonus P if no P is idle.
 * report(hog, moved) runs in between (before anything moved can run), if
 * anything moved. Returns the number of goroutines moved. */
GORO_HIDDEN int goro__rescue_hog(goro__p *p, uint32_t tick,
                                 void (*report)(int moved, void *ctx),
                                 void *ctx);

/* Deadlock check; sched.lock held. */
GORO_HIDDEN void goro__checkdead(void);
/* The same check from a thread holding no lock (and maybe no P), when it
 * may have just made the runtime idle: a no-op while a P is busy. */
GORO_HIDDEN void goro__checkdead_idle(void);

/* Prints every goroutine and blocked thread (dump.c). */
GORO_HIDDEN void goro__dump_all(void);
/* Installs the SIGSEGV handler and sets up this thread's alternate stack. */
GORO_HIDDEN void goro__signals_init(void);
GORO_HIDDEN void *goro__altstack_new(void);

/* Timers the scheduler fires (timer.c). */
GORO_HIDDEN int64_t goro__timers_next(void); /* INT64_MAX if none */
GORO_HIDDEN int goro__timers_run(int64_t now); /* fires due timers */
GORO_HIDDEN extern int64_t goro__timers_gmin;
GORO_HIDDEN bool goro__timers_pending_slow(int64_t gmin);
/* Whether a timer this P would fire may be due (every switch asks): no
 * timer at all is one load. */
static inline bool goro__timers_pending(void) {
  int64_t g = __atomic_load_n(&goro__timers_gmin, __ATOMIC_RELAXED);
  return g != INT64_MAX && goro__timers_pending_slow(g);
}

#endif
