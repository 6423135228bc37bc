/* chan_select.c: select's semantics.
 *  - fairness: two ready cases are each chosen about half of 100,000
 *    times (within 10 sigma), for receives (closed and buffered channels)
 *    and for sends; three ready cases, a third each; duplicates of one
 *    channel share evenly too;
 *  - a send and a receive on the same channel in one select: two
 *    goroutines doing only that pair up, every value crossing once; alone
 *    on a buffered channel, the select sends when empty and receives when
 *    full;
 *  - duplicates and many cases (more than fit on the stack, and enough to
 *    use the heap sort): a blocked select fires exactly one case, on the
 *    right channel, and leaves no waiter behind on any channel (white box:
 *    the queues are read under the channel locks);
 *  - closes: a ready closed case reports ok == 0 (receive) or -EPIPE
 *    (send), also when the close comes while the select waits;
 *  - NULL cases are never chosen; zero cases with a default return
 *    -EAGAIN; bad arguments return -EINVAL. */
#include <goro.h>
#include <math.h>

#include "../src/chan.h"
#include "check.h"

static goro_wg wg = GORO_WG_INIT;

static bool queues_empty(goro_chan *c) {
  chan_lock(c);
  bool e = !c->sendq.head && !c->recvq.head;
  chan_unlock(c);
  return e;
}

static void check_within(long count, long n, double p) {
  double sigma = sqrt((double)n * p * (1 - p));
  double dev = fabs((double)count - (double)n * p);
  if (dev > 10 * sigma) {
    fprintf(stderr, "unfair: %ld of %ld, expected %.0f +- %.0f\n", count, n,
            n * p, 10 * sigma);
    exit(1);
  }
}

#define FAIR_N 100000

static void fairness(void) {
  /* Two closed channels: both receives always ready. */
  goro_chan *a = goro_chan_make(sizeof(int), 0),
            *b = goro_chan_make(sizeof(int), 0);
  goro_chan_close(a);
  goro_chan_close(b);
  long cnt[3] = {0};
  for (int i = 0; i < FAIR_N; i++) {
    int v = 1;
    goro_case cs[2] = {goro_recv_case(a, &v), goro_recv_case(b, &v)};
    int r = goro_select(cs, 2, 0);
    CHECK(r == 0 || r == 1);
    CHECK_EQ(cs[r].ok, 0);
    CHECK_EQ(v, 0);
    cnt[r]++;
  }
  check_within(cnt[0], FAIR_N, 0.5);
  goro_chan_release(a);
  goro_chan_release(b);

  /* Two buffered channels that always hold a value. */
  a = goro_chan_make(sizeof(int), 1);
  b = goro_chan_make(sizeof(int), 1);
  int one = 1, two = 2;
  goro_chan_send(a, &one);
  goro_chan_send(b, &two);
  cnt[0] = cnt[1] = 0;
  for (int i = 0; i < FAIR_N; i++) {
    int v;
    goro_case cs[2] = {goro_recv_case(a, &v), goro_recv_case(b, &v)};
    int r = goro_select(cs, 2, GORO_NONBLOCK);
    CHECK(r == 0 || r == 1);
    CHECK_EQ(v, r + 1);
    cnt[r]++;
    CHECK_EQ(goro_chan_send(cs[r].chan, &v), 0);
  }
  check_within(cnt[0], FAIR_N, 0.5);

  /* Two sends with room: take the value back out each time. */
  int v;
  goro_chan_recv(a, &v);
  goro_chan_recv(b, &v);
  cnt[0] = cnt[1] = 0;
  for (int i = 0; i < FAIR_N; i++) {
    goro_case cs[2] = {goro_send_case(a, &one), goro_send_case(b, &two)};
    int r = goro_select(cs, 2, 0);
    CHECK(r == 0 || r == 1);
    cnt[r]++;
    CHECK_EQ(goro_chan_recv(cs[r].chan, &v), 1);
    CHECK_EQ(v, r + 1);
  }
  check_within(cnt[0], FAIR_N, 0.5);

  /* Three ready cases, one a duplicate: a third each. */
  goro_chan_send(a, &one);
  goro_chan_send(b, &two);
  cnt[0] = cnt[1] = cnt[2] = 0;
  for (int i = 0; i < FAIR_N; i++) {
    goro_case cs[3] = {goro_recv_case(a, &v), goro_recv_case(b, &v),
                       goro_recv_case(a, &v)};
    int r = goro_select(cs, 3, 0);
    CHECK(r >= 0 && r < 3);
    cnt[r]++;
    CHECK_EQ(goro_chan_send(cs[r].chan, &v), 0);
  }
  for (int k = 0; k < 3; k++)
    check_within(cnt[k], FAIR_N, 1.0 / 3);
  goro_chan_release(a);
  goro_chan_release(b);
}

