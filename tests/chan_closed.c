/* chan_closed.c: closed channels, in every combination of unbuffered and
 * buffered (empty, partly full, full), through every spelling of each
 * operation (plain, try, select with one case, select among other cases).
 *  - After close: buffered values still come out in order, then receives
 *    return 0 with the destination zeroed, forever; len counts the values
 *    left and cap is unchanged; sends return -EPIPE and change nothing;
 *    closing again returns -EPIPE; closing NULL returns -EINVAL.
 *  - Close wakes everyone waiting: receivers (goroutines, threads, and
 *    selects) get ok == 0 and a zeroed value; senders get -EPIPE and their
 *    values never arrive. (White box: the test waits until the waiters are
 *    queued before it closes, so this covers the "woken by close" path.) */
#include <goro.h>
#include <pthread.h>

#include "../src/chan.h"
#include "check.h"

static goro_wg wg = GORO_WG_INIT;
static int spelling; /* 0 plain, 1 try, 2 select(1), 3 select(3 cases) */
static goro_chan *other;

static int do_send(goro_chan *c, int64_t v) {
  goro_case cs[3] = {goro_recv_case(other, NULL), goro_send_case(c, &v),
                     goro_send_case(NULL, &v)};
  int r;
  switch (spelling) {
  case 0:
    return goro_chan_send(c, &v);
  case 1:
    return goro_chan_trysend(c, &v);
  case 2:
    r = goro_select(&cs[1], 1, 0);
    CHECK(r == 0 || r == -EPIPE);
    CHECK_EQ(cs[1].ok, r == 0);
    return r;
  default:
    r = goro_select(cs, 3, 0);
    CHECK(r == 1 || r == -EPIPE);
    CHECK_EQ(cs[1].ok, r == 1);
    return r == 1 ? 0 : r;
  }
}

static int do_recv(goro_chan *c, int64_t *v) {
  goro_case cs[3] = {goro_recv_case(other, NULL), goro_recv_case(c, v),
                     goro_recv_case(NULL, v)};
  int r;
  switch (spelling) {
  case 0:
    return goro_chan_recv(c, v);
  case 1:
    return goro_chan_tryrecv(c, v);
  case 2:
    r = goro_select(&cs[1], 1, GORO_NONBLOCK);
    CHECK_EQ(r, 0);
    return cs[1].ok;
  default:
    r = goro_select(cs, 3, 0);
    CHECK_EQ(r, 1);
    return cs[1].ok;
  }
}

static size_t queued(goro_chan *c, bool senders) {
  chan_lock(c);
  size_t n = 0;
  for (goro__waiter *w = senders ? c->sendq.head : c->recvq.head; w;
       w = w->next)
    n++;
  chan_unlock(c);
  return n;
}

