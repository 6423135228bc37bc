/*
 * context.c: Go's package context: a tree of cancellation scopes with
 * deadlines, a done channel, an error that says why, values, and the hooks
 * of context.h through which blocking calls wait for a cancellation.
 *
 * ---------------------------------------------------------------------------
 * Objects
 * ---------------------------------------------------------------------------
 * Three kinds, as in Go: the background (a static object, never canceled),
 * cancel contexts (WithCancel, WithDeadline, WithTimeout: a deadline is a
 * cancel context with a timer) and value contexts (WithValue), which are
 * canceled only through their parent. Every context records `canc`, the
 * nearest cancel context at or above it (itself for a cancel context, NULL
 * under the bare background), so Err, Done and hooks never walk the tree.
 *
 * The tree. A cancel context registers in the `children` list of its
 * parent's canc (`pcanc`), unless that is NULL or already canceled (then it
 * is born canceled with the same error and cause). The list is intrusive
 * and weak: it holds no references. What makes that safe is:
 *   (T1) a child holds a reference on its parent, so a parent outlives its
 *        children, and
 *   (T2) a child leaves the list (under pcanc's lock) before it is freed;
 *        a canceler walks the list holding that same lock, so every child
 *        it reaches is alive.
 *
 * Cancellation (cancel). Under the context's lock: set err and cause,
 * close the done channel if it was made, take the hooks, and cancel each
 * child under its own lock (a parent's lock before its child's: the tree
 * gives the order), taking their hooks too; empty the children list. Then,
 * with no lock held: leave the parent's list, run the hooks, stop the
 * timer. The first cancellation wins; later ones find err set and return.
 *
 * A child canceled through its parent keeps its timer armed until it
 * fires (a no-op then) or the child is freed: stopping it would need the
 * child alive after the parent's lock is released, which (T2) does not
 * promise. Go stops it; the difference is only when a heap entry goes.
 *
 * Lifetime. Reference counted (goro.h). The last release cancels the
 * context (Go's `defer cancel()`), leaves the parent's list, stops the
 * timer (waiting for its function if it is running), releases the done
 * channel, frees the context and releases the parent. A timer function
 * cancels but never releases, so it never frees the timer it runs from.
 *
 * Memory ordering: err is written under the lock with a store-release and
 * read by goro_ctx_err without it (load-acquire): whoever sees the error
 * sees the cancellation that set it, e.g. the closed done channel.
 *
 * Lock order (context.h): object locks -> context locks, parent before
 * child -> channel and timer-heap locks. No context lock is held while a
 * hook runs or a timer is deleted.
 */
#include "context.h"

#include "../sched/park.h"
#include "../sched/sanitizer.h"
#include "../chan.h"
#include "../timer.h"

#include <sched.h>
#include <stdlib.h>

enum { CTX_BACKGROUND, CTX_CANCEL, CTX_VALUE };
enum { HOOK_QUEUED = 1, HOOK_TAKEN, HOOK_DONE };

struct goro_ctx {
  uint32_t refs;  /* [atomic] */
  uint32_t kind;  /* CTX_* [imm] */
  goro__lock lock; /* guards the [lock] fields of a cancel context */
  int err;        /* 0 until canceled [lock; store-release, racy reads] */
  int cause;      /* [lock] */
  goro_ctx *parent; /* [imm] a reference is held; NULL for the background */
  goro_ctx *canc;   /* [imm] the nearest cancel context at or above */
  goro_ctx *pcanc;  /* [imm] the parent's canc: where this one registers */
  int64_t deadline; /* [imm] its own or inherited; INT64_MAX: none */
  goro_chan *done;  /* made on first goro_ctx_done [lock] */
  goro_ctx *children;            /* registered cancel children [lock] */
  goro_ctx *sib_next, *sib_prev; /* in pcanc->children [pcanc's lock] */
  bool registered;               /* in pcanc->children [pcanc's lock] */
  bool has_timer;                /* [imm once published] */
  goro__ctxhook *hooks;          /* [lock] */
  goro__timer timer;             /* the deadline (has_timer) */
  const void *key; /* value context [imm] */
  void *val;
};

