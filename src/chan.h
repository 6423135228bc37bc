/*
 * chan.h: the channel object and the locked operations that chan.c and
 * select.c share. The design (the waiter protocol, lock order, invariants
 * and the fast paths) is written down at the top of chan.c and in
 * docs/channels.md; this header only states what each piece guarantees.
 */
#ifndef GORO_CHAN_H
#define GORO_CHAN_H

#include "../include/goro.h"
#include "sched/park.h"

#include <errno.h>
#include <string.h>

/*
 * The channel (Go's hchan).
 *
 * Invariants, with c->lock free:
 *  (Q) A waiter in sendq is a sender that found no receiver and no room;
 *      a waiter in recvq is a receiver that found no sender and no value.
 *      So at least one of sendq and recvq is empty, except (a) a select
 *      that sends and receives on this same channel waits in both, and (b)
 *      a select's waiter whose select was already won elsewhere may sit in
 *      either queue until its owner removes it (wakers skip such waiters).
 *  (B) Buffered: qcount <= dataqsiz; values sit in ring slots recvx, ...,
 *      recvx + qcount - 1 (mod dataqsiz); sendx == (recvx + qcount)
 *      mod dataqsiz. A waiting sender implies qcount == dataqsiz; a waiting
 *      receiver implies qcount == 0 (up to the exceptions of (Q)).
 *  (C) Closed: both queues are empty and stay empty (close woke everyone,
 *      and no operation enqueues on a closed channel). closed never goes
 *      back to 0.
 *
 * Fields say how they are accessed: [lock] only under c->lock; [imm]
 * written once by goro_chan_make; [lock, racy] written under the lock with
 * relaxed or release stores, read without it by the lock-free fast paths
 * (see "Fast paths" in chan.c for why each racy read is sound).
 */
struct goro_chan {
  /* First cache line: every field an operation writes. */
  uint32_t lock;     /* [atomic] 0 free, 1 held; see chan_lock */
  uint32_t closed;   /* [lock, racy] 0 open, 1 closed; store-release */
  size_t qcount;     /* [lock, racy] values in the ring */
  size_t sendx, recvx; /* [lock] ring indexes */
  goro__waitq recvq; /* [lock, racy head] waiting receivers, FIFO */
  goro__waitq sendq; /* [lock, racy head] waiting senders, FIFO */
  /* Second line: read-only after make, so both CPUs keep it cached while
   * the first one moves between them (the reference count is written only
   * by retain and release). */
  size_t dataqsiz;   /* [imm] capacity, 0: unbuffered */
  size_t elemsize;   /* [imm] may be 0 */
  uint32_t refs;       /* [atomic] references; frees at 0 */
  void (*fin)(void *); /* [owner before sharing] run by the last release */
  void *fin_arg;
  /* The ring follows at GORO__CHAN_HDR bytes from the start. */
};

_Static_assert(offsetof(struct goro_chan, sendq) + sizeof(goro__waitq) <=
                   GORO_CACHELINE,
               "a channel's written fields share its first cache line");

/* Where the ring starts: the header rounded up to whole cache lines. */
#define GORO__CHAN_HDR                                                         \
  ((sizeof(struct goro_chan) + GORO_CACHELINE - 1) &                           \
   ~(size_t)(GORO_CACHELINE - 1))

/* Runs fn(arg) once, in the goro_chan_release that drops the last
 * reference, before the channel is freed, with no lock held (timers use it
 * to stop when their channel is dropped). Set it before sharing c. */
GORO_HIDDEN void goro__chan_set_finalizer(goro_chan *c, void (*fn)(void *),
                                          void *arg);

/* ---- the channel lock ----------------------------------------------------
 * Not a goro__lock: that one's release is an atomic exchange (it must see
 * whether someone sleeps on the lock), and on the machines measured an
 * uncontended exchange costs as much as the acquiring CAS, about a third
 * of a buffered send. A channel lock is held for a few dozen instructions
 * and never while blocked (park.h releases it once the context is saved;
 * a thread's goro__block may briefly wait for sched.lock under it), so its
 * waiters spin, then yield, then poll with short sleeps, and never need
 * waking: release is a plain store-release. The acquiring CAS pairs
 * with that store (acquire/release), like any mutex. */
GORO_HIDDEN void goro__chan_lock_slow(goro_chan *c);
static inline void chan_lock(goro_chan *c) {
  uint32_t z = 0;
  if (likely(cas_acq_rel(&c->lock, &z, 1)))
    return;
  goro__chan_lock_slow(c);
}
static inline void chan_unlock(goro_chan *c) { store_rel(&c->lock, 0); }

