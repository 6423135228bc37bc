/*
 * seed_chan.c: the channel protocols under the deterministic mode, one
 * interleaving per seed (seed.h explains the explorer).
 *
 *  unbuffered  3 producers x 8 values into an unbuffered channel, 2
 *              consumers ranging over it; close after the producers.
 *  buffered    the same through a channel of capacity 3; len never
 *              exceeds cap.
 *  close       3 senders, 2 receivers on a channel of capacity 2 closed
 *              while some of them may be blocked: senders that were
 *              refused get -EPIPE (and every later send too), every value
 *              a send delivered is received once, receivers see the close
 *              only after the buffer drained.
 * Invariants everywhere: every value is received exactly once; a consumer
 * sees each producer's values in the order they were sent (the channel is
 * FIFO and each producer sends one at a time).
 */
#include "seed.h"

enum { NP = 3, NV = 8, NC = 2 };

static goro_chan *ch;
static goro_wg producers = GORO_WG_INIT, consumers = GORO_WG_INIT;
static int got[NP][NV];
static int sent_ok[NP]; /* close: sends that returned 0 */
static size_t cap_;

static void producer(void *arg) {
  int p = (int)(intptr_t)arg;
  for (int v = 0; v < NV; v++) {
    int val = p * 1000 + v;
    ev("p%d send %d", p, v);
    int r = goro_chan_send(ch, &val);
    ev("p%d sent %d r=%d", p, v, r);
    if (r == 0) {
      SEED_CHECK(sent_ok[p] == v, "p%d: a send succeeded after one failed", p);
      sent_ok[p]++;
    } else {
      SEED_CHECK(r == -EPIPE, "p%d: send returned %d", p, r);
    }
    SEED_CHECK(goro_chan_len(ch) <= cap_, "len %zu > cap %zu",
               goro_chan_len(ch), cap_);
  }
  goro_wg_done(&producers);
}

static void consumer(void *arg) {
  int c = (int)(intptr_t)arg;
  int last[NP];
  for (int p = 0; p < NP; p++)
    last[p] = -1;
  int val, r;
  while ((r = goro_chan_recv(ch, &val)) == 1) {
    int p = val / 1000, v = val % 1000;
    ev("c%d recv p%d.%d", c, p, v);
    SEED_CHECK(p >= 0 && p < NP && v >= 0 && v < NV, "bad value %d", val);
    SEED_CHECK(v > last[p], "c%d: p%d's %d after its %d (order)", c, p, v,
               last[p]);
    last[p] = v;
    got[p][v]++;
    SEED_CHECK(goro_chan_len(ch) <= cap_, "len > cap");
  }
  SEED_CHECK(r == 0 && val == 0, "c%d: closed receive gave %d, value %d", c,
             r, val);
  ev("c%d closed", c);
  goro_wg_done(&consumers);
}

static void run(size_t cap, bool close_early) {
  cap_ = cap;
  ch = goro_chan_make(sizeof(int), cap);
  CHECK(ch);
  goro_wg_add(&consumers, NC);
  for (int c = 0; c < NC; c++)
    seed_go(consumer, (void *)(intptr_t)c);
  goro_wg_add(&producers, NP);
  for (int p = 0; p < NP; p++)
    seed_go(producer, (void *)(intptr_t)p);
  if (close_early) {
    /* Close somewhere in the middle: how far the others got is up to the
     * seed. */
    for (int i = 0; i < 6; i++)
      goro_yield();
    ev("main close");
    CHECK_EQ(goro_chan_close(ch), 0);
  }
  goro_wg_wait(&producers);
  if (!close_early) {
    ev("main close");
    CHECK_EQ(goro_chan_close(ch), 0);
  }
  goro_wg_wait(&consumers);
  CHECK_EQ(goro_chan_close(ch), -EPIPE);
  for (int p = 0; p < NP; p++) {
    int n = close_early ? sent_ok[p] : NV;
    if (!close_early)
      SEED_CHECK(sent_ok[p] == NV, "p%d delivered %d of %d", p, sent_ok[p],
                 NV);
    for (int v = 0; v < NV; v++)
      SEED_CHECK(got[p][v] == (v < n ? 1 : 0),
                 "p%d's value %d received %d times (sent: %s)", p, v,
                 got[p][v], v < n ? "yes" : "no");
  }
  goro_chan_release(ch);
}

static void unbuffered(void) { run(0, false); }
static void buffered(void) { run(3, false); }
static void closing(void) { run(2, true); }

static const seed_scenario scenarios[] = {
    {"unbuffered", unbuffered},
    {"buffered", buffered},
    {"close", closing},
};

int main(int argc, char **argv) {
  return seed_main(argc, argv, "seed_chan", scenarios,
                   sizeof(scenarios) / sizeof(scenarios[0]));
}
