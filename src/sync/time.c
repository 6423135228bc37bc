/*
 * time.c: package time's channel timers on the runtime timers (timer.h):
 * goro_after (time.After), goro_tick (time.Tick), goro_timer_*
 * (time.Timer, time.AfterFunc) and goro_ticker_* (time.Ticker).
 *
 * Sending. A timer function runs on g0 with no lock held and must not
 * block, so it sends with goro_chan_trysend on a channel of capacity 1,
 * as Go's sendTime does: if the last value is still unreceived, the new
 * one is dropped (a slow reader of a ticker misses ticks, it does not
 * queue them).
 *
 * Stop and Reset (goro_timer_stop/reset, goro_ticker_stop/reset) follow Go
 * 1.23: once they return, no value from before the call can be received.
 * They delete the runtime timer (which waits for a send in progress), then
 * drain the channel with a tryrecv. A value that was sent but not yet
 * received counts as "the timer had not fired yet" for Stop's result, as a
 * 1.23 timer's synchronous channel makes it. Each object has a goro_mutex
 * so that concurrent Stop/Reset/free calls on it are serialised (Go 1.23
 * allows them concurrently); the timer function never takes it.
 *
 * Releasing the channel of goro_after / goro_tick. The channel API has no
 * way yet to learn that the caller dropped its reference. When it gets one
 * (goro__chan_set_finalizer below, requested from the channels work), the
 * timer holds no reference: the finalizer, run by the release that drops
 * the last one, deletes the timer (waiting for a send in progress, while
 * the channel still exists) and frees the record. Until then:
 *   - goro_after's timer holds its own reference and drops it after it
 *     fires: releasing first cancels the timer as far as anyone can see
 *     (nobody can receive), and the memory goes when the timer would have
 *     fired;
 *   - goro_tick's ticker holds its own reference and never stops: a
 *     ticker whose channel is released keeps its record and its heap entry
 *     (time.Tick before Go 1.23 leaked the same way). Use goro_ticker_* to
 *     stop one.
 */
#include "../chan.h"
#include "../timer.h"
#include "sema.h"

#include <stdlib.h>

/* Requested hook (see above): fn(arg) runs once, in the goro_chan_release
 * that drops the last reference, before the channel is freed, with no lock
 * held. A weak reference: NULL until chan.c provides it. */
GORO_HIDDEN extern void goro__chan_set_finalizer(goro_chan *c,
                                                 void (*fn)(void *arg),
                                                 void *arg)
    __attribute__((weak));

static int64_t deadline_after(int64_t ns) {
  int64_t now = goro__nanotime();
  if (ns <= 0)
    return now;
  return ns > INT64_MAX - now ? INT64_MAX - 1 : now + ns;
}

/* Sends the firing time; drops it if the last one is still there. */
static void send_time(goro__timer *t, int64_t now) {
  goro_chan *c = *(goro_chan **)t->arg;
  (void)goro__chan_trysend(c, &now);
}

/* ---- goro_after, goro_tick: the caller owns the channel -------------------- */

typedef struct chan_timer {
  goro__timer t;
  goro_chan *c; /* first member of what t.arg points to: see send_time */
} chan_timer;

static void chan_timer_finalize(void *arg) {
  chan_timer *ct = arg;
  goro__timer_del(&ct->t);
  free(ct);
}

/* Without the finalizer: the timer's reference goes with its one firing. */
static void after_fire_once(goro__timer *t, int64_t now) {
  chan_timer *ct = t->arg;
  (void)goro__chan_trysend(ct->c, &now);
  goro_chan_release(ct->c);
  free(ct); /* GORO__TIMER_NOSTOP: the firer has forgotten t */
}

static goro_chan *chan_timer_start(int64_t when, int64_t period) {
  if (goro__runtime_init() != 0)
    return NULL;
  goro_chan *c = goro_chan_make(sizeof(int64_t), 1);
  chan_timer *ct = c ? goro__malloc(sizeof(*ct)) : NULL;
  if (!ct) {
    goro_chan_release(c);
    return NULL;
  }
  ct->c = c;
  bool hook = goro__chan_set_finalizer != NULL;
  if (hook || period > 0) {
    goro__timer_init(&ct->t, send_time, &ct->c, 0);
    if (!hook)
      goro_chan_retain(c); /* the ticker's own, kept forever */
  } else {
    goro__timer_init(&ct->t, after_fire_once, ct, GORO__TIMER_NOSTOP);
    goro_chan_retain(c); /* the timer's own, dropped when it fires */
  }
  ct->t.when = when;
  ct->t.period = period;
  if (goro__timer_add(&ct->t) != 0) {
    if (!hook)
      goro_chan_release(c);
    goro_chan_release(c);
    free(ct);
    return NULL;
  }
  if (hook)
    goro__chan_set_finalizer(c, chan_timer_finalize, ct);
  return c;
}

goro_chan *goro_after(int64_t ns) {
  return chan_timer_start(deadline_after(ns), 0);
}

goro_chan *goro_tick(int64_t period_ns) {
  if (period_ns <= 0)
    return NULL;
  return chan_timer_start(deadline_after(period_ns), period_ns);
}

/* ---- goro_timer: time.Timer and time.AfterFunc ---------------------------- */