/* ---- element copies ----------------------------------------------------
 * Values travel between the caller's memory and the ring, or straight from
 * one goroutine's memory to another's (a parked sender's elem to a
 * receiver's out, or the sender's elem into a parked receiver's out).
 * A NULL destination discards; a NULL source sends the zero value. The
 * common sizes are copied inline (no call to memcpy). */
static inline void goro__elem_copy(void *dst, const void *src, size_t n) {
  if (!dst || n == 0)
    return;
  if (unlikely(!src)) {
    goro__san_ignore_begin(); /* see goro__elem_zero */
    memset(dst, 0, n);
    goro__san_ignore_end();
    return;
  }
  switch (n) {
  case 8:
    __builtin_memcpy(dst, src, 8);
    return;
  case 4:
    __builtin_memcpy(dst, src, 4);
    return;
  case 16:
    __builtin_memcpy(dst, src, 16);
    return;
  case 1:
    __builtin_memcpy(dst, src, 1);
    return;
  case 2:
    __builtin_memcpy(dst, src, 2);
    return;
  default:
    goro__san_ignore_begin(); /* see goro__elem_zero */
    memcpy(dst, src, n);
    goro__san_ignore_end();
  }
}

/* ThreadSanitizer intercepts memcpy and memset even when this
 * uninstrumented library calls them: a copy into a parked partner's memory
 * would count as the running goroutine's access. It is the runtime's copy,
 * which Go's race detector does not see either (the edges of the
 * happens-before section below are what order it), so it is kept out of
 * TSan's view, like the runtime's other libc calls (sched/sanitizer.h). */
static inline void goro__elem_zero(void *dst, size_t n) {
  if (dst && n) {
    goro__san_ignore_begin();
    memset(dst, 0, n);
    goro__san_ignore_end();
  }
}

static inline char *goro__chan_slot(goro_chan *c, size_t i) {
  return (char *)c + GORO__CHAN_HDR + i * c->elemsize;
}

/* ---- select's shared word -----------------------------------------------
 * A select's waiters all point their `selectdone` at the `done` member of
 * one goro__selstate on the selector's stack. done is 0 while the select
 * waits; the waker that CASes it from 0 to (case index + 1) owns the
 * wake-up and tells the selector which case fired. The CAS (acq_rel) pairs
 * with the other wakers' CASes on the same word: exactly one succeeds.
 *
 * `primary` is the waiter the selector passed to goro__block. It matters
 * for a thread: goro__block sleeps on the futex of that one waiter, and
 * goro__wake wakes the futex of the waiter it is given, so a thread that
 * waits on several waiters must be woken through the one it sleeps on
 * (see goro__chan_wake). For a goroutine any of its waiters would do. */
typedef struct goro__selstate {
  uint32_t done;         /* [atomic] 0, or winning case index + 1 */
  goro__waiter *primary; /* [owner; read by the winning waker] */
} goro__selstate;

/* Pops the first waiter of q that may still be woken (Go's dequeue): a
 * plain waiter always, a select's waiter only if this call wins its select
 * (the CAS on selectdone). A select waiter that lost is dropped from q
 * here; its owner finds it unlinked later. c->lock held. */
static inline goro__waiter *goro__chan_dequeue(goro__waitq *q) {
  for (;;) {
    goro__waiter *w = q->head;
    if (!w)
      return NULL;
    goro__waitq_remove(q, w);
    if (w->selectdone) {
      uint32_t zero = 0;
      /* acq_rel: pairs with the CASes of wakers on the select's other
       * channels; the winner's later writes to the waiter reach the
       * selector through goro__wake. */
      if (!cas_acq_rel(w->selectdone, &zero, (uint32_t)w->index + 1))
        continue;
    }
    return w;
  }
}

/* Wakes a waiter that goro__chan_dequeue returned, once the channel lock
 * is released. Must not touch w afterwards (park.h, rule 3). */
static inline void goro__chan_wake(goro__waiter *w) {
#ifdef GORO_TSAN
  if (!w->g) /* a thread: the waker's clock, as goro__ready gives a g */
    goro__hb_release(w->selectdone ? (void *)w->selectdone : (void *)w);
#endif
  if (w->selectdone && !w->g) {
    /* A thread in select sleeps on its primary waiter's futex. */
    goro__selstate *st =
        (goro__selstate *)(void *)((char *)w->selectdone -
                                   offsetof(goro__selstate, done));
    w = st->primary;
  }
  goro__wake(w);
}