static goro_ctx background = {.kind = CTX_BACKGROUND, .deadline = INT64_MAX};

static inline goro_ctx *ctx_or_bg(goro_ctx *ctx) {
  return ctx ? ctx : &background;
}

goro_ctx *goro_ctx_background(void) { return &background; }

/* ---- construction ------------------------------------------------------- */

static goro_ctx *ctx_new(goro_ctx *parent, uint32_t kind) {
  parent = ctx_or_bg(parent);
  goro_ctx *c = goro__calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  c->refs = 1;
  c->kind = kind;
  c->parent = parent;
  goro_ctx_retain(parent); /* (T1) */
  c->deadline = parent->deadline;
  c->pcanc = parent->canc;
  c->canc = kind == CTX_CANCEL ? c : parent->canc;
  return c;
}

/* Registers a new cancel context with its pcanc, or cancels it at once if
 * that is already canceled. c is not shared yet. */
static void propagate(goro_ctx *c) {
  goro_ctx *p = c->pcanc;
  if (!p)
    return;
  goro__lock_acquire(&p->lock);
  if (p->err) {
    c->err = p->err;
    c->cause = p->cause;
  } else {
    c->sib_prev = NULL;
    c->sib_next = p->children;
    if (p->children)
      p->children->sib_prev = c;
    p->children = c;
    c->registered = true;
  }
  goro__lock_release(&p->lock);
}

goro_ctx *goro_ctx_with_cancel(goro_ctx *parent) {
  goro_ctx *c = ctx_new(parent, CTX_CANCEL);
  if (c)
    propagate(c);
  return c;
}

static void cancel(goro_ctx *c, int err, int cause);

static void deadline_fire(goro__timer *t, int64_t now) {
  (void)now;
  cancel(t->arg, -ETIMEDOUT, -ETIMEDOUT);
}

goro_ctx *goro_ctx_with_deadline(goro_ctx *parent, int64_t deadline) {
  if (ctx_or_bg(parent)->deadline <= deadline)
    return goro_ctx_with_cancel(parent); /* the parent's comes first */
  if (goro__runtime_init() != 0)
    return NULL;
  goro_ctx *c = ctx_new(parent, CTX_CANCEL);
  if (!c)
    return NULL;
  c->deadline = deadline;
  goro__timer_init(&c->timer, deadline_fire, c, 0);
  c->timer.when = deadline;
  c->has_timer = true;
  propagate(c);
  if (deadline <= goro__nanotime()) {
    cancel(c, -ETIMEDOUT, -ETIMEDOUT);
    return c;
  }
  /* Armed under the lock, and only if not canceled yet: a cancel either
   * ran before (no timer) or runs after and deletes it. */
  goro__lock_acquire(&c->lock);
  int err = c->err ? 0 : goro__timer_add(&c->timer);
  goro__lock_release(&c->lock);
  if (err) {
    goro_ctx_release(c);
    return NULL;
  }
  return c;
}

goro_ctx *goro_ctx_with_timeout(goro_ctx *parent, int64_t ns) {
  int64_t now = goro__nanotime();
  int64_t d = ns > INT64_MAX - now ? INT64_MAX - 1 : now + ns;
  return goro_ctx_with_deadline(parent, d);
}

goro_ctx *goro_ctx_with_value(goro_ctx *parent, const void *key,
                              void *value) {
  goro_ctx *c = ctx_new(parent, CTX_VALUE);
  if (c) {
    c->key = key;
    c->val = value;
  }
  return c;
}

void *goro_ctx_value(goro_ctx *ctx, const void *key) {
  for (goro_ctx *c = ctx; c; c = c->parent)
    if (c->kind == CTX_VALUE && c->key == key)
      return c->val;
  return NULL;
}

/* ---- cancellation --------------------------------------------------------- */