struct goro_timer {
  goro_chan *c; /* NULL for a func timer; first member: see send_time */
  goro__timer t;
  goro_mutex lock; /* serialises stop, reset and free (a goroutine
                      mutex: del may yield while waiting) */
  void (*fn)(void *);
  void *arg;
};

static void func_fire(goro__timer *t, int64_t now) {
  (void)now;
  goro_timer *tm = t->arg;
  /* time.AfterFunc: fn runs in a goroutine of its own, never on g0. */
  if (goro_go(tm->fn, tm->arg) < 0)
    goro__printf("goro: goro_timer_func: cannot start a goroutine\n");
}

static goro_timer *timer_new(int64_t ns, void (*fn)(void *), void *arg) {
  if (goro__runtime_init() != 0)
    return NULL;
  goro_timer *tm = goro__calloc(1, sizeof(*tm));
  if (!tm)
    return NULL;
  if (fn) {
    tm->fn = fn;
    tm->arg = arg;
    goro__timer_init(&tm->t, func_fire, tm, 0);
  } else {
    tm->c = goro_chan_make(sizeof(int64_t), 1);
    if (!tm->c) {
      free(tm);
      return NULL;
    }
    goro__timer_init(&tm->t, send_time, tm, 0);
  }
  tm->t.when = deadline_after(ns);
  if (goro__timer_add(&tm->t) != 0) {
    goro_chan_release(tm->c);
    free(tm);
    return NULL;
  }
  return tm;
}

goro_timer *goro_timer_new(int64_t ns) { return timer_new(ns, NULL, NULL); }

goro_timer *goro_timer_func(int64_t ns, void (*fn)(void *), void *arg) {
  return fn ? timer_new(ns, fn, arg) : NULL;
}

goro_chan *goro_timer_chan(goro_timer *t) { return t->c; }

/* Stops the runtime timer and drops an unreceived value. Lock held.
 * Returns 1 if the timer had not fired, as seen through the channel. */
static int timer_stop_locked(goro_timer *tm) {
  int was = goro__timer_del(&tm->t);
  if (tm->c && goro_chan_tryrecv(tm->c, NULL) == 1)
    was = 1; /* fired, but nobody received it: as if it had not */
  return was;
}

int goro_timer_stop(goro_timer *t) {
  goro_mutex_lock(&t->lock);
  int was = timer_stop_locked(t);
  goro_mutex_unlock(&t->lock);
  return was;
}

int goro_timer_reset(goro_timer *t, int64_t ns) {
  goro_mutex_lock(&t->lock);
  int was = timer_stop_locked(t);
  t->t.when = deadline_after(ns);
  if (goro__timer_add(&t->t) != 0)
    goro__fatal("out of memory (timer heap)");
  goro_mutex_unlock(&t->lock);
  return was;
}

void goro_timer_free(goro_timer *t) {
  if (!t)
    return;
  goro_mutex_lock(&t->lock);
  goro__timer_del(&t->t);
  goro_mutex_unlock(&t->lock);
  goro_chan_release(t->c);
  free(t);
}

/* ---- goro_ticker: time.Ticker ----------------------------------------------- */

struct goro_ticker {
  goro_chan *c; /* first member: see send_time */
  goro__timer t;
  goro_mutex lock; /* serialises stop, reset and free (a goroutine
                      mutex: del may yield while waiting) */
};

goro_ticker *goro_ticker_new(int64_t period_ns) {
  if (period_ns <= 0 || goro__runtime_init() != 0)
    return NULL;
  goro_ticker *tk = goro__calloc(1, sizeof(*tk));
  if (!tk)
    return NULL;
  tk->c = goro_chan_make(sizeof(int64_t), 1);
  if (!tk->c) {
    free(tk);
    return NULL;
  }
  goro__timer_init(&tk->t, send_time, tk, 0);
  tk->t.period = period_ns;
  tk->t.when = deadline_after(period_ns);
  if (goro__timer_add(&tk->t) != 0) {
    goro_chan_release(tk->c);
    free(tk);
    return NULL;
  }
  return tk;
}

goro_chan *goro_ticker_chan(goro_ticker *t) { return t->c; }

void goro_ticker_stop(goro_ticker *t) {
  goro_mutex_lock(&t->lock);
  goro__timer_del(&t->t);
  (void)goro_chan_tryrecv(t->c, NULL);
  goro_mutex_unlock(&t->lock);
}

int goro_ticker_reset(goro_ticker *t, int64_t period_ns) {
  if (period_ns <= 0)
    return -EINVAL;
  goro_mutex_lock(&t->lock);
  goro__timer_del(&t->t);
  (void)goro_chan_tryrecv(t->c, NULL);
  t->t.period = period_ns;
  t->t.when = deadline_after(period_ns);
  if (goro__timer_add(&t->t) != 0)
    goro__fatal("out of memory (timer heap)");
  goro_mutex_unlock(&t->lock);
  return 0;
}

void goro_ticker_free(goro_ticker *t) {
  if (!t)
    return;
  goro_mutex_lock(&t->lock);
  goro__timer_del(&t->t);
  goro_mutex_unlock(&t->lock);
  goro_chan_release(t->c);
  free(t);
}
