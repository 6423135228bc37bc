/*
 * waitgroup.c: sync.WaitGroup.
 *
 * state (64 bits, atomic): the counter in the high half, the number of
 * waiters in the low half, as in Go. Add is one atomic add on the fast path.
 * Wait is one load when the counter is already zero.
 *
 * Protocol. A waiter takes the lock, then CASes waiters+1 into the state
 * only while the counter is non-zero, enqueues itself and blocks (the lock
 * released once it is parked). The Add that brings the counter to zero sees
 * waiters > 0, so it takes the lock (and therefore waits until every waiter
 * that counted itself is enqueued), resets the state to zero and wakes the
 * whole queue. Invariant: with the lock free, the queue holds exactly
 * `waiters` entries.
 *
 * Misuse, in Go's words (all fatal): "sync: negative WaitGroup counter";
 * "sync: WaitGroup misuse: Add called concurrently with Wait" (an Add from
 * zero while waiters are counted, or one racing the release); "sync:
 * WaitGroup is reused before previous Wait has returned" (a woken waiter
 * finds the counter already raised again).
 */
#include "../../include/goro.h"
#include "../sched/park.h"

#define WG_LOCK(wg) ((goro__lock *)&(wg)->_lock)

static void wg_unlock(void *arg) { goro__lock_release(WG_LOCK((goro_wg *)arg)); }

/* Add's checks and the release of the waiters, out of line: the fast
 * paths then save no registers. WaitGroupUncontended (Add, Done, Wait)
 * had them pushed and popped on every call. */
static GORO_NOINLINE void wg_add_slow(goro_wg *wg, int64_t delta,
                                      uint64_t state) {
  int32_t v = (int32_t)(state >> 32);
  uint32_t w = (uint32_t)state;
  if (v < 0)
    goro__fatal("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == (int32_t)delta)
    goro__fatal("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0)
    return;
  /* The counter is zero and there are waiters: release them all. */
  goro__lock_acquire(WG_LOCK(wg));
  if (load_seq(&wg->_state) != state)
    goro__fatal("sync: WaitGroup misuse: Add called concurrently with Wait");
  store_seq(&wg->_state, 0);
  goro__waitq q = {(goro__waiter *)wg->_head, (goro__waiter *)wg->_tail};
  wg->_head = wg->_tail = NULL;
  goro__lock_release(WG_LOCK(wg));
  goro__waiter *x;
  while ((x = goro__waitq_pop(&q)) != NULL)
    goro__wake(x);
}

void goro_wg_add(goro_wg *wg, int64_t delta) {
  /* Go's model: every Done (Add) happens before the Wait it releases. */
  if (delta < 0)
    goro__hb_release(wg);
  /* seq_cst: pairs with the waiter's CAS (the counter-zero Dekker). */
  uint64_t state = __atomic_add_fetch(&wg->_state, (uint64_t)delta << 32,
                                      __ATOMIC_SEQ_CST);
  /* Nothing to check or do: no waiters and a counter not below zero, or
   * a Done that leaves the counter above zero (a Wait blocked meanwhile
   * is the common case of that). */
  int32_t v = (int32_t)(state >> 32);
  if (likely((uint32_t)state == 0 ? v >= 0 : v > 0 && delta < 0))
    return;
  wg_add_slow(wg, delta, state);
}

void goro_wg_done(goro_wg *wg) { goro_wg_add(wg, -1); }

static GORO_NOINLINE void wg_wait_slow(goro_wg *wg) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  if ((load_seq(&wg->_state) >> 32) == 0) {
    goro__hb_acquire(wg);
    return;
  }
  if (goro__runtime_init() != 0)
    return;
  goro__waiter w;
  goro__waiter_init(&w);
  goro__lock_acquire(WG_LOCK(wg));
  uint64_t state = load_seq(&wg->_state);
  for (;;) {
    if ((state >> 32) == 0) {
      goro__lock_release(WG_LOCK(wg));
      goro__hb_acquire(wg);
      return;
    }
    if (cas_seq(&wg->_state, &state, state + 1))
      break;
  }
  goro__waitq q = {(goro__waiter *)wg->_head, (goro__waiter *)wg->_tail};
  goro__waitq_push(&q, &w);
  wg->_head = q.head;
  wg->_tail = q.tail;
  goro__block(&w, wg_unlock, wg, "sync.WaitGroup.Wait");
  /* The releaser set the state to 0 before waking us: anything else is an
   * Add for the next round before this Wait returned (Go's check). */
  if (load_seq(&wg->_state) != 0)
    goro__fatal("sync: WaitGroup is reused before previous Wait has returned");
  goro__hb_acquire(wg);
}

void goro_wg_wait(goro_wg *wg) {
  if (likely(!goro__seed_mode) && (load_seq(&wg->_state) >> 32) == 0) {
    goro__hb_acquire(wg);
    return;
  }
  wg_wait_slow(wg);
}
