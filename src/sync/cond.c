/*
 * cond.c: sync.Cond.
 *
 * A FIFO of waiters under the cond's own spin lock. Wait queues itself
 * while it still holds the mutex, and only then unlocks the mutex (with
 * the cond lock held) and blocks; the cond lock is released once it is
 * parked. So a signal that follows the Unlock, by anyone who then took the
 * mutex, always finds the waiter: no lost wake-ups, and signals wake
 * waiters in the order they started waiting.
 *
 * Go instead hands each waiter a ticket (notifyList) and unlocks the mutex
 * before queueing, so it never holds two locks. Holding the cond lock
 * across the mutex's Unlock costs little here (Unlock never blocks; it may
 * wake one waiter, without yielding), and it is what makes a timed wait
 * simple: a waiter that times out just leaves the queue, whereas with
 * tickets a signal aimed at its ticket would be lost.
 *
 * Fields (goro.h): _head/_tail the queue and _wait its length [cond lock;
 * _wait also read without it, load-acquire, by the no-waiter fast path of
 * signal and broadcast]. A queued waiter has ticket == 1; whoever takes it
 * out of the queue (a signal, a broadcast, or its own timeout) clears it
 * under the lock.
 *
 * Lock order: cond lock -> the mutex's semaphore lock -> sched.lock.
 */
#include "deadline.h"
#include "sema.h"

#define C_LOCK(c) ((goro__lock *)&(c)->_lock)

static void cond_unlock(void *c) { goro__lock_release(C_LOCK((goro_cond *)c)); }

/* Takes w out of the queue if it is still there (a timeout). */
static bool cond_cancel(void *arg, goro__waiter *w) {
  goro_cond *c = arg;
  goro__lock_acquire(C_LOCK(c));
  bool queued = w->ticket != 0;
  if (queued) {
    goro__waitq q = goro__q_get(&c->_head, &c->_tail);
    goro__waitq_remove(&q, w);
    goro__q_set(&c->_head, &c->_tail, q);
    w->ticket = 0;
    store_rel(&c->_wait, c->_wait - 1);
  }
  goro__lock_release(C_LOCK(c));
  return queued;
}

int goro_cond_wait_until(goro_cond *c, goro_mutex *m, int64_t deadline) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  (void)goro__runtime_init();
  goro__waiter w;
  goro__waiter_init(&w);
  w.ticket = 1;
  goro__lock_acquire(C_LOCK(c));
  goro__waitq q = goro__q_get(&c->_head, &c->_tail);
  goro__waitq_push(&q, &w);
  goro__q_set(&c->_head, &c->_tail, q);
  store_rel(&c->_wait, c->_wait + 1);
  /* Still queued before the mutex is free: a signaller must take the
   * mutex (or at least run after this Unlock) and then finds us. */
  goro__mutex_unlock_noyield(m);
  int err = 0;
  if (deadline == INT64_MAX)
    goro__block(&w, cond_unlock, c, "sync.Cond.Wait");
  else
    err = goro__block_until(&w, cond_unlock, c, "sync.Cond.Wait", deadline,
                            NULL, cond_cancel, c);
  goro_mutex_lock(m);
  return err;
}

void goro_cond_wait(goro_cond *c, goro_mutex *m) {
  (void)goro_cond_wait_until(c, m, INT64_MAX);
}

void goro_cond_signal(goro_cond *c) {
  /* Acquire pairs with the store-release of _wait by a waiter. */
  if (load_acq(&c->_wait) == 0)
    return;
  goro__lock_acquire(C_LOCK(c));
  goro__waitq q = goro__q_get(&c->_head, &c->_tail);
  goro__waiter *w = goro__waitq_pop(&q);
  goro__q_set(&c->_head, &c->_tail, q);
  if (w) {
    w->ticket = 0;
    store_rel(&c->_wait, c->_wait - 1);
  }
  goro__lock_release(C_LOCK(c));
  if (w)
    goro__wake(w);
}

void goro_cond_broadcast(goro_cond *c) {
  if (load_acq(&c->_wait) == 0)
    return;
  goro__lock_acquire(C_LOCK(c));
  goro__waiter *w = (goro__waiter *)c->_head;
  c->_head = c->_tail = NULL;
  for (goro__waiter *x = w; x; x = x->next)
    x->ticket = 0;
  store_rel(&c->_wait, 0);
  goro__lock_release(C_LOCK(c));
  while (w) {
    goro__waiter *next = w->next; /* read before the wake frees w */
    goro__wake(w);
    w = next;
  }
}