static void after_close(size_t cap, size_t fill) {
  goro_chan *c = goro_chan_make(sizeof(int64_t), cap);
  for (size_t i = 0; i < fill; i++)
    CHECK_EQ(goro_chan_send(c, &(int64_t){(int64_t)i + 10}), 0);
  CHECK_EQ(goro_chan_close(c), 0);
  CHECK_EQ(goro_chan_close(c), -EPIPE);
  CHECK_EQ(goro_chan_len(c), fill);
  CHECK_EQ(goro_chan_cap(c), cap);
  CHECK_EQ(do_send(c, 99), -EPIPE);
  CHECK_EQ(goro_chan_len(c), fill);
  int64_t v;
  for (size_t i = 0; i < fill; i++) {
    CHECK_EQ(do_recv(c, &v), 1);
    CHECK_EQ(v, (int64_t)i + 10);
    CHECK_EQ(goro_chan_len(c), fill - i - 1);
  }
  for (int k = 0; k < 3; k++) {
    v = 1234;
    CHECK_EQ(do_recv(c, &v), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(do_recv(c, NULL), 0);
  }
  CHECK_EQ(do_send(c, 99), -EPIPE);
  CHECK_EQ(goro_chan_len(c), 0);
  CHECK_EQ(goro_chan_cap(c), cap);
  CHECK_EQ(goro_chan_close(c), -EPIPE);
  goro_chan_release(c);
}

/* ---- close wakes waiters ---- */
struct w {
  goro_chan *c;
  int kind; /* 0 recv, 1 select recv, 2 send, 3 select send */
  int64_t v;
  int r;
};
static void waiter(void *arg) {
  struct w *w = arg;
  goro_case cs[2];
  switch (w->kind) {
  case 0:
    w->r = goro_chan_recv(w->c, &w->v);
    break;
  case 1:
    cs[0] = goro_recv_case(other, NULL);
    cs[1] = goro_recv_case(w->c, &w->v);
    w->r = goro_select(cs, 2, 0);
    CHECK_EQ(w->r, 1);
    w->r = cs[1].ok;
    break;
  case 2:
    w->r = goro_chan_send(w->c, &w->v);
    break;
  default:
    cs[0] = goro_recv_case(other, NULL);
    cs[1] = goro_send_case(w->c, &w->v);
    w->r = goro_select(cs, 2, 0);
    break;
  }
  goro_wg_done(&wg);
}
static void *waiter_thread(void *arg) {
  waiter(arg);
  return NULL;
}

#define NW 8
static void close_wakes(size_t cap, bool senders) {
  goro_chan *c = goro_chan_make(sizeof(int64_t), cap);
  if (senders)
    for (size_t i = 0; i < cap; i++)
      CHECK_EQ(goro_chan_send(c, &(int64_t){(int64_t)i}), 0);
  struct w ws[NW];
  pthread_t th[NW];
  for (int i = 0; i < NW; i++) {
    ws[i] =
        (struct w){c, (senders ? 2 : 0) + i % 2, senders ? 1000 + i : 77, 99};
    goro_wg_add(&wg, 1);
    if (i % 4 == 3)
      CHECK_EQ(pthread_create(&th[i], NULL, waiter_thread, &ws[i]), 0);
    else
      CHECK(goro_go(waiter, &ws[i]) > 0);
  }
  while (queued(c, senders) < NW)
    goro_yield();
  CHECK_EQ(goro_chan_close(c), 0);
  goro_wg_wait(&wg);
  for (int i = 0; i < NW; i++) {
    if (i % 4 == 3)
      pthread_join(th[i], NULL);
    if (senders) {
      CHECK_EQ(ws[i].r, -EPIPE);
    } else {
      CHECK_EQ(ws[i].r, 0);
      CHECK_EQ(ws[i].v, 0);
    }
  }
  CHECK(!c->sendq.head && !c->recvq.head);
  /* The buffered values are still there, and none of the senders'. */
  CHECK_EQ(goro_chan_len(c), senders ? cap : 0);
  int64_t v;
  for (size_t i = 0; senders && i < cap; i++) {
    CHECK_EQ(goro_chan_recv(c, &v), 1);
    CHECK_EQ(v, (int64_t)i);
  }
  CHECK_EQ(goro_chan_recv(c, &v), 0);
  goro_chan_release(c);
  /* other's queues must not keep the selects' waiters either. */
  CHECK(!other->sendq.head && !other->recvq.head);
}

static void main_fn(void *arg) {
  other = goro_chan_make(0, 0);
  for (spelling = 0; spelling < 4; spelling++) {
    after_close(0, 0);
    after_close(1, 0);
    after_close(1, 1);
    after_close(5, 0);
    after_close(5, 3);
    after_close(5, 5);
  }
  size_t caps[] = {0, 1, 4};
  for (int k = 0; k < 3; k++) {
    close_wakes(caps[k], false);
    close_wakes(caps[k], true);
  }
  CHECK_EQ(goro_chan_close(NULL), -EINVAL);
  goro_chan_release(other);
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  main_fn(NULL); /* from a plain thread */
  return 0;
}
