/*
 * deadline.h: blocking on an object's queue until woken, a deadline, or a
 * context's cancellation, whichever comes first. One helper for every wait
 * that can time out: a semaphore acquire with a context, a timed cond wait,
 * and (later) an I/O wait with a deadline.
 *
 * int goro__block_until(w, unlockf, arg, reason, deadline, ctx,
 *                       cancel_fn, cancel_arg)
 *
 * Contract (an extension of park.h's):
 *  1. The caller holds the object's lock and has published w on the
 *     object's queue, as for goro__block. unlockf(arg) releases the lock; it
 *     runs once the caller is parked (a thread: before it sleeps).
 *  2. deadline is absolute on the goro_now() clock; INT64_MAX means none.
 *     ctx may be NULL (none). A deadline already past, or a context already
 *     done, still goes through the steps below (the timer fires at once).
 *  3. When the deadline passes or ctx is canceled, and nobody has woken w
 *     yet, cancel_fn(cancel_arg, w) runs on the timer's or the canceler's
 *     thread, with no lock held. It must take the object's lock, and if w
 *     is still queued, remove it and return true (the object may also do
 *     its own bookkeeping, e.g. wake the next waiter); if a waker already
 *     took w, return false: that waker will wake it. cancel_fn runs at most
 *     once per call and must not block otherwise.
 *  4. Returns 0 if a waker woke w (read the outcome from w as usual), or
 *     -ETIMEDOUT (deadline) or ctx's error (-ECANCELED, -ETIMEDOUT) if
 *     cancel_fn removed it. Before returning it disarms the timer and the
 *     context hook and waits for them if they are running, so every record
 *     on the caller's stack is free again.
 *
 * The same code serves goroutines and threads: for both, the deadline is a
 * runtime timer (tracked, on the caller's stack) and the wait is
 * goro__block. A thread could instead futex-wait with a timeout, but then
 * the deadlock detector would see a blocked thread and no pending timer,
 * and report a deadlock while the thread is about to time out; with a
 * timer, "a timer is pending" keeps that check right.
 *
 * Lock order: the object's lock is held while the timer is armed (a heap
 * lock) and the hook registered (a context lock), which the order allows;
 * cancel_fn takes the object's lock with neither held.
 */
#ifndef GORO_SYNC_DEADLINE_H
#define GORO_SYNC_DEADLINE_H

#include "../../include/goro.h"
#include "../sched/park.h"

typedef bool (*goro__cancel_fn)(void *cancel_arg, goro__waiter *w);

GORO_HIDDEN int goro__block_until(goro__waiter *w, void (*unlockf)(void *),
                                  void *arg, const char *reason,
                                  int64_t deadline, goro_ctx *ctx,
                                  goro__cancel_fn cancel_fn, void *cancel_arg);

#endif