/* ---- send and receive on one channel in the same select ---- */
#define PAIRS 20000
struct pairer {
  goro_chan *c;
  int id;
  long sent, recvd;
  int next_expected_from_other;
};
static struct pairer pr[2];

static void pairer(void *arg) {
  struct pairer *p = arg;
  int out = 0, in;
  for (int i = 0; i < PAIRS; i++) {
    int v = p->id * 1000000 + out;
    goro_case cs[2] = {goro_send_case(p->c, &v), goro_recv_case(p->c, &in)};
    int r = goro_select(cs, 2, 0);
    if (r == 0) {
      p->sent++;
      out++;
    } else {
      CHECK_EQ(r, 1);
      CHECK_EQ(cs[1].ok, 1);
      /* From the other goroutine, in its order. */
      CHECK_EQ(in, (1 - p->id) * 1000000 + p->next_expected_from_other);
      p->next_expected_from_other++;
      p->recvd++;
    }
  }
  goro_wg_done(&wg);
}

static void same_channel(void) {
  goro_chan *c = goro_chan_make(sizeof(int), 0);
  for (int k = 0; k < 2; k++) {
    pr[k] = (struct pairer){c, k, 0, 0, 0};
    goro_wg_add(&wg, 1);
    goro_go(pairer, &pr[k]);
  }
  goro_wg_wait(&wg);
  CHECK_EQ(pr[0].sent, pr[1].recvd);
  CHECK_EQ(pr[1].sent, pr[0].recvd);
  CHECK_EQ(pr[0].sent + pr[0].recvd, PAIRS);
  CHECK(queues_empty(c));
  goro_chan_release(c);

  /* Alone on a buffered channel of 1: send when empty, receive when full. */
  c = goro_chan_make(sizeof(int), 1);
  for (int i = 0; i < 1000; i++) {
    int v = i, in = -1;
    goro_case cs[2] = {goro_recv_case(c, &in), goro_send_case(c, &v)};
    int r = goro_select(cs, 2, 0);
    CHECK_EQ(r, i % 2 == 0 ? 1 : 0);
    if (r == 0)
      CHECK_EQ(in, i - 1);
  }
  goro_chan_release(c);
}

/* ---- a blocked select with duplicates and many cases ---- */
struct poke {
  goro_chan *c;
  int v;
  bool close;
};
static void poker(void *arg) {
  struct poke *p = arg;
  /* Give the select time to block (it may not have: either way is fine). */
  for (int i = 0; i < 3; i++)
    goro_yield();
  if (p->close)
    CHECK_EQ(goro_chan_close(p->c), 0);
  else
    CHECK_EQ(goro_chan_send(p->c, &p->v), 0);
  goro_wg_done(&wg);
}

static void blocked(size_t n, int trials) {
  goro_chan **chans = malloc(n * sizeof *chans);
  goro_case *cs = malloc(n * sizeof *cs);
  int *vals = malloc(n * sizeof *vals);
  size_t nchans = n / 2 + 1; /* so that channels repeat */
  for (size_t i = 0; i < nchans; i++)
    chans[i] = goro_chan_make(sizeof(int), 0);
  for (int t = 0; t < trials; t++) {
    for (size_t i = 0; i < n; i++) {
      goro_chan *c = chans[(i * 7 + (size_t)t) % nchans];
      cs[i] = i % 3 == 2 ? goro_send_case(c, &vals[i])
                         : goro_recv_case(c, &vals[i]);
      vals[i] = -1;
      if (i % 3 == 2)
        vals[i] = (int)i;
    }
    /* Poke a receive case's channel with a value. */
    size_t target = (size_t)t * 3 % n;
    if (target % 3 == 2)
      target = (target + 1) % n;
    struct poke p = {cs[target].chan, 1000 + t, false};
    goro_wg_add(&wg, 1);
    goro_go(poker, &p);
    int r = goro_select(cs, n, 0);
    CHECK(r >= 0 && (size_t)r < n);
    if (cs[r].op == GORO_RECV) {
      CHECK(cs[r].chan == p.c);
      CHECK_EQ(vals[r], 1000 + t);
      CHECK_EQ(cs[r].ok, 1);
      goro_wg_wait(&wg);
    } else {
      /* The poker's channel also had one of our sends; the poker is a
       * sender, so our send cannot have met it. */
      CHECK(!"a send case fired with no receiver");
    }
    for (size_t i = 0; i < nchans; i++)
      CHECK(queues_empty(chans[i]));
  }
  /* And woken by a close: a receive case on it reports ok == 0, or a send
   * case on it returns -EPIPE. */
  for (int t = 0; t < trials; t++) {
    for (size_t i = 0; i < n; i++) {
      goro_chan *c = chans[(i * 7 + (size_t)t) % nchans];
      cs[i] = i % 3 == 2 ? goro_send_case(c, &vals[i])
                         : goro_recv_case(c, &vals[i]);
      vals[i] = 7;
    }
    goro_chan *victim = goro_chan_make(sizeof(int), 0);
    size_t k = (size_t)t % n;
    cs[k].chan = victim;
    struct poke p = {victim, 0, true};
    goro_wg_add(&wg, 1);
    goro_go(poker, &p);
    int r = goro_select(cs, n, 0);
    if (cs[k].op == GORO_RECV) {
      CHECK_EQ(r, (int)k);
      CHECK_EQ(cs[k].ok, 0);
      CHECK_EQ(vals[k], 0);
    } else {
      CHECK_EQ(r, -EPIPE);
      CHECK_EQ(cs[k].ok, 0);
    }
    goro_wg_wait(&wg);
    for (size_t i = 0; i < nchans; i++)
      CHECK(queues_empty(chans[i]));
    CHECK(queues_empty(victim));
    goro_chan_release(victim);
  }
  for (size_t i = 0; i < nchans; i++)
    goro_chan_release(chans[i]);
  free(chans);
  free(cs);
  free(vals);
}

