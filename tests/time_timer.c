/* time_timer.c: time.Timer and time.Ticker (Go's time/sleep_test.go and
 * tick_test.go, ported).
 *  - a timer stopped before it fires never fires: Stop returns 1, and
 *    nothing arrives on its channel (or its func never runs) long after;
 *  - Stop after it fired and was received returns 0;
 *  - Go 1.23 semantics: Stop or Reset after it fired but before the value
 *    was received drop the value (no stale value), and Stop says 1;
 *  - Reset re-arms: it fires once more, no earlier than the new deadline;
 *    Reset of a pending timer moves it (earlier and later);
 *  - ticker period: the k-th tick arrives no earlier than start + k*period
 *    and tick times increase; a slow reader gets dropped ticks, not a
 *    backlog; Stop stops it; Reset changes the period; goro_tick ticks;
 *  - many timers stopped and reset from several goroutines at once: the
 *    stopped ones never fire, the others fire exactly once. */
#include <goro.h>

#include "check.h"

static goro_wg wg = GORO_WG_INIT;

static void test_stop_before_fire(void) {
  goro_timer *t = goro_timer_new(5000000);
  CHECK(t != NULL);
  CHECK_EQ(goro_timer_stop(t), 1);
  CHECK_EQ(goro_timer_stop(t), 0); /* already stopped */
  goro_sleep(10000000);
  CHECK_EQ(goro_chan_tryrecv(goro_timer_chan(t), NULL), -EAGAIN);
  goro_timer_free(t);
}

static int func_calls;
static void count_call(void *arg) {
  __atomic_add_fetch(&func_calls, 1, __ATOMIC_SEQ_CST);
}

static void test_func_stopped(void) {
  goro_timer *t = goro_timer_func(3000000, count_call, NULL);
  CHECK_EQ(goro_timer_stop(t), 1);
  goro_sleep(8000000);
  CHECK_EQ(__atomic_load_n(&func_calls, __ATOMIC_SEQ_CST), 0);
  /* Reset re-arms a func timer. */
  CHECK_EQ(goro_timer_reset(t, 1000000), 0);
  while (__atomic_load_n(&func_calls, __ATOMIC_SEQ_CST) == 0)
    goro_sleep(1000000);
  goro_timer_free(t);
}

static void test_stop_after_fire(void) {
  goro_timer *t = goro_timer_new(1000000);
  int64_t v;
  CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 1);
  CHECK_EQ(goro_timer_stop(t), 0);
  goro_timer_free(t);

  /* Fired, not received: Stop drops the value and reports it stopped. */
  t = goro_timer_new(1000);
  while (goro_chan_len(goro_timer_chan(t)) == 0)
    goro_sleep(100000);
  CHECK_EQ(goro_timer_stop(t), 1);
  CHECK_EQ(goro_chan_tryrecv(goro_timer_chan(t), &v), -EAGAIN);

  /* Reset: no stale value either; the new one comes after the new
   * deadline. */
  CHECK_EQ(goro_timer_reset(t, 1000), 0);
  while (goro_chan_len(goro_timer_chan(t)) == 0)
    goro_sleep(100000);
  int64_t t0 = goro_now();
  CHECK_EQ(goro_timer_reset(t, 2000000), 1);
  CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 1);
  CHECK(v >= t0 + 2000000);
  goro_timer_free(t);
}

static void test_reset_moves(void) {
  /* Later: from 1 ms to 20 ms. */
  goro_timer *t = goro_timer_new(1000000);
  int64_t t0 = goro_now(), v;
  CHECK_EQ(goro_timer_reset(t, 20000000), 1);
  CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 1);
  CHECK(v >= t0 + 20000000);
  /* Earlier: from 10 s to 1 ms. */
  CHECK_EQ(goro_timer_reset(t, 10000000000LL), 0);
  t0 = goro_now();
  CHECK_EQ(goro_timer_reset(t, 1000000), 1);
  CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 1);
  CHECK(v >= t0 + 1000000);
  goro_timer_free(t);
  goro_timer_free(NULL);
}

/* ---- tickers ------------------------------------------------------------- */

