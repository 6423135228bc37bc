/*
 * sema.h: the runtime semaphore (Go's runtime/sema.go) that sync.Mutex and
 * sync.RWMutex sleep on, and the internal entry points the sync files share.
 *
 * A goro__semq (declared in goro.h, so that it can sit inside the public
 * sync structs without allocation) is a count, a waiter count, a lock and a
 * FIFO of waiters. Unlike Go, which hashes the semaphore's address into a
 * global table of treaps, each semaphore carries its own queue: the public
 * types are complete anyway, and a private queue means no shared lock.
 *
 * The protocol (Go's semacquire1 / semrelease1):
 *   acquire: take a unit of count if there is one (CAS). Otherwise, under
 *     the lock: nwait++, try the count again (a release may have come in
 *     between), and if there is still none, queue (at the tail, or at the
 *     head for `lifo`) and block. Woken with ticket == 1 means the releaser
 *     handed us its unit; otherwise race for the count again.
 *   release: count++, then if nwait != 0, under the lock pop the first
 *     waiter and nwait--, and outside the lock wake it. With `handoff` the
 *     releaser takes the unit back out of the count for the waiter (ticket
 *     = 1) and yields to it, so it runs at once (starvation mode).
 * Dekker pair: the acquirer's nwait++ (seq_cst RMW) then count load, and
 * the releaser's count++ (seq_cst RMW) then nwait load. At least one of
 * them sees the other, so a release never misses a waiter.
 *
 * Invariant, with the lock free: nwait == the number of queued waiters.
 * Lock order: a semq lock is an object lock; goro__wake (sched.lock) may be
 * called under it but is called after it here.
 */
#ifndef GORO_SYNC_SEMA_H
#define GORO_SYNC_SEMA_H

#include "../../include/goro.h"
#include "../sched/park.h"
#include "../sched/sanitizer.h"

/* Inside the runtime (not instrumented by ThreadSanitizer), call the real
 * Lock and Unlock, which carry the happens-before hooks, rather than the
 * fast paths goro.h inlines into users' code. */
#undef goro_mutex_lock
#undef goro_mutex_unlock

#define GORO__SEMQ_LOCK(s) ((goro__lock *)&(s)->_lock)

/* Waits for a unit of s (Go's runtime_SemacquireMutex). reason names the
 * wait in dumps. */
GORO_HIDDEN void goro__semacquire(goro__semq *s, bool lifo,
                                  const char *reason);
/* Adds a unit to s and wakes its first waiter, if any. With
 * GORO__SEM_HANDOFF the unit goes straight to that waiter, and a goroutine
 * yields to it so it runs next, unless GORO__SEM_NOYIELD (the caller still
 * holds a spin lock). */
enum { GORO__SEM_HANDOFF = 1, GORO__SEM_NOYIELD = 2 };
GORO_HIDDEN void goro__semrelease(goro__semq *s, int flags);

/* goro_mutex_lock with the name a dump gives the wait (the RWMutex's
 * writer lock says "sync.RWMutex.Lock", Once says "sync.Once.Do"). */
GORO_HIDDEN void goro__mutex_lock_as(goro_mutex *m, const char *reason);
/* goro_mutex_unlock that never yields the processor to the waiter it hands
 * the mutex to (for callers that still hold a spin lock). */
GORO_HIDDEN void goro__mutex_unlock_noyield(goro_mutex *m);

/* The queue inside a public struct, as a goro__waitq value. */
static inline goro__waitq goro__q_get(void *const *head, void *const *tail) {
  goro__waitq q = {(goro__waiter *)*head, (goro__waiter *)*tail};
  return q;
}
static inline void goro__q_set(void **head, void **tail, goro__waitq q) {
  *head = q.head;
  *tail = q.tail;
}

static inline void goro__waitq_push_front(goro__waitq *q, goro__waiter *w) {
  w->prev = NULL;
  w->next = q->head;
  if (q->head)
    q->head->prev = w;
  else
    q->tail = w;
  q->head = w;
}

#endif