/* c->lock held, c not canceled. See the top of the file. */
static void cancel_locked(goro_ctx *c, int err, int cause,
                          goro__ctxhook **hooks) {
  goro__hb_release(c); /* ThreadSanitizer: to goro_ctx_wait's acquire */
  store_rel(&c->err, err);
  c->cause = cause;
  if (c->done)
    goro__chan_close(c->done);
  for (goro__ctxhook *h = c->hooks, *next; h; h = next) {
    next = h->next;
    store_relaxed(&h->state, HOOK_TAKEN);
    h->next = *hooks;
    *hooks = h;
  }
  c->hooks = NULL;
  for (goro_ctx *ch = c->children, *next; ch; ch = next) {
    next = ch->sib_next;
    goro__lock_acquire(&ch->lock);
    ch->registered = false; /* c is ch->pcanc and we hold its lock */
    ch->sib_next = ch->sib_prev = NULL;
    if (!ch->err)
      cancel_locked(ch, err, cause, hooks);
    goro__lock_release(&ch->lock);
  }
  c->children = NULL;
}

/* Leaves pcanc's children list, if still in it. */
static void unregister(goro_ctx *c) {
  goro_ctx *p = c->pcanc;
  if (!p)
    return;
  goro__lock_acquire(&p->lock);
  if (c->registered) {
    if (c->sib_prev)
      c->sib_prev->sib_next = c->sib_next;
    else
      p->children = c->sib_next;
    if (c->sib_next)
      c->sib_next->sib_prev = c->sib_prev;
    c->sib_next = c->sib_prev = NULL;
    c->registered = false;
  }
  goro__lock_release(&p->lock);
}

static void run_hooks(goro__ctxhook *h, int err) {
  while (h) {
    goro__ctxhook *next = h->next; /* read before DONE frees h */
    h->fn(h->arg, err);
    /* Release: the last access; hook_del may return once it sees DONE. */
    store_rel(&h->state, HOOK_DONE);
    h = next;
  }
}

static void cancel(goro_ctx *c, int err, int cause) {
  goro__ctxhook *hooks = NULL;
  goro__lock_acquire(&c->lock);
  if (c->err) {
    goro__lock_release(&c->lock);
    return;
  }
  cancel_locked(c, err, cause, &hooks);
  goro__lock_release(&c->lock);
  unregister(c);
  run_hooks(hooks, err);
  if (c->has_timer)
    goro__timer_del(&c->timer); /* from deadline_fire: its own timer */
}

void goro_ctx_cancel(goro_ctx *ctx) {
  if (ctx && ctx->kind == CTX_CANCEL)
    cancel(ctx, -ECANCELED, -ECANCELED);
}

void goro_ctx_cancel_cause(goro_ctx *ctx, int cause) {
  if (ctx && ctx->kind == CTX_CANCEL)
    cancel(ctx, -ECANCELED, cause < 0 ? cause : -ECANCELED);
}

/* ---- queries --------------------------------------------------------------- */

int goro_ctx_err(goro_ctx *ctx) {
  goro_ctx *c = ctx_or_bg(ctx)->canc;
  /* Acquire pairs with the store-release in cancel_locked. */
  return c ? load_acq(&c->err) : 0;
}

int goro_ctx_cause(goro_ctx *ctx) {
  goro_ctx *c = ctx_or_bg(ctx)->canc;
  if (!c)
    return 0;
  goro__lock_acquire(&c->lock);
  int r = c->err ? (c->cause ? c->cause : c->err) : 0;
  goro__lock_release(&c->lock);
  return r;
}

int64_t goro_ctx_deadline(goro_ctx *ctx) { return ctx_or_bg(ctx)->deadline; }

goro_chan *goro_ctx_done(goro_ctx *ctx) {
  goro_ctx *c = ctx_or_bg(ctx)->canc;
  if (!c)
    return NULL; /* the background's: a nil channel, never ready */
  goro__lock_acquire(&c->lock);
  if (!c->done) {
    c->done = goro_chan_make(0, 0);
    if (c->done && c->err)
      goro__chan_close(c->done);
  }
  goro_chan *d = c->done;
  goro__lock_release(&c->lock);
  return d;
}

/* ---- hooks (context.h) ------------------------------------------------------ */

