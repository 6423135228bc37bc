/*
 * timer.c: the timer heap (see timer.h) and goro_sleep.
 */
#define _GNU_SOURCE
#include "timer.h"

#include "sched/park.h"
#include "sched/sched.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static struct {
  goro__lock lock;
  goro__timer **heap; /* [lock] */
  size_t n, cap;      /* [lock] */
  int64_t next;       /* heap[0]->when or INT64_MAX [atomic; written under lock] */
} tm = {.lock = GORO__LOCK_INIT, .next = INT64_MAX};

static void sift_up(size_t i) {
  goro__timer *t = tm.heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (tm.heap[parent]->when <= t->when)
      break;
    tm.heap[i] = tm.heap[parent];
    tm.heap[i]->idx = (int32_t)i;
    i = parent;
  }
  tm.heap[i] = t;
  t->idx = (int32_t)i;
}

static void sift_down(size_t i) {
  goro__timer *t = tm.heap[i];
  for (;;) {
    size_t c = i * 4 + 1, best = i;
    int64_t bw = t->when;
    for (size_t k = c; k < c + 4 && k < tm.n; k++)
      if (tm.heap[k]->when < bw) {
        best = k;
        bw = tm.heap[k]->when;
      }
    if (best == i)
      break;
    tm.heap[i] = tm.heap[best];
    tm.heap[i]->idx = (int32_t)i;
    i = best;
  }
  tm.heap[i] = t;
  t->idx = (int32_t)i;
}

static void publish_next(void) {
  store_rel(&tm.next, tm.n ? tm.heap[0]->when : INT64_MAX);
}

/* tm.lock held. */
static void heap_add(goro__timer *t) {
  if (tm.n == tm.cap) {
    size_t cap = tm.cap ? tm.cap * 2 : 1024;
    goro__timer **h = realloc(tm.heap, cap * sizeof(*h));
    if (!h)
      goro__fatal("out of memory (timer heap)");
    tm.heap = h;
    tm.cap = cap;
  }
  tm.heap[tm.n] = t;
  sift_up(tm.n++);
  publish_next();
}

/* tm.lock held; t pending. */
static void heap_del(goro__timer *t) {
  size_t i = (size_t)t->idx;
  t->idx = -1;
  tm.n--;
  if (i != tm.n) {
    tm.heap[i] = tm.heap[tm.n];
    tm.heap[i]->idx = (int32_t)i;
    sift_down(i);
    sift_up((size_t)tm.heap[i]->idx);
  }
  publish_next();
}

void goro__timer_add(goro__timer *t) {
  goro__lock_acquire(&tm.lock);
  heap_add(t);
  /* Lock order: timer lock, then sched.lock. */
  goro__timer_added(t->when);
  goro__lock_release(&tm.lock);
}

bool goro__timer_del(goro__timer *t) {
  goro__lock_acquire(&tm.lock);
  bool pending = t->idx >= 0;
  if (pending)
    heap_del(t);
  goro__lock_release(&tm.lock);
  return pending;
}

static void unlock_timers(void *arg) {
  (void)arg;
  goro__lock_release(&tm.lock);
}

void goro__timer_add_and_park(goro__timer *t, const char *reason) {
  goro__lock_acquire(&tm.lock);
  heap_add(t);
  goro__timer_added(t->when);
  goro__park(unlock_timers, NULL, reason);
}

int64_t goro__timers_next(void) { return load_acq(&tm.next); }

bool goro__timers_pending(void) { return load_relaxed(&tm.next) != INT64_MAX; }

int goro__timers_run(int64_t now) {
  int fired = 0;
  for (;;) {
    goro__lock_acquire(&tm.lock);
    if (tm.n == 0 || tm.heap[0]->when > now) {
      goro__lock_release(&tm.lock);
      return fired;
    }
    goro__timer *t = tm.heap[0];
    heap_del(t);
    if (t->period > 0) {
      t->when += t->period;
      if (t->when <= now) /* fell behind: skip missed ticks, as Go does */
        t->when = now + t->period - (now - t->when) % t->period;
      heap_add(t);
    }
    goro__lock_release(&tm.lock);
    t->f(t, now);
    fired++;
  }
}

/* ---- time.Sleep ---------------------------------------------------------- */

static void sleep_fire(goro__timer *t, int64_t now) {
  (void)now;
  goro__ready(t->arg);
}

void goro_sleep(int64_t ns) {
  if (ns <= 0)
    return;
  int64_t deadline = goro__nanotime() + ns;
  goro__g *g = goro__runtime_init() == 0 ? goro__g_get() : NULL;
  if (!g) {
    /* A thread: it sleeps by itself and is not blocked in the API (it will
     * wake on its own, so it can never be part of a deadlock). */
    struct timespec ts = {.tv_sec = deadline / 1000000000,
                          .tv_nsec = deadline % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
      ;
    return;
  }
  goro__timer t = {.when = deadline, .f = sleep_fire, .arg = g, .idx = -1};
  goro__timer_add_and_park(&t, "sleep");
}
