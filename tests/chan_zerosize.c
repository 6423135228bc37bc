/* chan_zerosize.c: channels of zero-size elements (Go's chan struct{}).
 * Nothing is copied, elem/out may be NULL or point anywhere (and are never
 * written), but everything else behaves as for any channel: an unbuffered
 * send waits for its receiver, a buffered one counts len up to cap, close
 * drains then reports 0, select works, and signalling through them
 * synchronizes (the classic done channel). */
#include <goro.h>

#include "check.h"

static goro_wg wg = GORO_WG_INIT;
static long shared;

static void worker(void *arg) {
  goro_chan *done = arg;
  shared = 42; /* published by the send / close */
  CHECK_EQ(goro_chan_send(done, NULL), 0);
  goro_wg_done(&wg);
}

static void closer(void *arg) {
  shared = 43;
  CHECK_EQ(goro_chan_close(arg), 0);
  goro_wg_done(&wg);
}

static void main_fn(void *arg) {
  char guard[8] = "guard!!";

  /* Unbuffered: a rendezvous. */
  goro_chan *c = goro_chan_make(0, 0);
  CHECK(c);
  CHECK_EQ(goro_chan_trysend(c, NULL), -EAGAIN);
  CHECK_EQ(goro_chan_tryrecv(c, NULL), -EAGAIN);
  goro_wg_add(&wg, 1);
  goro_go(worker, c);
  CHECK_EQ(goro_chan_recv(c, guard), 1);
  CHECK_EQ(memcmp(guard, "guard!!", 8), 0); /* never written */
  CHECK_EQ(shared, 42);
  goro_wg_wait(&wg);
  CHECK_EQ(goro_chan_len(c), 0);
  CHECK_EQ(goro_chan_cap(c), 0);

  /* A done channel: close releases every receiver. */
  goro_wg_add(&wg, 1);
  goro_go(closer, c);
  CHECK_EQ(goro_chan_recv(c, NULL), 0);
  CHECK_EQ(shared, 43);
  CHECK_EQ(goro_chan_recv(c, guard), 0);
  CHECK_EQ(memcmp(guard, "guard!!", 8), 0); /* "zeroed": zero bytes */
  goro_wg_wait(&wg);
  goro_chan_release(c);

  /* Buffered: len counts, cap bounds, order is trivially kept. */
  c = goro_chan_make(0, 1000);
  for (int i = 0; i < 1000; i++)
    CHECK_EQ(goro_chan_trysend(c, i % 2 ? NULL : guard), 0);
  CHECK_EQ(goro_chan_trysend(c, NULL), -EAGAIN);
  CHECK_EQ(goro_chan_len(c), 1000);
  CHECK_EQ(goro_chan_cap(c), 1000);
  for (int i = 0; i < 500; i++)
    CHECK_EQ(goro_chan_recv(c, guard), 1);
  CHECK_EQ(goro_chan_len(c), 500);
  goro_chan_close(c);
  CHECK_EQ(goro_chan_len(c), 500);
  CHECK_EQ(goro_chan_send(c, NULL), -EPIPE);
  int n = 0;
  while (goro_chan_recv(c, NULL) == 1)
    n++;
  CHECK_EQ(n, 500);
  CHECK_EQ(goro_chan_len(c), 0);
  goro_chan_release(c);

  /* select over zero-size channels, with a sender and a receiver. */
  goro_chan *a = goro_chan_make(0, 0), *b = goro_chan_make(0, 2);
  goro_case cs[2] = {goro_recv_case(a, NULL), goro_send_case(b, NULL)};
  CHECK_EQ(goro_select(cs, 2, 0), 1);
  CHECK_EQ(goro_select(cs, 2, 0), 1);
  CHECK_EQ(goro_select(cs, 2, GORO_NONBLOCK), -EAGAIN);
  goro_wg_add(&wg, 1);
  goro_go(worker, a);
  CHECK_EQ(goro_select(cs, 2, 0), 0);
  CHECK_EQ(cs[0].ok, 1);
  goro_wg_wait(&wg);
  CHECK_EQ(goro_chan_len(b), 2);
  goro_chan_release(a);
  goro_chan_release(b);

  /* A huge capacity of zero-size elements costs no buffer. */
  c = goro_chan_make(0, (size_t)1 << 40);
  CHECK(c);
  CHECK_EQ(goro_chan_cap(c), (size_t)1 << 40);
  goro_chan_release(c);
  /* ... but a huge buffer of real elements is refused, not overflowed. */
  CHECK(goro_chan_make(16, SIZE_MAX / 8) == NULL);
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  main_fn(NULL);
  return 0;
}
