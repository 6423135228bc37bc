/*
 * context.h: what the runtime needs from contexts (context.c) besides the
 * public API: a way to be told, without a channel or a goroutine, that a
 * context was canceled. It is Go's context.AfterFunc, reduced to what a
 * blocking call needs, and it is how goro__block_until (deadline.h) and
 * goro_ctx_wait wait for a context.
 *
 * A hook is a record owned by the caller (usually on its stack):
 *   goro__ctx_hook_add   registers fn(arg, err) on ctx. It runs once, when
 *                        ctx (or an ancestor) is canceled, in the thread
 *                        that cancels, with no lock held; it must not
 *                        block (it may take an object lock and wake a
 *                        waiter). Returns 0, or ctx's error if ctx is
 *                        already done (nothing registered, fn never runs).
 *                        A context that can never be canceled registers
 *                        nothing and returns 0.
 *   goro__ctx_hook_del   unregisters it. If the canceler has already taken
 *                        it, waits until fn has returned. Afterwards the
 *                        hook's memory is the caller's again. Call it with
 *                        no lock held that fn may take.
 *
 * Hook states (h->state, atomic): QUEUED on the context's list [ctx lock]
 * -> TAKEN by the canceler (still under the ctx lock) -> DONE after fn
 * returned (store-release, the canceler's last access; pairs with the
 * load-acquire in hook_del).
 *
 * Lock order: object locks -> context locks (a parent's before its
 * child's) -> channel locks (closing the done channel) and heap locks.
 * Hooks run after every context lock is released.
 */
#ifndef GORO_SYNC_CONTEXT_H
#define GORO_SYNC_CONTEXT_H

#include "../../include/goro.h"
#include "../internal.h"

typedef struct goro__ctxhook goro__ctxhook;
struct goro__ctxhook {
  goro__ctxhook *next, *prev; /* on owner's list [owner's lock] */
  void (*fn)(void *arg, int err);
  void *arg;
  goro_ctx *owner; /* the context it is registered with, or NULL */
  uint32_t state;  /* see above [atomic] */
};

GORO_HIDDEN int goro__ctx_hook_add(goro_ctx *ctx, goro__ctxhook *h,
                                   void (*fn)(void *arg, int err), void *arg);
GORO_HIDDEN void goro__ctx_hook_del(goro__ctxhook *h);

#endif
