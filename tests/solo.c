/* solo.c: at one processor the run queue's owner takes goroutines with
 * plain stores ("Solo" in src/sched/proc.c) until a visitor turns that off:
 * GORO_MAXPROCS raised to 2 (and lowered back), or the monitor rescuing a
 * hog. Here both keep happening while channel ping-pongs (runnext) and
 * yielders (the ring) run: every value arrives once and in order, every
 * goroutine finishes, and each side of a pair is never running twice at
 * once (a goroutine taken twice would be). */
#include <goro.h>

#include "check.h"

#define PAIRS 3
#define ROUNDS 2000000
#define YIELDERS 3
#define YIELDS 2000000

static goro_wg wg = GORO_WG_INIT;      /* the pairs and the yielders */
static goro_wg helpers = GORO_WG_INIT; /* the flipper and the hog */
static int stop;
static int running[PAIRS * 2 + YIELDERS];
static long yields_done;

/* A goroutine's own mark: two Ms running it at once would see it set. */
static void enter(int id) {
  CHECK(__atomic_exchange_n(&running[id], 1, __ATOMIC_SEQ_CST) == 0);
}
static void leave(int id) { __atomic_store_n(&running[id], 0, __ATOMIC_SEQ_CST); }

typedef struct pair {
  goro_chan *c;
  int id;
} pair;

static void pinger(void *arg) {
  pair *pr = arg;
  for (long i = 0; i < ROUNDS; i++) {
    enter(pr->id);
    leave(pr->id);
    CHECK_EQ(goro_chan_send(pr->c, &i), 0);
  }
  goro_wg_done(&wg);
}

static void ponger(void *arg) {
  pair *pr = arg;
  for (long i = 0; i < ROUNDS; i++) {
    long v = -1;
    CHECK_EQ(goro_chan_recv(pr->c, &v), 1);
    enter(pr->id + 1);
    CHECK_EQ(v, i);
    leave(pr->id + 1);
    if (i % 8 == 0)
      goro_yield();
  }
  goro_wg_done(&wg);
}

static void yielder(void *arg) {
  int id = (int)(intptr_t)arg;
  for (long i = 0; i < YIELDS; i++) {
    enter(id);
    leave(id);
    goro_yield();
  }
  __atomic_add_fetch(&yields_done, YIELDS, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg);
}

/* Raises and lowers GORO_MAXPROCS until the others are done. */
static void flipper(void *arg) {
  int n = 0;
  while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
    goro_maxprocs(2);
    goro_sleep(200 * 1000);
    goro_maxprocs(1);
    goro_sleep((n++ % 3 + 1) * 500 * 1000);
  }
  goro_wg_done(&helpers);
}

/* Holds its processor for 12 ms at a time, so the monitor rescues the
 * goroutines queued behind it. */
static void hog(void *arg) {
  for (int k = 0; k < 6 && !__atomic_load_n(&stop, __ATOMIC_SEQ_CST); k++) {
    int64_t until = goro_now() + 12 * 1000 * 1000;
    while (goro_now() < until)
      ;
    goro_sleep(3 * 1000 * 1000);
  }
  goro_wg_done(&helpers);
}

static void main_g(void *arg) {
  static pair prs[PAIRS];
  goro_wg_add(&helpers, 2);
  goro_go(flipper, NULL);
  goro_go(hog, NULL);
  goro_wg_add(&wg, 2 * PAIRS + YIELDERS);
  for (int i = 0; i < PAIRS; i++) {
    prs[i].c = goro_chan_make(sizeof(long), 0);
    CHECK(prs[i].c);
    prs[i].id = 2 * i;
    goro_go(pinger, &prs[i]);
    goro_go(ponger, &prs[i]);
  }
  for (int i = 0; i < YIELDERS; i++)
    goro_go(yielder, (void *)(intptr_t)(2 * PAIRS + i));
  goro_wg_wait(&wg);
  __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
  goro_wg_wait(&helpers);
  CHECK_EQ(yields_done, (long)YIELDERS * YIELDS);
  for (int i = 0; i < PAIRS; i++)
    goro_chan_release(prs[i].c);
}

int main(void) {
  CHECK_EQ(goro_run(main_g, NULL), 0);
  printf("solo: ok\n");
  return 0;
}
