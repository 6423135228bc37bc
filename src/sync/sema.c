/*
 * sema.c: the runtime semaphore (protocol and invariants in sema.h).
 */
#include "sema.h"

static void semq_unlock(void *s) {
  goro__lock_release(GORO__SEMQ_LOCK((goro__semq *)s));
}

/* Takes a unit if there is one. seq_cst: the acquirer's half of the
 * Dekker pair with goro__semrelease. */
static inline bool cansemacquire(goro__semq *s) {
  uint32_t v = load_seq(&s->_count);
  while (v > 0)
    if (cas_seq(&s->_count, &v, v - 1))
      return true;
  return false;
}

void goro__semacquire(goro__semq *s, bool lifo, const char *reason) {
  if (cansemacquire(s))
    return;
  (void)goro__runtime_init(); /* a thread must count for deadlocks */
  goro__waiter w;
  for (;;) {
    goro__waiter_init(&w);
    goro__lock_acquire(GORO__SEMQ_LOCK(s));
    fetch_add_seq(&s->_nwait, 1);
    if (cansemacquire(s)) {
      fetch_add_seq(&s->_nwait, (uint32_t)-1);
      goro__lock_release(GORO__SEMQ_LOCK(s));
      return;
    }
    goro__waitq q = goro__q_get(&s->_head, &s->_tail);
    if (lifo)
      goro__waitq_push_front(&q, &w);
    else
      goro__waitq_push(&q, &w);
    goro__q_set(&s->_head, &s->_tail, q);
    goro__block(&w, semq_unlock, s, reason);
    /* ticket 1: the releaser handed its unit to us. */
    if (w.ticket != 0 || cansemacquire(s))
      return;
  }
}

void goro__semrelease(goro__semq *s, int flags) {
  fetch_add_seq(&s->_count, 1);
  if (load_seq(&s->_nwait) == 0)
    return; /* no waiter: the Dekker pair says a late one sees the unit */
  goro__lock_acquire(GORO__SEMQ_LOCK(s));
  if (load_relaxed(&s->_nwait) == 0) {
    goro__lock_release(GORO__SEMQ_LOCK(s));
    return;
  }
  goro__waitq q = goro__q_get(&s->_head, &s->_tail);
  goro__waiter *w = goro__waitq_pop(&q);
  goro__q_set(&s->_head, &s->_tail, q);
  fetch_add_seq(&s->_nwait, (uint32_t)-1);
  goro__lock_release(GORO__SEMQ_LOCK(s));
  /* w is ours now (out of the queue, not yet woken). */
  bool handed = (flags & GORO__SEM_HANDOFF) && cansemacquire(s);
  if (handed)
    w->ticket = 1;
  goro__wake(w); /* w must not be touched from here on */
  if (handed && !(flags & GORO__SEM_NOYIELD) && goro__g_get())
    goro_yield(); /* let the new owner run now (Go's goyield) */
}