static void test_ticker(void) {
  const int64_t period = 2000000;
  int64_t start = goro_now();
  goro_ticker *tk = goro_ticker_new(period);
  CHECK(tk != NULL);
  int64_t last = 0;
  for (int k = 1; k <= 10; k++) {
    int64_t v;
    CHECK_EQ(goro_chan_recv(goro_ticker_chan(tk), &v), 1);
    CHECK(v >= start + k * period);
    CHECK(v > last);
    last = v;
  }
  /* A slow reader: ticks are dropped, at most one waits (capacity 1). */
  goro_sleep(10 * period);
  CHECK(goro_chan_len(goro_ticker_chan(tk)) <= 1);

  goro_ticker_stop(tk);
  CHECK_EQ(goro_chan_len(goro_ticker_chan(tk)), 0);
  goro_sleep(3 * period);
  CHECK_EQ(goro_chan_tryrecv(goro_ticker_chan(tk), NULL), -EAGAIN);

  CHECK_EQ(goro_ticker_reset(tk, 0), -EINVAL);
  start = goro_now();
  CHECK_EQ(goro_ticker_reset(tk, 3 * period), 0);
  for (int k = 1; k <= 3; k++) {
    int64_t v;
    CHECK_EQ(goro_chan_recv(goro_ticker_chan(tk), &v), 1);
    CHECK(v >= start + k * 3 * period);
  }
  goro_ticker_free(tk);
  CHECK(goro_ticker_new(0) == NULL);
  CHECK(goro_tick(-1) == NULL);

  start = goro_now();
  goro_chan *c = goro_tick(period);
  for (int k = 1; k <= 3; k++) {
    int64_t v;
    CHECK_EQ(goro_chan_recv(c, &v), 1);
    CHECK(v >= start + k * period);
  }
  goro_chan_release(c);
}

/* ---- stop and reset churn -------------------------------------------------- */

#define CHURN 500
static int fired[4][CHURN], stopped[4][CHURN], reset_was[4][CHURN];

static void mark(void *arg) {
  __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static int fired_count(int w, int i) {
  return __atomic_load_n(&fired[w][i], __ATOMIC_SEQ_CST);
}

/* The number of times timer (w, i) must fire, in the end. */
static int expected(int w, int i) {
  if (i % 2 == 0)
    return stopped[w][i] ? 0 : 1; /* a Stop that returned 1: never */
  if (i % 4 == 1)
    return reset_was[w][i] ? 1 : 2; /* reset while pending: once */
  return 1;
}

static void churn(void *arg) {
  int w = (int)(intptr_t)arg;
  static goro_timer *ts[4][CHURN];
  for (int i = 0; i < CHURN; i++)
    ts[w][i] = goro_timer_func(1000000 + (i % 7) * 100000, mark, &fired[w][i]);
  for (int i = 0; i < CHURN; i += 2)
    stopped[w][i] = goro_timer_stop(ts[w][i]); /* 0 if it fired first */
  for (int i = 1; i < CHURN; i += 4)
    reset_was[w][i] = goro_timer_reset(ts[w][i], 500000);
  /* Every timer that must fire does, eventually (its function runs in a
   * goroutine of its own, queued behind a few thousand others). */
  for (int i = 0; i < CHURN; i++)
    while (fired_count(w, i) < expected(w, i))
      goro_sleep(1000000);
  goro_sleep(3000000); /* past every deadline: nothing fires again */
  for (int i = 0; i < CHURN; i++)
    CHECK_EQ(fired_count(w, i), expected(w, i));
  for (int i = 0; i < CHURN; i++)
    goro_timer_free(ts[w][i]);
  goro_wg_done(&wg);
}

static void test_churn(void) {
  goro_wg_add(&wg, 4);
  for (int i = 0; i < 4; i++)
    goro_go(churn, (void *)(intptr_t)i);
  goro_wg_wait(&wg);
}

static void test_stopped_never_fire(void) {
  static int n[1000];
  goro_timer *ts[1000];
  int st[1000];
  for (int i = 0; i < 1000; i++)
    ts[i] = goro_timer_func(200000000, mark, &n[i]);
  for (int i = 0; i < 1000; i++)
    st[i] = goro_timer_stop(ts[i]); /* 1 unless 200 ms passed already */
  goro_sleep(250000000);
  for (int i = 0; i < 1000; i++) {
    if (st[i])
      CHECK_EQ(__atomic_load_n(&n[i], __ATOMIC_SEQ_CST), 0);
    goro_timer_free(ts[i]);
    n[i] = 0;
  }
}

static void main_goroutine(void *arg) {
  test_stop_before_fire();
  test_func_stopped();
  test_stop_after_fire();
  test_reset_moves();
  test_ticker();
  test_churn();
  test_stopped_never_fire();
}

int main(void) {
  CHECK_EQ(goro_run(main_goroutine, NULL), 0);
  /* And from a plain thread. */
  test_stop_before_fire();
  test_stop_after_fire();
  test_stopped_never_fire();
  return 0;
}
