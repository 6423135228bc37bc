/*
 * timer.h: timers the scheduler fires.
 *
 * A timer is a record owned by its user (often on a goroutine's stack). It
 * sits in a min-heap keyed by `when` while pending. The scheduler fires due
 * timers from the scheduling context (g0) of an M that holds a P, with no
 * lock held, by calling f(t, now): f must not block, and may ready
 * goroutines or do non-blocking channel operations.
 *
 * Wake-ups: the idle M that sleeps with a deadline (the poll M, proc.c)
 * sleeps until the earliest timer; adding an earlier one pokes it.
 *
 * This version keeps one heap under one lock; per-processor heaps replace
 * it without changing this interface.
 */
#ifndef GORO_TIMER_H
#define GORO_TIMER_H

#include "internal.h"

typedef struct goro__timer goro__timer;
struct goro__timer {
  int64_t when;   /* absolute, goro_now() clock */
  int64_t period; /* > 0: re-armed at when + period after each firing */
  void (*f)(goro__timer *t, int64_t now);
  void *arg;
  int32_t idx;    /* heap index; -1 when not pending [timers lock] */
};

/* Arms t (t->idx must be -1). */
GORO_HIDDEN void goro__timer_add(goro__timer *t);
/* Disarms t; returns true if it was pending (so it will not fire). A false
 * return means it already fired or is firing right now. */
GORO_HIDDEN bool goro__timer_del(goro__timer *t);

/* For goroutine sleeps: arms t and parks the caller in one step, the timer
 * lock released only once the goroutine's context is saved. */
GORO_HIDDEN void goro__timer_add_and_park(goro__timer *t, const char *reason);

/* proc.c: pokes the poll M when a timer is added. */
GORO_HIDDEN void goro__timer_added(int64_t when);

#endif
