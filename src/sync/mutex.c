/*
 * mutex.c: sync.Mutex, Go's design (sync/mutex.go) on the runtime
 * semaphore of sema.h.
 *
 * state (m->_s._word, int32, atomic):
 *   bit 0  LOCKED    someone holds the mutex
 *   bit 1  WOKEN     a waiter is awake and competing (spinning, or just
 *                    woken); Unlock then need not wake another
 *   bit 2  STARVING  starvation mode (below)
 *   >> 3            the number of waiters blocked on the semaphore
 * The semaphore (m->_s: count, queue) is where waiters sleep.
 *
 * Normal mode. Lock is one CAS of 0 -> LOCKED. A contender spins (Go's
 * runtime_canSpin: a few rounds, only while another processor is running,
 * so the holder is likely on a CPU) and sets WOKEN while it spins so
 * Unlock does not wake a second waiter for nothing. Then it counts itself
 * in the waiters and sleeps on the semaphore, FIFO. A woken waiter does not
 * own the mutex: it competes with goroutines that just arrived (and are
 * already on a CPU), and often loses. That is what makes normal mode fast.
 *
 * Starvation mode. A waiter that loses and has waited more than 1 ms sets
 * STARVING. From then on Unlock hands the mutex straight to the first
 * waiter (the semaphore's handoff) and newcomers do not even try to take
 * it or spin: they queue at the tail. A waiter woken after it had already
 * waited goes back to the head of the queue (lifo), so order is kept. The
 * waiter that finds itself the last one, or that waited less than 1 ms,
 * switches back to normal mode.
 *
 * Every RMW on state is sequentially consistent (Go's atomics are). Lock's
 * successful CAS acquires; Unlock's add releases: they pair with each
 * other, and the hand-off in starvation mode is ordered by the semaphore
 * (its lock and the wake-up).
 *
 * The fast paths are also inlined into callers from goro.h (as Go inlines
 * Lock and Unlock); the slow paths here are what they call. For
 * ThreadSanitizer builds, Lock ends with an acquire and Unlock starts with
 * a release on the state word's address (sanitizer.h; nothing otherwise):
 * the same address an instrumented caller's inlined atomics use, so TSan
 * pairs an inlined Unlock with a slow Lock and the other way round.
 */
#include "sema.h"


#define HB(m) (&(m)->_s._word)

enum {
  M_LOCKED = 1,
  M_WOKEN = 2,
  M_STARVING = 4,
  M_WAITER_SHIFT = 3,
};
#define STARVATION_NS 1000000 /* 1 ms, Go's starvationThresholdNs */

static inline void do_spin(void) {
  for (int i = 0; i < 30; i++) /* Go's procyield(30) */
    cpu_relax();
}

static GORO_NOINLINE void lock_slow(goro_mutex *m, const char *reason) {
  int32_t *state = &m->_s._word;
  int64_t wait_start = 0;
  bool starving = false, awoke = false;
  int iter = 0;
  int32_t old = load_relaxed(state);
  for (;;) {
    /* Spin only in normal mode while the mutex is held. */
    if ((old & (M_LOCKED | M_STARVING)) == M_LOCKED && goro__can_spin(iter)) {
      /* Tell Unlock not to wake another waiter while we are awake. */
      if (!awoke && !(old & M_WOKEN) && (old >> M_WAITER_SHIFT) != 0 &&
          cas_seq(state, &old, old | M_WOKEN))
        awoke = true;
      do_spin();
      iter++;
      old = load_relaxed(state);
      continue;
    }
    int32_t new = old;
    if (!(old & M_STARVING))
      new |= M_LOCKED; /* never try to take a starving mutex */
    if (old & (M_LOCKED | M_STARVING))
      new += 1 << M_WAITER_SHIFT;
    /* Only switch to starvation while the mutex is held: Unlock expects
     * waiters in starvation mode. */
    if (starving && (old & M_LOCKED))
      new |= M_STARVING;
    if (awoke) {
      if (!(new & M_WOKEN))
        goro__fatal("sync: inconsistent mutex state");
      new &= ~M_WOKEN;
    }
    if (!cas_seq(state, &old, new))
      continue; /* old was reloaded by the failed CAS */
    if (!(old & (M_LOCKED | M_STARVING))) {
      goro__hb_acquire(HB(m));
      return; /* took it with the CAS */
    }
    /* Waited before: back to the head of the queue. */
    bool lifo = wait_start != 0;
    if (!wait_start)
      wait_start = goro__protocol_nanotime();
    goro__semacquire(&m->_s, lifo, reason);
    starving = starving ||
               goro__protocol_nanotime() - wait_start > STARVATION_NS;
    old = load_seq(state);
    if (old & M_STARVING) {
      /* Handed to us: LOCKED is clear, and we are still counted as a
       * waiter. Take it and uncount ourselves. */
      if ((old & (M_LOCKED | M_WOKEN)) || (old >> M_WAITER_SHIFT) == 0)
        goro__fatal("sync: inconsistent mutex state");
      int32_t delta = M_LOCKED - (1 << M_WAITER_SHIFT);
      if (!starving || (old >> M_WAITER_SHIFT) == 1)
        delta -= M_STARVING; /* last waiter, or not late: back to normal */
      fetch_add_seq(state, delta);
      goro__hb_acquire(HB(m));
      return;
    }
    awoke = true;
    iter = 0;
  }
}

