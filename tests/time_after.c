/* time_after.c: time.After and time.AfterFunc (Go's time/sleep_test.go).
 *  - After fires once: one value, no earlier than the deadline, carrying
 *    the firing time; nothing more arrives afterwards;
 *  - After(0) and After(negative) fire at once;
 *  - many Afters in a select with a channel that never sends: the timer
 *    case is chosen;
 *  - releasing an After's channel before it fires is safe;
 *  - AfterFunc runs its function once, in a goroutine of its own, no
 *    earlier than the deadline;
 *  - After from a plain thread. */
#include <goro.h>

#include <pthread.h>

#include "check.h"

static void test_fires_once(void) {
  int64_t t0 = goro_now();
  goro_chan *c = goro_after(2000000);
  CHECK(c != NULL);
  CHECK_EQ(goro_chan_cap(c), 1);
  int64_t v = 0;
  CHECK_EQ(goro_chan_recv(c, &v), 1);
  int64_t t1 = goro_now();
  CHECK(v >= t0 + 2000000);
  CHECK(v <= t1);
  goro_sleep(5000000);
  CHECK_EQ(goro_chan_tryrecv(c, &v), -EAGAIN); /* once only */
  goro_chan_release(c);
}

static void test_immediate(void) {
  for (int i = 0; i < 10; i++) {
    goro_chan *c = goro_after(i % 2 ? 0 : -100);
    int64_t v;
    CHECK_EQ(goro_chan_recv(c, &v), 1);
    goro_chan_release(c);
  }
}

static void test_select(void) {
  goro_chan *never = goro_chan_make(sizeof(int), 0);
  for (int i = 0; i < 20; i++) {
    goro_chan *t = goro_after(100000);
    int x;
    int64_t v;
    goro_case cases[2] = {{never, GORO_RECV, &x, 0}, {t, GORO_RECV, &v, 0}};
    CHECK_EQ(goro_select(cases, 2, 0), 1);
    CHECK_EQ(cases[1].ok, 1);
    goro_chan_release(t);
  }
  goro_chan_release(never);
}

static void test_release_early(void) {
  for (int i = 0; i < 1000; i++)
    goro_chan_release(goro_after(1000000 + i * 1000));
  goro_sleep(5000000); /* they fire (or were canceled) into nobody */
}

static goro_wg wg = GORO_WG_INIT;
static int64_t func_ran_at, func_id;
static int func_calls;

static void func(void *arg) {
  __atomic_add_fetch(&func_calls, 1, __ATOMIC_SEQ_CST);
  func_ran_at = goro_now();
  func_id = goro_self();
  goro_wg_done(&wg);
}

static void test_afterfunc(void) {
  goro_wg_add(&wg, 1);
  int64_t t0 = goro_now();
  goro_timer *t = goro_timer_func(3000000, func, NULL);
  CHECK(t != NULL);
  CHECK(goro_timer_chan(t) == NULL);
  goro_wg_wait(&wg);
  CHECK(func_ran_at >= t0 + 3000000);
  CHECK(func_id > 0); /* a goroutine, not the scheduler's context */
  goro_sleep(2000000);
  CHECK_EQ(func_calls, 1);
  CHECK_EQ(goro_timer_stop(t), 0); /* already fired */
  goro_timer_free(t);
  CHECK(goro_timer_func(1, NULL, NULL) == NULL);
}

static void *thread_after(void *arg) {
  int64_t t0 = goro_now();
  goro_chan *c = goro_after(1000000);
  int64_t v;
  CHECK_EQ(goro_chan_recv(c, &v), 1);
  CHECK(v >= t0 + 1000000);
  goro_chan_release(c);
  return NULL;
}

static void goroutine_main(void *arg) {
  test_fires_once();
  test_immediate();
  test_select();
  test_release_early();
  test_afterfunc();
}

int main(void) {
  /* From a thread first, then from a goroutine. */
  pthread_t th;
  CHECK(pthread_create(&th, NULL, thread_after, NULL) == 0);
  pthread_join(th, NULL);
  test_fires_once();
  CHECK_EQ(goro_run(goroutine_main, NULL), 0);
  return 0;
}
