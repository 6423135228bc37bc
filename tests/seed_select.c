/*
 * seed_select.c: select under the deterministic mode, one interleaving per
 * seed (seed.h explains the explorer). The seed also picks among the ready
 * cases (select's random choice draws from the same generator).
 *
 *  select   two producers, one on an unbuffered channel and one on a
 *           buffered one, merged by a goroutine whose select receives from
 *           both and sends on `out` whenever it holds a value (Go's idiom:
 *           a case on a NULL channel is never chosen); a closed input
 *           becomes NULL. Two consumers drain `out`. A third producer
 *           offers values with a non-blocking select (default: yield and
 *           retry). Every value arrives once, each producer's in order.
 *  selclose several goroutines block in selects over the same channels;
 *           closing one wakes each exactly once, with ok == 0, and the
 *           others' cases stay usable.
 */
#include "seed.h"

enum { NV = 10, NCONS = 2 };

static goro_chan *in_a, *in_b, *in_c, *out;
static goro_wg wg = GORO_WG_INIT;
static int got[3][NV];

static void producer(void *arg) {
  int p = (int)(intptr_t)arg;
  goro_chan *c = p == 0 ? in_a : in_b;
  for (int v = 0; v < NV; v++) {
    int val = p * 1000 + v;
    ev("p%d send %d", p, v);
    CHECK_EQ(goro_chan_send(c, &val), 0);
  }
  ev("p%d close", p);
  CHECK_EQ(goro_chan_close(c), 0);
}

static void offerer(void *arg) {
  for (int v = 0; v < NV; v++) {
    int val = 2000 + v;
    goro_case cs[] = {{in_c, GORO_SEND, &val, 0}};
    int r;
    while ((r = goro_select(cs, 1, GORO_NONBLOCK)) == -EAGAIN) {
      ev("p2 default %d", v);
      goro_yield();
    }
    CHECK_EQ(r, 0);
    ev("p2 sent %d", v);
  }
  CHECK_EQ(goro_chan_close(in_c), 0);
}

/* Receives from the inputs, forwards to out, one value held at a time. */
static void merger(void *arg) {
  goro_chan *ins[3] = {in_a, in_b, in_c};
  int held = 0, have = 0, open_ = 3, v;
  while (open_ > 0 || have) {
    goro_case cs[4];
    for (int i = 0; i < 3; i++)
      cs[i] = (goro_case){have ? NULL : ins[i], GORO_RECV, &v, 0};
    cs[3] = (goro_case){have ? out : NULL, GORO_SEND, &held, 0};
    int k = goro_select(cs, 4, 0);
    SEED_CHECK(k >= 0 && k < 4, "select returned %d", k);
    if (k == 3) {
      ev("m forward %d", held);
      have = 0;
    } else if (cs[k].ok) {
      ev("m recv %d from %d", v, k);
      SEED_CHECK(!have, "received while holding a value");
      held = v;
      have = 1;
    } else {
      ev("m input %d closed", k);
      SEED_CHECK(v == 0, "closed receive left %d", v);
      ins[k] = NULL;
      open_--;
    }
  }
  CHECK_EQ(goro_chan_close(out), 0);
}

static void consumer(void *arg) {
  int c = (int)(intptr_t)arg, last[3] = {-1, -1, -1}, val;
  while (goro_chan_recv(out, &val) == 1) {
    int p = val / 1000, v = val % 1000;
    ev("c%d recv p%d.%d", c, p, v);
    SEED_CHECK(p >= 0 && p < 3 && v >= 0 && v < NV, "bad value %d", val);
    SEED_CHECK(v > last[p], "c%d: p%d's %d after %d", c, p, v, last[p]);
    last[p] = v;
    got[p][v]++;
  }
  goro_wg_done(&wg);
}

static void select_merge(void) {
  in_a = goro_chan_make(sizeof(int), 0);
  in_b = goro_chan_make(sizeof(int), 2);
  in_c = goro_chan_make(sizeof(int), 1);
  out = goro_chan_make(sizeof(int), 1);
  CHECK(in_a && in_b && in_c && out);
  goro_wg_add(&wg, NCONS);
  for (int c = 0; c < NCONS; c++)
    seed_go(consumer, (void *)(intptr_t)c);
  seed_go(merger, NULL);
  seed_go(producer, (void *)0);
  seed_go(producer, (void *)1);
  seed_go(offerer, NULL);
  goro_wg_wait(&wg);
  for (int p = 0; p < 3; p++)
    for (int v = 0; v < NV; v++)
      SEED_CHECK(got[p][v] == 1, "p%d's %d received %d times", p, v,
                 got[p][v]);
}

/* ---- selclose ----------------------------------------------------------- */

enum { NSEL = 4 };
static goro_chan *quit, *work;
static int woke[NSEL], worked;

static void selector(void *arg) {
  int i = (int)(intptr_t)arg, v;
  for (;;) {
    goro_case cs[] = {{quit, GORO_RECV, NULL, 0}, {work, GORO_RECV, &v, 0}};
    int k = goro_select(cs, 2, 0);
    if (k == 0) {
      SEED_CHECK(cs[0].ok == 0, "s%d: quit delivered a value", i);
      ev("s%d quit", i);
      woke[i]++;
      break;
    }
    SEED_CHECK(k == 1 && cs[1].ok == 1, "s%d: select gave %d ok %d", i, k,
               cs[1].ok);
    ev("s%d work %d", i, v);
    worked++;
  }
  goro_wg_done(&wg);
}

static void selclose(void) {
  quit = goro_chan_make(0, 0);
  work = goro_chan_make(sizeof(int), 0);
  CHECK(quit && work);
  goro_wg_add(&wg, NSEL);
  for (int i = 0; i < NSEL; i++)
    seed_go(selector, (void *)(intptr_t)i);
  for (int v = 0; v < 6; v++)
    CHECK_EQ(goro_chan_send(work, &v), 0);
  ev("main close quit");
  CHECK_EQ(goro_chan_close(quit), 0);
  goro_wg_wait(&wg);
  SEED_CHECK(worked == 6, "%d of 6 work items", worked);
  for (int i = 0; i < NSEL; i++)
    SEED_CHECK(woke[i] == 1, "s%d woke %d times", i, woke[i]);
  /* The work channel still works: nobody is left to receive. */
  int v = 7;
  CHECK_EQ(goro_chan_trysend(work, &v), -EAGAIN);
}

static const seed_scenario scenarios[] = {
    {"select", select_merge},
    {"selclose", selclose},
};

int main(int argc, char **argv) {
  return seed_main(argc, argv, "seed_select", scenarios,
                   sizeof(scenarios) / sizeof(scenarios[0]));
}