void goro__mutex_lock_as(goro_mutex *m, const char *reason) {
  int32_t zero = 0;
  if (likely(cas_seq(&m->_s._word, &zero, M_LOCKED))) {
    goro__hb_acquire(HB(m));
    return;
  }
  lock_slow(m, reason);
}

void goro_mutex_lock(goro_mutex *m) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  int32_t zero = 0;
  /* The fast path: one CAS. Acquire pairs with Unlock's release. */
  if (likely(cas_seq(&m->_s._word, &zero, M_LOCKED))) {
    goro__hb_acquire(HB(m));
    return;
  }
  lock_slow(m, "sync.Mutex.Lock");
}

/* Behind the inlined fast path (goro.h): its CAS failed. */
void goro__mutex_lock_slow(goro_mutex *m) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  lock_slow(m, "sync.Mutex.Lock");
}

int goro_mutex_trylock(goro_mutex *m) {
  int32_t old = load_relaxed(&m->_s._word);
  if (old & (M_LOCKED | M_STARVING))
    return 0;
  /* No spinning, no waiting: there may be waiters, and then we barge in,
   * as a newcomer in normal mode does. */
  if (!cas_seq(&m->_s._word, &old, old | M_LOCKED))
    return 0;
  goro__hb_acquire(HB(m));
  return 1;
}

static GORO_NOINLINE void unlock_slow(goro_mutex *m, int32_t new,
                                      bool yield) {
  int32_t *state = &m->_s._word;
  if (!((new + M_LOCKED) & M_LOCKED))
    goro__fatal("sync: unlock of unlocked mutex");
  if (!(new & M_STARVING)) {
    int32_t old = new;
    for (;;) {
      /* Nobody to wake, or a waiter is already awake, or someone took the
       * mutex meanwhile (it will wake the next one). */
      if ((old >> M_WAITER_SHIFT) == 0 ||
          (old & (M_LOCKED | M_WOKEN | M_STARVING)))
        return;
      new = (old - (1 << M_WAITER_SHIFT)) | M_WOKEN;
      if (cas_seq(state, &old, new)) {
        goro__semrelease(&m->_s, 0);
        return;
      }
    }
  }
  /* Starvation mode: hand the mutex to the first waiter. LOCKED stays
   * clear; the waiter sets it. STARVING keeps newcomers out meanwhile. */
  goro__semrelease(&m->_s,
                   GORO__SEM_HANDOFF | (yield ? 0 : GORO__SEM_NOYIELD));
}

void goro_mutex_unlock(goro_mutex *m) {
  goro__hb_release(HB(m));
  /* Release pairs with the acquiring CAS of the next Lock. */
  int32_t new = __atomic_add_fetch(&m->_s._word, -M_LOCKED, __ATOMIC_SEQ_CST);
  if (unlikely(new != 0))
    unlock_slow(m, new, true);
}

/* Behind the inlined fast path (goro.h): its add left waiters or flags
 * (or found the mutex unlocked). The caller's own instrumentation covers
 * the add; the release edge here is for an uninstrumented caller. */
void goro__mutex_unlock_slow(goro_mutex *m, int32_t state) {
  goro__hb_release(HB(m));
  unlock_slow(m, state, true);
}

void goro__mutex_unlock_noyield(goro_mutex *m) {
  goro__hb_release(HB(m));
  int32_t new = __atomic_add_fetch(&m->_s._word, -M_LOCKED, __ATOMIC_SEQ_CST);
  if (unlikely(new != 0))
    unlock_slow(m, new, false);
}