/* The address that sends read and closes write in the user's name (Go's
 * c.raceaddr()), so that a send and a close with no order between them are
 * reported as a data race, as Go's race detector reports them. Only the
 * public entry points do it: the runtime's own sends (timers) and closes
 * (contexts) go through goro__chan_trysend and goro__chan_close. */
static inline const void *goro__chan_raceaddr(goro_chan *c) {
  return &c->closed;
}
GORO_HIDDEN int goro__chan_trysend(goro_chan *c, const void *elem);
GORO_HIDDEN int goro__chan_close(goro_chan *c);

/* ---- happens-before edges, for ThreadSanitizer ----------------------------
 * The library is not instrumented (sched/sanitizer.h), so these calls tell
 * TSan about Go's edges (runtime/chan.go's race calls, Go 1.19); they
 * compile to nothing in other builds. goro__ready already orders a waker
 * before the goroutine it wakes; added here, all under c->lock:
 *  - close releases the channel's first byte; a receive that finds the
 *    channel closed and drained acquires it. A send that finds it closed
 *    acquires nothing (as in Go): its read of goro__chan_raceaddr races
 *    with the close's write unless the program ordered them.
 *  - unbuffered (Go's racesync): the running side acquires the parked
 *    side's clock, which the parked side stored before parking at its
 *    waiter's address (its select's shared word for a select).
 *  - buffered (Go's racenotify / racereleaseacquire): an operation on ring
 *    slot i stores its own clock in the slot and takes the one the previous
 *    operation on the slot left there. Sends and receives alternate on a
 *    slot, so a slot has a send side (its first byte: a send stores, a
 *    receive acquires) and a receive side (its second byte). So the k-th
 *    send happens before the k-th receive completes, the k-th receive
 *    before the (k+C)-th send completes, and nothing more. A parked
 *    goroutine's share of a hand-off is done on its own TSan fiber, frozen
 *    since it parked, as Go does on the parked g's context; a parked
 *    thread's share on a scratch fiber that takes the clock the thread
 *    left at its waiter's address (chan_hb_slot_for). Like Go in race mode, a
 *    hand-off to a parked receiver advances recvx and sendx as if the value
 *    had gone through the ring, so slots are numbered as in Go.
 *  - elements of size 1 (a slot's second byte is the next slot) and 0 (no
 *    ring; Go's case): one address per slot (per channel for size 0) that
 *    each operation acquires and then stores to.
 *  - a thread (not a goroutine) woken by any of these gets the waker's clock
 *    at its waiter's address (goro__chan_wake), as goro__ready gives it to
 *    a goroutine.
 * A store is a release into a fresh sync object: the old one is destroyed
 * first (outside TSan's view of memory accesses), which is Go's
 * ReleaseStore with the two calls the C interface has. */
#ifdef GORO_TSAN
static inline void chan_hb_store(const void *a) {
  goro__san_ignore_begin();
  __tsan_mutex_destroy((void *)a, 0);
  goro__san_ignore_end();
  goro__hb_release(a);
}
static inline void *chan_hb_waddr(goro__waiter *w) {
  return w->selectdone ? (void *)w->selectdone : (void *)w;
}
/* The running side's operation on slot i (Go's racenotify(c, i, nil)). */
static inline void chan_hb_slot(goro_chan *c, size_t i, bool send) {
  char *s = c->elemsize ? goro__chan_slot(c, i) : (char *)c + 2;
  if (c->elemsize >= 2) {
    chan_hb_store(send ? s : s + 1);
    goro__hb_acquire(send ? s + 1 : s);
  } else {
    goro__hb_acquire(s);
    chan_hb_store(s);
  }
}
/* The parked w's operation on slot i (Go's racenotify(c, i, sg)). */
static inline void chan_hb_slot_for(goro_chan *c, size_t i, bool send,
                                    goro__waiter *w) {
  if (w->g) {
    void *self = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(w->g->san_fiber, __tsan_switch_to_fiber_no_sync);
    chan_hb_slot(c, i, send);
    __tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
  } else {
    /* A parked thread has no fiber of its own to act on: a scratch fiber,
     * born with no history (goro__san_fiber_new), takes the thread's clock
     * from its waiter's address and does the thread's share, so the
     * running side never takes the thread's clock (Go's order, exactly). */
    void *self = __tsan_get_current_fiber();
    void *f = goro__san_fiber_new();
    __tsan_switch_to_fiber(f, __tsan_switch_to_fiber_no_sync);
    goro__hb_acquire(chan_hb_waddr(w));
    chan_hb_slot(c, i, send);
    __tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
    __tsan_destroy_fiber(f);
  }
}
/* A value handed between the running side and the parked w. */
static inline void chan_hb_handoff(goro_chan *c, goro__waiter *w, bool send) {
  if (c->dataqsiz == 0) {
    goro__hb_acquire(chan_hb_waddr(w));
    return;
  }
  size_t i = c->recvx;
  chan_hb_slot(c, i, send);
  chan_hb_slot_for(c, i, !send, w);
}
#endif
/* Before parking on w (c->lock held), and after waking. */
static inline void goro__chan_hb_park(goro__waiter *w) {
#ifdef GORO_TSAN
  chan_hb_store(chan_hb_waddr(w));
#else
  (void)w;
#endif
}
static inline void goro__chan_hb_woken(goro__waiter *w) {
#ifdef GORO_TSAN
  goro__hb_acquire(chan_hb_waddr(w));
#else
  (void)w;
#endif
}

