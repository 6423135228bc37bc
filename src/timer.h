/*
 * timer.h: the runtime's timers (Go's runtime timers, time.go), which the
 * scheduler fires. docs/timers.md tells the whole story with the numbers.
 *
 * A timer is a record owned by its user, often on a goroutine's stack. While
 * pending it sits in one of the timer heaps: one per processor (P), plus a
 * shared heap for timers added by threads that hold no P. A goroutine adds
 * to its own P's heap, so in the common case a heap is touched by one thread
 * only. Each heap has its own lock.
 *
 * Who fires what (timer.c has the details):
 *  - A running P checks its own heap and the shared heap at every switch
 *    (goro__timers_next, cheap) and goes to its scheduling context (g0) to
 *    fire what is due (goro__timers_run).
 *  - An M on g0 with no local work fires everything due anywhere (Go's
 *    stealWork): heaps of idle or retired Ps have no one else to fire them.
 *  - A busy P also fires another busy P's timers once they are overdue by
 *    STEAL_GRACE_NS: that P is stuck in a goroutine that does not yield.
 *  - The idle poll M (proc.c) sleeps until the earliest timer of all.
 *
 * The function. f(t, now) runs on g0 of some M with no lock held. It must
 * not block; it may ready goroutines, do non-blocking channel operations,
 * take object locks, spawn goroutines, and goro__timer_del its own timer
 * (which then does not re-arm) or other timers.
 *
 * States (t->state; [atomic], low 3 bits the state, the rest a firing
 * sequence number that makes every RUNNING period distinct):
 *
 *   IDLE --add--> PENDING --del--> IDLE          (del returns true)
 *                    |
 *                  popped by a firer (heap lock held), seq + 1
 *                    v
 *                 RUNNING --f returns--> IDLE        one-shot
 *                    |                 \-> PENDING   periodic: re-armed at
 *                    |                               the next multiple of
 *                    |                               the period
 *                 del from inside f: RUNNING|NOREARM, then IDLE when f returns
 *
 *  - Only the firer leaves RUNNING, after f returns, with a store-release
 *    that is its last access to t. goro__timer_del on a RUNNING timer waits
 *    for it (spinning, then yielding), unless called from t's own f. So when
 *    del returns, the timer is not pending, f is not running, and the owner
 *    may free or reuse it. (Never call del while holding a lock that f may
 *    take.)
 *  - GORO__TIMER_NOSTOP timers (sleeps, fire-and-forget timers) are never
 *    deleted: the heap does not track their position (cheaper sifts), and
 *    the firer forgets them before it calls f, so f may free t or let its
 *    owner return.
 *
 * Lock order: object locks (a timer function may take one) are never held
 * by a firer; a heap lock may be taken under an object lock (arming a
 * deadline), then the global-minimum lock, then sched.lock (internal.h).
 */
#ifndef GORO_TIMER_H
#define GORO_TIMER_H

#include "internal.h"

typedef struct goro__timer goro__timer;
typedef struct goro__theap goro__theap;

enum {
  GORO__TIMER_NOSTOP = 1, /* never deleted nor reset; f may free it */
};

struct goro__timer {
  int64_t when;   /* absolute, goro_now() clock [owner while IDLE; heap
                     lock while PENDING; firer while RUNNING] */
  int64_t period; /* > 0: periodic [same as when] */
  void (*f)(goro__timer *t, int64_t now);
  void *arg;
  goro__theap *heap; /* the heap holding it while PENDING [heap lock] */
  int32_t idx;       /* its index there (tracked timers) [heap lock] */
  uint32_t flags;    /* GORO__TIMER_* [immutable once added] */
  uint32_t state;    /* see above [atomic] */
};

static inline void goro__timer_init(goro__timer *t,
                                    void (*f)(goro__timer *, int64_t),
                                    void *arg, uint32_t flags) {
  t->when = 0;
  t->period = 0;
  t->f = f;
  t->arg = arg;
  t->heap = NULL;
  t->idx = -1;
  t->flags = flags;
  t->state = 0;
}

/* Arms t (IDLE) to fire at t->when (then every t->period if > 0).
 * Returns 0, or -ENOMEM if a heap could not grow (t stays IDLE). */
GORO_HIDDEN int goro__timer_add(goro__timer *t);

/* Disarms t. Returns true if it was pending (it will not fire), false if
 * it had already fired or been deleted. Waits for a running f, except from
 * inside t's own f. Not for GORO__TIMER_NOSTOP timers. */
GORO_HIDDEN bool goro__timer_del(goro__timer *t);

/* del, then add at `when`. Returns 1 or 0 as del's true or false, or
 * -ENOMEM (t is then disarmed). Not from inside t's own f. */
GORO_HIDDEN int goro__timer_reset(goro__timer *t, int64_t when);

/* Parks the calling goroutine until `when` (goro_sleep). No timer record:
 * the heap entry names the goroutine, and firing it is goro__ready. The
 * heap lock is released only once the goroutine's context is saved, so it
 * cannot be readied before it is parked. Returns false (not parked) if the
 * heap could not grow. */
GORO_HIDDEN bool goro__sleep_until(int64_t when, const char *reason);

/* proc.c: pokes the poll M when a timer is added that fires before the
 * poll M's deadline, or wakes a P when none is running. */
GORO_HIDDEN void goro__timer_added(int64_t when);

#endif
