/*
 * semaphore.c: golang.org/x/sync/semaphore.Weighted.
 *
 * A size, the amount held (cur), and a FIFO of waiters, each asking for a
 * weight (kept in the waiter's ticket), under one spin lock.
 *
 *  - Acquire succeeds at once only if the weight fits AND nobody is queued:
 *    a small request never overtakes a queued big one, so big requests do
 *    not starve (x/sync's rule).
 *  - Release (and a waiter that leaves the head of the queue) serves the
 *    queue in order, as long as the head fits (notify_waiters), and stops
 *    at the first that does not.
 *  - A served waiter gets result = 1 and its weight is already counted in
 *    cur when it wakes. A waiter whose context ends first leaves the queue
 *    through goro__block_until's cancel_fn; if a release served it in the
 *    meantime, it gives the weight back (x/sync does the same).
 *
 * Fields (goro.h): _size [imm after init], _cur, _head, _tail [lock].
 * Wake-ups happen after the lock is released; the served waiters are
 * chained through their `next` (they are off the queue by then).
 */
#include "context.h"
#include "deadline.h"
#include "sema.h"

#define S_LOCK(s) ((goro__lock *)&(s)->_lock)

static void sema_unlock(void *s) { goro__lock_release(S_LOCK((goro_sema *)s)); }

void goro_sema_init(goro_sema *s, int64_t size) {
  goro_sema z = GORO_SEMA_INIT(size < 0 ? 0 : size);
  *s = z;
}

/* Serves the queue in order while the head fits. Lock held. Returns the
 * served waiters, chained through next, to wake after unlocking. */
static goro__waiter *notify_waiters(goro_sema *s) {
  goro__waiter *served = NULL, **tail = &served;
  goro__waitq q = goro__q_get(&s->_head, &s->_tail);
  for (goro__waiter *w; (w = q.head) != NULL;) {
    if (s->_size - s->_cur < w->ticket)
      break; /* the head does not fit: nobody behind it may pass */
    s->_cur += w->ticket;
    goro__waitq_remove(&q, w);
    w->result = 1;
    *tail = w;
    tail = &w->next;
  }
  goro__q_set(&s->_head, &s->_tail, q);
  return served;
}

static void wake_all(goro__waiter *w) {
  while (w) {
    goro__waiter *next = w->next; /* read before the wake frees w */
    goro__wake(w);
    w = next;
  }
}

/* cancel_fn for goro__block_until: leave the queue if still in it. */
static bool sema_cancel(void *arg, goro__waiter *w) {
  goro_sema *s = arg;
  goro__lock_acquire(S_LOCK(s));
  if (w->result) {
    goro__lock_release(S_LOCK(s));
    return false; /* served meanwhile: the releaser wakes it */
  }
  goro__waitq q = goro__q_get(&s->_head, &s->_tail);
  bool front = q.head == w;
  goro__waitq_remove(&q, w);
  goro__q_set(&s->_head, &s->_tail, q);
  /* If we were the head and there is room, the ones behind may fit. */
  goro__waiter *served =
      front && s->_size > s->_cur ? notify_waiters(s) : NULL;
  goro__lock_release(S_LOCK(s));
  wake_all(served);
  return true;
}

static int acquire(goro_sema *s, goro_ctx *ctx, int64_t n) {
  if (n < 0)
    return -EINVAL;
  goro__lock_acquire(S_LOCK(s));
  int err = ctx ? goro_ctx_err(ctx) : 0;
  if (err) {
    /* Done before we got here: fail even if we could acquire (x/sync). */
    goro__lock_release(S_LOCK(s));
    return err;
  }
  if (s->_size - s->_cur >= n && !s->_head) {
    s->_cur += n;
    goro__lock_release(S_LOCK(s));
    goro__hb_acquire(s);
    return 0;
  }
  if (n > s->_size) {
    /* Doomed: do not hold back the others; wait for the context only. */
    goro__lock_release(S_LOCK(s));
    return ctx ? goro_ctx_wait(ctx) : -EINVAL;
  }
  (void)goro__runtime_init();
  goro__waiter w;
  goro__waiter_init(&w);
  w.ticket = n;
  goro__waitq q = goro__q_get(&s->_head, &s->_tail);
  goro__waitq_push(&q, &w);
  goro__q_set(&s->_head, &s->_tail, q);
  err = goro__block_until(&w, sema_unlock, s, "semaphore.Acquire", INT64_MAX,
                          ctx, sema_cancel, s);
  if (err)
    return err;
  /* Served; but if ctx ended meanwhile, give it back (x/sync). */
  err = ctx ? goro_ctx_err(ctx) : 0;
  if (err) {
    goro_sema_release(s, n);
    return err;
  }
  goro__hb_acquire(s);
  return 0;
}

int goro_sema_acquire(goro_sema *s, int64_t n) { return acquire(s, NULL, n); }

int goro_sema_acquire_ctx(goro_sema *s, goro_ctx *ctx, int64_t n) {
  return acquire(s, ctx ? ctx : goro_ctx_background(), n);
}

int goro_sema_tryacquire(goro_sema *s, int64_t n) {
  if (n < 0)
    return 0;
  goro__lock_acquire(S_LOCK(s));
  bool ok = s->_size - s->_cur >= n && !s->_head;
  if (ok)
    s->_cur += n;
  goro__lock_release(S_LOCK(s));
  if (ok)
    goro__hb_acquire(s);
  return ok;
}

void goro_sema_release(goro_sema *s, int64_t n) {
  goro__hb_release(s);
  goro__lock_acquire(S_LOCK(s));
  s->_cur -= n;
  if (s->_cur < 0) {
    goro__lock_release(S_LOCK(s));
    goro__fatal("semaphore: released more than held");
  }
  goro__waiter *served = notify_waiters(s);
  goro__lock_release(S_LOCK(s));
  wake_all(served);
}
