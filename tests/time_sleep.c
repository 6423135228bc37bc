/* time_sleep.c: time.Sleep (Go's time/sleep_test.go, ported).
 *  - sleep never returns early: goroutines sleep assorted durations,
 *    repeatedly, and each checks goro_now() after >= before + d; the same
 *    from a plain thread;
 *  - sleeps wake in deadline order when started together (a goroutine
 *    that sleeps 1 ms is not woken after one that sleeps 30 ms);
 *  - sleep(0) and negative durations return at once;
 *  - a goroutine that never yields does not keep another processor's
 *    sleeper asleep forever (GORO_MAXPROCS=2: its timers are fired by the
 *    idle processor or stolen);
 *  - a timer comes due while its processor stays busy switching between
 *    two goroutines, after a goroutine's long sleep parked there (the
 *    sleep's clock reading must not outlive the switch it was made for). */
#include <goro.h>

#include <pthread.h>

#include "check.h"

static goro_wg wg = GORO_WG_INIT;

static void sleeper(void *arg) {
  int64_t d = (int64_t)(intptr_t)arg;
  for (int i = 0; i < 5; i++) {
    int64_t t0 = goro_now();
    goro_sleep(d);
    CHECK(goro_now() - t0 >= d);
  }
  goro_wg_done(&wg);
}

static void *thread_sleeper(void *arg) {
  for (int i = 0; i < 5; i++) {
    int64_t t0 = goro_now();
    goro_sleep(300000);
    CHECK(goro_now() - t0 >= 300000);
  }
  return NULL;
}

static void test_not_early(void) {
  static const int64_t ds[] = {1000, 50000, 100000, 1000000, 3000000};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, thread_sleeper, NULL) == 0);
  goro_wg_add(&wg, 200);
  for (int i = 0; i < 200; i++)
    CHECK(goro_go(sleeper, (void *)(intptr_t)ds[i % 5]) > 0);
  goro_wg_wait(&wg);
  pthread_join(th, NULL);
}

static goro_mutex order_mu = GORO_MUTEX_INIT;
static int order[2], norder;

static void ordered(void *arg) {
  int64_t d = (int64_t)(intptr_t)arg;
  goro_sleep(d);
  goro_mutex_lock(&order_mu);
  order[norder++] = d == 1000000 ? 1 : 30;
  goro_mutex_unlock(&order_mu);
  goro_wg_done(&wg);
}

static void test_order(void) {
  goro_wg_add(&wg, 2);
  goro_go(ordered, (void *)(intptr_t)30000000);
  goro_go(ordered, (void *)(intptr_t)1000000);
  goro_wg_wait(&wg);
  CHECK_EQ(order[0], 1);
  CHECK_EQ(order[1], 30);
}

static int stop_spin;
static void spinner(void *arg) {
  /* Never yields until told: holds its processor. */
  while (!__atomic_load_n(&stop_spin, __ATOMIC_ACQUIRE))
    ;
  goro_wg_done(&wg);
}

static void sleeps_then_stops(void *arg) {
  goro_sleep(2000000);
  __atomic_store_n(&stop_spin, 1, __ATOMIC_RELEASE);
  goro_wg_done(&wg);
}

static void spawn_pair(void *arg) {
  /* Both on this processor's queue; the other one will steal one. */
  goro_go(sleeps_then_stops, NULL);
  goro_go(spinner, NULL);
  goro_wg_done(&wg);
}

static goro_chan *ping_c, *pong_c;
static int stop_pp;
static void pinger(void *arg) {
  int v = 0;
  while (!__atomic_load_n(&stop_pp, __ATOMIC_ACQUIRE)) {
    CHECK_EQ(goro_chan_send(ping_c, &v), 0);
    CHECK_EQ(goro_chan_recv(pong_c, &v), 1);
  }
  goro_chan_close(ping_c);
  goro_wg_done(&wg);
}
static void ponger(void *arg) {
  int v;
  while (goro_chan_recv(ping_c, &v) == 1)
    CHECK_EQ(goro_chan_send(pong_c, &v), 0);
  goro_wg_done(&wg);
}
static void long_sleeper(void *arg) {
  goro_sleep(200000000); /* 200 ms */
  goro_wg_done(&wg);
}
static void busy_timer(void *arg) {
  ping_c = goro_chan_make(sizeof(int), 0);
  pong_c = goro_chan_make(sizeof(int), 0);
  CHECK(ping_c && pong_c);
  goro_go(long_sleeper, NULL);
  goro_yield(); /* it parks in goro_sleep on this processor */
  goro_go(pinger, NULL);
  goro_go(ponger, NULL);
  int64_t t0 = goro_now();
  goro_sleep(5000000); /* only the ping-pong keeps the processor busy */
  CHECK(goro_now() - t0 >= 5000000);
  __atomic_store_n(&stop_pp, 1, __ATOMIC_RELEASE);
  goro_wg_done(&wg);
}

int main(void) {
  int64_t t0 = goro_now();
  goro_sleep(0);
  goro_sleep(-5);
  (void)t0;
  test_not_early();
  test_order();
  if (goro_maxprocs(0) >= 2) {
    goro_wg_add(&wg, 3);
    goro_go(spawn_pair, NULL);
    goro_wg_wait(&wg);
  }
  goro_wg_add(&wg, 4);
  goro_go(busy_timer, NULL);
  goro_wg_wait(&wg);
  goro_chan_release(ping_c);
  goro_chan_release(pong_c);
  return 0;
}
