/* time_many.c: 100,000 concurrent timers.
 *  - 100,000 goroutines each sleep twice, for durations spread over
 *    1..20 ms, all at once: every sleep ends, none early;
 *  - 100,000 goro_after channels armed in one burst (by two goroutines,
 *    so both processors' heaps fill) and then received in arming order:
 *    each value is no earlier than its deadline;
 *  - 10,000 stoppable timers, every other one stopped at once: the
 *    stopped ones never fire. */
#include <goro.h>

#include <stdlib.h>

#include "check.h"

#define G 100000

static goro_wg wg = GORO_WG_INIT;
static int64_t early;

static void sleeper(void *arg) {
  int64_t d = 1000000 + ((int64_t)(intptr_t)arg * 7919) % 19000000;
  for (int i = 0; i < 2; i++) {
    int64_t t0 = goro_now();
    goro_sleep(d);
    if (goro_now() - t0 < d)
      __atomic_add_fetch(&early, 1, __ATOMIC_RELAXED);
  }
  goro_wg_done(&wg);
}

static void test_sleepers(void) {
  goro_wg_add(&wg, G);
  for (int i = 0; i < G; i++)
    CHECK(goro_go(sleeper, (void *)(intptr_t)i) > 0);
  goro_wg_wait(&wg);
  CHECK_EQ(early, 0);
}

typedef struct burst {
  int n;
  goro_chan **c;
  int64_t *deadline;
} burst;

static void arm_and_receive(void *arg) {
  burst *b = arg;
  for (int i = 0; i < b->n; i++) {
    int64_t d = 1000000 + (i * 104729LL) % 9000000;
    b->deadline[i] = goro_now() + d;
    b->c[i] = goro_after(d);
    CHECK(b->c[i] != NULL);
  }
  for (int i = 0; i < b->n; i++) {
    int64_t v;
    CHECK_EQ(goro_chan_recv(b->c[i], &v), 1);
    CHECK(v >= b->deadline[i]);
    goro_chan_release(b->c[i]);
  }
  goro_wg_done(&wg);
}

static void test_afters(void) {
  burst b[2];
  goro_wg_add(&wg, 2);
  for (int k = 0; k < 2; k++) {
    b[k].n = G / 2;
    b[k].c = calloc(G / 2, sizeof(goro_chan *));
    b[k].deadline = calloc(G / 2, sizeof(int64_t));
    CHECK(b[k].c && b[k].deadline);
    goro_go(arm_and_receive, &b[k]);
  }
  goro_wg_wait(&wg);
  for (int k = 0; k < 2; k++) {
    free(b[k].c);
    free(b[k].deadline);
  }
}

#define S 10000
static int hits[S];
static void hit(void *arg) { __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST); }

static void test_stops(void) {
  goro_timer **ts = calloc(S, sizeof(*ts));
  int *st = calloc(S, sizeof(int));
  CHECK(ts && st);
  for (int i = 0; i < S; i++)
    ts[i] = goro_timer_func(50000000 + (i % 100) * 100000, hit, &hits[i]);
  for (int i = 0; i < S; i += 2)
    st[i] = goro_timer_stop(ts[i]);
  /* Wait for every running one to fire; then nothing more happens. */
  for (int i = 1; i < S; i += 2)
    while (!__atomic_load_n(&hits[i], __ATOMIC_SEQ_CST))
      goro_sleep(1000000);
  goro_sleep(20000000);
  for (int i = 0; i < S; i++) {
    if (i % 2 == 0 && st[i])
      CHECK_EQ(hits[i], 0);
    else
      CHECK_EQ(hits[i], 1);
    goro_timer_free(ts[i]);
  }
  free(ts);
  free(st);
}

int main(void) {
  test_sleepers();
  test_afters();
  test_stops();
  return 0;
}