/* c->lock held, c not canceled. */
static void hook_link(goro_ctx *c, goro__ctxhook *h) {
  h->owner = c;
  h->state = HOOK_QUEUED;
  h->prev = NULL;
  h->next = c->hooks;
  if (c->hooks)
    c->hooks->prev = h;
  c->hooks = h;
}

int goro__ctx_hook_add(goro_ctx *ctx, goro__ctxhook *h,
                       void (*fn)(void *, int), void *arg) {
  goro_ctx *c = ctx_or_bg(ctx)->canc;
  h->fn = fn;
  h->arg = arg;
  h->owner = NULL;
  if (!c)
    return 0; /* can never be canceled */
  goro__lock_acquire(&c->lock);
  int err = c->err;
  if (!err)
    hook_link(c, h);
  goro__lock_release(&c->lock);
  return err;
}

void goro__ctx_hook_del(goro__ctxhook *h) {
  goro_ctx *c = h->owner;
  if (!c)
    return;
  goro__lock_acquire(&c->lock);
  if (h->state == HOOK_QUEUED) {
    if (h->prev)
      h->prev->next = h->next;
    else
      c->hooks = h->next;
    if (h->next)
      h->next->prev = h->prev;
    goro__lock_release(&c->lock);
    return;
  }
  goro__lock_release(&c->lock);
  /* Taken by a canceler: wait until its fn has returned. Acquire pairs
   * with the store-release in run_hooks. */
  for (int spins = 0; load_acq(&h->state) != HOOK_DONE; spins++) {
    if (spins < 64)
      cpu_relax();
    else if (goro__g_get())
      goro_yield();
    else
      sched_yield();
  }
}

/* ---- waiting without a channel ----------------------------------------------- */

static void wait_wake(void *w, int err) {
  (void)err;
  goro__wake(w);
}

static void ctx_unlock(void *c) { goro__lock_release(&((goro_ctx *)c)->lock); }

int goro_ctx_wait(goro_ctx *ctx) {
  goro_ctx *c = ctx_or_bg(ctx)->canc;
  (void)goro__runtime_init();
  goro__waiter w;
  goro__waiter_init(&w);
  if (!c) {
    for (;;) /* published nowhere: nobody ever wakes it (a thread counts
                for deadlock detection) */
      goro__block(&w, NULL, NULL, "context.Done");
  }
  goro__ctxhook h;
  h.fn = wait_wake;
  h.arg = &w;
  goro__lock_acquire(&c->lock);
  if (c->err) {
    int err = c->err;
    goro__lock_release(&c->lock);
    goro__hb_acquire(c);
    return err;
  }
  hook_link(c, &h);
  goro__block(&w, ctx_unlock, c, "context.Done");
  goro__ctx_hook_del(&h);
  goro__hb_acquire(c);
  return load_acq(&c->err);
}

/* ---- references ------------------------------------------------------------- */

void goro_ctx_retain(goro_ctx *ctx) {
  if (ctx && ctx->kind != CTX_BACKGROUND)
    fetch_add_relaxed(&ctx->refs, 1); /* the caller already holds one */
}

static void ctx_free(goro_ctx *c) {
  if (c->kind == CTX_CANCEL) {
    cancel(c, -ECANCELED, -ECANCELED); /* Go's deferred cancel() */
    unregister(c);                     /* (T2) */
    if (c->has_timer)
      goro__timer_del(&c->timer); /* canceled through the parent */
    if (c->done)
      goro_chan_release(c->done);
  }
  free(c);
}

void goro_ctx_release(goro_ctx *ctx) {
  /* Iterative: freeing a child may free its parent, and so on up. */
  while (ctx && ctx->kind != CTX_BACKGROUND) {
    /* acq_rel: our uses of ctx before the decrement; the last one sees
     * everyone's before it frees. */
    uint32_t old = __atomic_fetch_sub(&ctx->refs, 1, __ATOMIC_ACQ_REL);
    if (old > 1)
      return;
    if (unlikely(old == 0))
      goro__fatal("goro_ctx_release: reference count went negative "
                  "(a context released more often than retained)");
    goro_ctx *parent = ctx->parent;
    ctx_free(ctx);
    ctx = parent;
  }
}
