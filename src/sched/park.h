/*
 * park.h: the one wait primitive that channels, select, WaitGroup, mutexes,
 * timers and I/O are built on (Go's sudog plus gopark/goready).
 *
 * A goro__waiter is a record that says "this goroutine, or this thread,
 * waits here". It lives on the waiter's own stack for as long as the wait
 * lasts. One goroutine may hold several waiters at once, on different
 * objects (a select), linked through `waitlink` and sharing a `selectdone`
 * word: the first waker to win the CAS on it owns the wake-up, and the
 * others treat the waiter as already gone.
 *
 * The contract
 *  1. The blocker fills a waiter (goro__waiter_init), publishes it on an
 *     object's queue while holding that object's lock, and calls
 *     goro__block with a function that releases the lock(s).
 *  2. goro__block releases the lock(s) only once the goroutine's context is
 *     saved (a thread waiter: before it sleeps), so anyone who finds the
 *     waiter under the lock may wake it at once.
 *  3. A waker holds the object's lock, removes the waiter from the queue,
 *     writes the outcome into the waiter (data, `result`), and then calls
 *     goro__wake exactly once, with the lock held or after releasing it
 *     (both are fine: a removed waiter is the waker's alone). After
 *     goro__wake it must not touch the waiter: the blocker may have
 *     returned and its stack frame be gone.
 *  4. goro__block returns after goro__wake. Spurious returns never happen.
 *     The blocker reads the outcome from its waiter.
 *
 * A thread (not a goroutine) sleeps on the futex of the waiter it passed to
 * goro__block. A thread holding several waiters (select) must make every
 * one of them wake that futex: select records the sleeping waiter and
 * wakes it whichever case fired (select.c).
 *
 * Waking a goroutine from a goroutine puts it in the waker's runnext slot,
 * so a ping-pong pair stays on one core with no thread wake-up (see
 * goro__ready). Waking a thread is a futex wake.
 *
 * Threads that block here count for deadlock detection: when every
 * goroutine is parked, every processor idle, no timer is pending, and the
 * only threads in the process are the runtime's own and those blocked
 * here, nothing can ever wake anyone, and the runtime reports a deadlock.
 */
#ifndef GORO_PARK_H
#define GORO_PARK_H

#include "sched.h"

struct goro__waiter {
  goro__g *g;            /* the goroutine, or NULL: a thread waits */
  uint32_t futex;        /* thread waiters: 0 asleep, 1 woken [atomic] */
  int result;            /* outcome, written by the waker before waking */
  goro__waiter *next;    /* in one object's queue [object lock] */
  goro__waiter *prev;
  void *obj;             /* the object waited on */
  void *elem;            /* channel: the value's source or destination */
  goro__waiter *waitlink; /* the other waiters of the same select [owner] */
  uint32_t *selectdone;  /* shared by a select's waiters; NULL otherwise */
  int index;             /* select: the case this waiter stands for */
  int64_t ticket;        /* free for the object's use (e.g. FIFO order) */
};

/* Prepares w for the calling goroutine or thread. */
static inline void goro__waiter_init(goro__waiter *w) {
  w->g = goro__g_get();
  w->futex = 0;
  w->result = 0;
  w->next = w->prev = NULL;
  w->obj = NULL;
  w->elem = NULL;
  w->waitlink = NULL;
  w->selectdone = NULL;
  w->index = 0;
  w->ticket = 0;
}

/* Blocks until goro__wake(w). See the contract above. unlockf may be NULL.
 * reason names the wait in dumps, e.g. "sync.WaitGroup.Wait". */
GORO_HIDDEN void goro__block(goro__waiter *w, void (*unlockf)(void *),
                             void *arg, const char *reason);

/* Makes w's owner run again. Once per goro__block; w must not be touched
 * afterwards. */
GORO_HIDDEN void goro__wake(goro__waiter *w);

/* A FIFO queue of waiters, for objects that need only one. The object's
 * lock guards it. */
typedef struct goro__waitq {
  goro__waiter *head, *tail;
} goro__waitq;

static inline void goro__waitq_push(goro__waitq *q, goro__waiter *w) {
  w->next = NULL;
  w->prev = q->tail;
  if (q->tail)
    q->tail->next = w;
  else
    q->head = w;
  q->tail = w;
}

static inline void goro__waitq_remove(goro__waitq *q, goro__waiter *w) {
  if (w->prev)
    w->prev->next = w->next;
  else
    q->head = w->next;
  if (w->next)
    w->next->prev = w->prev;
  else
    q->tail = w->prev;
  w->next = w->prev = NULL;
}

static inline goro__waiter *goro__waitq_pop(goro__waitq *q) {
  goro__waiter *w = q->head;
  if (w)
    goro__waitq_remove(q, w);
  return w;
}

#endif
