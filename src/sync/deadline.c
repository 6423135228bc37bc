/*
 * deadline.c: goro__block_until (the contract is in deadline.h).
 *
 * A dwait on the blocker's stack joins the two ways a wait can be cut
 * short, a timer and a context hook. Whichever fires first claims it (a CAS
 * on `claimed`), asks the object to dequeue the waiter (cancel_fn), and if
 * it did, writes the error and wakes the waiter. The loser does nothing.
 * The blocker, once woken by anyone, deletes the timer and the hook; both
 * deletions wait for a callback that is running, so when goro__block_until
 * returns nothing refers to the dwait any more.
 *
 *   claimed  CAS acq_rel between the timer and the hook: exactly one wins.
 *   err      written by the winner before goro__wake, read by the blocker
 *            after it returns from goro__block (the wake-up orders them).
 */
#include "deadline.h"

#include "../timer.h"
#include "context.h"

typedef struct dwait {
  goro__timer timer;
  goro__ctxhook hook;
  goro__waiter *w;
  goro__cancel_fn cancel_fn;
  void *cancel_arg;
  int timer_err; /* what the timer reports: -ETIMEDOUT, or the error of a
                    context that was already done */
  uint32_t claimed; /* [atomic] */
  int err;
} dwait;

static void expire(dwait *d, int err) {
  uint32_t zero = 0;
  if (!cas_acq_rel(&d->claimed, &zero, 1))
    return;
  if (d->cancel_fn(d->cancel_arg, d->w)) {
    d->err = err;
    goro__wake(d->w); /* the last access to the waiter */
  }
}

static void timer_fire(goro__timer *t, int64_t now) {
  (void)now;
  dwait *d = t->arg;
  expire(d, d->timer_err);
}

static void hook_fire(void *arg, int err) { expire(arg, err); }

int goro__block_until(goro__waiter *w, void (*unlockf)(void *), void *arg,
                      const char *reason, int64_t deadline, goro_ctx *ctx,
                      goro__cancel_fn cancel_fn, void *cancel_arg) {
  dwait d;
  d.w = w;
  d.cancel_fn = cancel_fn;
  d.cancel_arg = cancel_arg;
  d.timer_err = -ETIMEDOUT;
  d.claimed = 0;
  d.err = 0;
  d.hook.owner = NULL;
  if (ctx) {
    int e = goro__ctx_hook_add(ctx, &d.hook, hook_fire, &d);
    if (e < 0) {
      /* Already done: expire through the timer, at once. */
      d.timer_err = e;
      deadline = INT64_MIN;
    }
  }
  bool armed = deadline != INT64_MAX;
  if (armed) {
    goro__timer_init(&d.timer, timer_fire, &d, 0);
    d.timer.when = deadline;
    if (goro__timer_add(&d.timer) != 0)
      goro__fatal("out of memory (timer heap)");
  }
  goro__block(w, unlockf, arg, reason);
  if (armed)
    goro__timer_del(&d.timer);
  goro__ctx_hook_del(&d.hook);
  return d.err;
}