static void misc(void) {
  goro_chan *c = goro_chan_make(sizeof(int), 1);
  int v = 5;
  goro_case cs[3] = {goro_recv_case(NULL, &v), goro_recv_case(c, &v),
                     goro_send_case(NULL, &v)};
  /* NULL cases are never chosen. */
  CHECK_EQ(goro_select(cs, 3, GORO_NONBLOCK), -EAGAIN);
  CHECK_EQ(goro_chan_send(c, &v), 0);
  for (int i = 0; i < 100; i++) {
    v = -1;
    CHECK_EQ(goro_select(cs, 3, 0), 1);
    CHECK_EQ(v, 5);
    CHECK_EQ(goro_select(&cs[1], 1, GORO_NONBLOCK), -EAGAIN);
    v = 5;
    goro_case s[2] = {goro_send_case(NULL, &v), goro_send_case(c, &v)};
    CHECK_EQ(goro_select(s, 2, 0), 1);
    CHECK_EQ(s[1].ok, 1);
  }
  /* Zero cases. */
  CHECK_EQ(goro_select(NULL, 0, GORO_NONBLOCK), -EAGAIN);
  CHECK_EQ(goro_select(cs, 0, GORO_NONBLOCK), -EAGAIN);
  /* Bad arguments. */
  CHECK_EQ(goro_select(NULL, 2, 0), -EINVAL);
  goro_case bad[2] = {goro_recv_case(c, &v), goro_recv_case(c, &v)};
  bad[1].op = 3;
  CHECK_EQ(goro_select(bad, 2, 0), -EINVAL);
  CHECK_EQ(goro_chan_len(c), 1); /* nothing ran */
  /* A NULL elem: a receive discards, a send sends zeroes. */
  goro_case d = goro_recv_case(c, NULL);
  CHECK_EQ(goro_select(&d, 1, 0), 0);
  CHECK_EQ(goro_chan_len(c), 0);
  goro_case z = goro_send_case(c, NULL);
  CHECK_EQ(goro_select(&z, 1, 0), 0);
  v = 9;
  CHECK_EQ(goro_chan_recv(c, &v), 1);
  CHECK_EQ(v, 0);
  /* Closed: a receive case gets ok == 0; a send case -EPIPE. */
  goro_chan_close(c);
  v = 3;
  goro_case r1 = goro_recv_case(c, &v);
  CHECK_EQ(goro_select(&r1, 1, 0), 0);
  CHECK_EQ(r1.ok, 0);
  CHECK_EQ(v, 0);
  goro_case s1[2] = {goro_recv_case(NULL, &v), goro_send_case(c, &v)};
  s1[1].ok = 1;
  CHECK_EQ(goro_select(s1, 2, 0), -EPIPE);
  CHECK_EQ(s1[1].ok, 0);
  CHECK_EQ(goro_select(s1, 2, GORO_NONBLOCK), -EPIPE);
  goro_chan_release(c);
}

static void main_fn(void *arg) {
  misc();
  fairness();
  same_channel();
  blocked(2, 50);
  blocked(8, 50);
  blocked(9, 50);
  blocked(40, 50);
  blocked(1000, 5);
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  /* select from a plain thread. */
  misc();
  blocked(3, 20);
  blocked(12, 20);
  return 0;
}