/* ---- the locked operations ------------------------------------------------
 * Both run with c->lock held and never block. *wake receives a waiter the
 * caller must pass to goro__chan_wake after releasing the lock(s), or NULL.
 */

/* Send: 0 sent (to a waiting receiver or into the ring), -EPIPE closed,
 * -EAGAIN no receiver and no room. */
static inline int goro__chan_send_locked(goro_chan *c, const void *elem,
                                         goro__waiter **wake) {
  *wake = NULL;
  if (unlikely(c->closed))
    return -EPIPE;
  goro__waiter *r = goro__chan_dequeue(&c->recvq);
  if (r) {
    /* Straight into the parked receiver's memory. */
    goro__elem_copy(r->elem, elem, c->elemsize);
#ifdef GORO_TSAN
    chan_hb_handoff(c, r, true);
    if (c->dataqsiz) { /* through the ring, as far as TSan knows */
      if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
      c->sendx = c->recvx;
    }
#endif
    r->result = 1;
    *wake = r;
    return 0;
  }
  if (c->qcount < c->dataqsiz) {
#ifdef GORO_TSAN
    chan_hb_slot(c, c->sendx, true);
#endif
    goro__elem_copy(goro__chan_slot(c, c->sendx), elem, c->elemsize);
    if (++c->sendx == c->dataqsiz)
      c->sendx = 0;
    store_relaxed(&c->qcount, c->qcount + 1);
    return 0;
  }
  return -EAGAIN;
}

/* Receive: 1 received into out, 0 closed and drained (out zeroed),
 * -EAGAIN nothing to receive. */
static inline int goro__chan_recv_locked(goro_chan *c, void *out,
                                         goro__waiter **wake) {
  *wake = NULL;
  goro__waiter *s = goro__chan_dequeue(&c->sendq);
  if (s) {
#ifdef GORO_TSAN
    chan_hb_handoff(c, s, false);
#endif
    if (c->dataqsiz == 0) {
      /* Straight from the parked sender's memory. */
      goro__elem_copy(out, s->elem, c->elemsize);
    } else {
      /* The ring is full (B): take its head, and the sender's value
       * becomes the tail in the same slot. */
      char *slot = goro__chan_slot(c, c->recvx);
      goro__elem_copy(out, slot, c->elemsize);
      goro__elem_copy(slot, s->elem, c->elemsize);
      if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
      c->sendx = c->recvx;
    }
    s->result = 0;
    *wake = s;
    return 1;
  }
  if (c->qcount > 0) {
#ifdef GORO_TSAN
    chan_hb_slot(c, c->recvx, false);
#endif
    goro__elem_copy(out, goro__chan_slot(c, c->recvx), c->elemsize);
    if (++c->recvx == c->dataqsiz)
      c->recvx = 0;
    store_relaxed(&c->qcount, c->qcount - 1);
    return 1;
  }
  if (c->closed) {
    goro__hb_acquire(c); /* the close happened before */
    goro__elem_zero(out, c->elemsize);
    return 0;
  }
  return -EAGAIN;
}

/* Removes w from q if it is still linked (Go's dequeueSudoG): a select's
 * waiter may already have been dropped by a waker that lost its CAS.
 * c->lock held. */
static inline void goro__chan_unlink(goro__waitq *q, goro__waiter *w) {
  if (w->prev || w->next || q->head == w)
    goro__waitq_remove(q, w);
}

/* Blocks the caller forever (a nil channel, an empty select). A thread
 * blocks too and counts for deadlock detection. Never returns. */
GORO_HIDDEN GORO_NORETURN void goro__chan_block_forever(const char *reason);

/* Releases c->lock; the unlock function given to goro__block. */
GORO_HIDDEN void goro__chan_unlock(void *c);

#endif
