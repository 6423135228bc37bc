/* chan_fifo.c: ordered delivery.
 *  - through a buffered channel: values come out in the order they went in,
 *    with the sender and receiver in one goroutine and in two;
 *  - through a daisy chain of goroutines: N goroutines each wait for a
 *    token from the previous one, then receive one value from a shared
 *    unbuffered channel (which must be theirs: their index), then pass the
 *    token on; main sends 0..N-1;
 *  - waiting senders and waiting receivers are served in FIFO order, with
 *    and without a buffer (white box: the test waits until the waiters are
 *    queued, reading the queue under the channel's lock). */
#include <goro.h>

#include "../src/chan.h"
#include "check.h"

#define N 500

static goro_wg wg = GORO_WG_INIT;

static size_t queued(goro_chan *c, bool senders) {
  chan_lock(c);
  size_t n = 0;
  for (goro__waiter *w = senders ? c->sendq.head : c->recvq.head; w;
       w = w->next)
    n++;
  chan_unlock(c);
  return n;
}

static void wait_queued(goro_chan *c, bool senders, size_t n) {
  while (queued(c, senders) < n)
    goro_yield();
}

/* ---- a buffered channel keeps order ---- */
struct two {
  goro_chan *c;
  int n;
};
static void fill(void *arg) {
  struct two *t = arg;
  for (int i = 0; i < t->n; i++)
    CHECK_EQ(goro_chan_send(t->c, &i), 0);
  goro_chan_close(t->c);
  goro_wg_done(&wg);
}

static void async_fifo(void) {
  goro_chan *c = goro_chan_make(sizeof(int), N);
  for (int i = 0; i < N; i++)
    CHECK_EQ(goro_chan_send(c, &i), 0);
  CHECK_EQ(goro_chan_len(c), N);
  for (int i = 0; i < N; i++) {
    int v = -1;
    CHECK_EQ(goro_chan_recv(c, &v), 1);
    CHECK_EQ(v, i);
  }
  goro_chan_release(c);

  /* A small ring that wraps many times, with a separate sender. */
  c = goro_chan_make(sizeof(int), 7);
  struct two t = {c, 10 * N};
  goro_wg_add(&wg, 1);
  goro_go(fill, &t);
  int v, i = 0;
  while (goro_chan_recv(c, &v) == 1)
    CHECK_EQ(v, i++);
  CHECK_EQ(i, 10 * N);
  goro_wg_wait(&wg);
  goro_chan_release(c);
}

/* ---- a daisy chain ---- */
struct link {
  goro_chan *ch, *in, *out;
  int val;
};
static void chain(void *arg) {
  struct link *l = arg;
  int token, v;
  CHECK_EQ(goro_chan_recv(l->in, &token), 1);
  CHECK_EQ(goro_chan_recv(l->ch, &v), 1);
  CHECK_EQ(v, l->val);
  CHECK_EQ(goro_chan_send(l->out, &token), 0);
  goro_wg_done(&wg);
}

static void sync_fifo(void) {
  static struct link links[N];
  goro_chan *ch = goro_chan_make(sizeof(int), 0);
  goro_chan *chans[N + 1];
  for (int i = 0; i <= N; i++)
    chans[i] = goro_chan_make(sizeof(int), 0);
  for (int i = 0; i < N; i++) {
    links[i] = (struct link){ch, chans[i], chans[i + 1], i};
    goro_wg_add(&wg, 1);
    CHECK(goro_go(chain, &links[i]) > 0);
  }
  int token = 0;
  CHECK_EQ(goro_chan_send(chans[0], &token), 0);
  for (int i = 0; i < N; i++)
    CHECK_EQ(goro_chan_send(ch, &i), 0);
  CHECK_EQ(goro_chan_recv(chans[N], &token), 1);
  goro_wg_wait(&wg);
  for (int i = 0; i <= N; i++)
    goro_chan_release(chans[i]);
  goro_chan_release(ch);
}

/* ---- queued waiters are served first come, first served ---- */
#define W 20
struct waiter_arg {
  goro_chan *c;
  int k;
  int got;
};
static void sender(void *arg) {
  struct waiter_arg *a = arg;
  CHECK_EQ(goro_chan_send(a->c, &a->k), 0);
  goro_wg_done(&wg);
}
static void receiver(void *arg) {
  struct waiter_arg *a = arg;
  CHECK_EQ(goro_chan_recv(a->c, &a->got), 1);
  goro_wg_done(&wg);
}

static void waiters_fifo(size_t cap) {
  struct waiter_arg args[W];
  goro_chan *c = goro_chan_make(sizeof(int), cap);
  /* Fill the buffer, then queue senders W.. one at a time. */
  for (int i = 0; i < (int)cap; i++)
    CHECK_EQ(goro_chan_send(c, &i), 0);
  for (int k = 0; k < W; k++) {
    args[k] = (struct waiter_arg){c, (int)cap + k, 0};
    goro_wg_add(&wg, 1);
    goro_go(sender, &args[k]);
    wait_queued(c, true, (size_t)k + 1);
  }
  for (int i = 0; i < (int)cap + W; i++) {
    int v;
    CHECK_EQ(goro_chan_recv(c, &v), 1);
    CHECK_EQ(v, i);
  }
  goro_wg_wait(&wg);

  /* Queue receivers one at a time on the empty channel. */
  for (int k = 0; k < W; k++) {
    args[k] = (struct waiter_arg){c, k, -1};
    goro_wg_add(&wg, 1);
    goro_go(receiver, &args[k]);
    wait_queued(c, false, (size_t)k + 1);
  }
  for (int i = 0; i < W; i++)
    CHECK_EQ(goro_chan_send(c, &i), 0);
  goro_wg_wait(&wg);
  for (int k = 0; k < W; k++)
    CHECK_EQ(args[k].got, k);
  goro_chan_release(c);
}

static void main_fn(void *arg) {
  async_fifo();
  sync_fifo();
  waiters_fifo(0);
  waiters_fifo(1);
  waiters_fifo(5);
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  return 0;
}
