/* chan_nonblock.c: trysend, tryrecv and select's default case, on
 * unbuffered and buffered channels, with and without a partner.
 *  - Without a partner: an empty channel never gives a value; an
 *    unbuffered one never takes one; a buffered one takes exactly cap.
 *  - With a partner blocked in send or receive (a goroutine, or a thread),
 *    the non-blocking operation succeeds once the partner is waiting, and
 *    exactly the partner's value moves. The loop retries with goro_yield,
 *    so the partner gets to run even on one processor.
 *  - The same through goro_select with GORO_NONBLOCK, with one case
 *    (the lock-free fast path), with several, and with NULL channels. */
#include <goro.h>
#include <pthread.h>
#include <stdbool.h>

#include "check.h"

#define MAXTRIES 10000000

static goro_wg wg = GORO_WG_INIT;
static int64_t partner_got;

/* How a non-blocking operation is spelled: 0 trysend/tryrecv, 1 select
 * with one case, 2 select with the case among NULL and idle cases. */
static int spelling;
static goro_chan *idle_chan;

static int nb_send(goro_chan *c, int64_t v) {
  if (spelling == 0)
    return goro_chan_trysend(c, &v);
  goro_case cs[4] = {goro_recv_case(NULL, NULL), goro_send_case(c, &v),
                     goro_recv_case(idle_chan, NULL), goro_send_case(NULL, &v)};
  int r = spelling == 1 ? goro_select(&cs[1], 1, GORO_NONBLOCK)
                        : goro_select(cs, 4, GORO_NONBLOCK);
  if (r >= 0) {
    CHECK_EQ(r, spelling == 1 ? 0 : 1);
    return 0;
  }
  return r;
}

static int nb_recv(goro_chan *c, int64_t *v) {
  if (spelling == 0)
    return goro_chan_tryrecv(c, v);
  goro_case cs[4] = {goro_recv_case(NULL, NULL), goro_recv_case(c, v),
                     goro_recv_case(idle_chan, NULL), goro_send_case(NULL, v)};
  int r = spelling == 1 ? goro_select(&cs[1], 1, GORO_NONBLOCK)
                        : goro_select(cs, 4, GORO_NONBLOCK);
  if (r >= 0) {
    CHECK_EQ(r, spelling == 1 ? 0 : 1);
    return cs[1].ok;
  }
  return r;
}

static void partner_recv(void *arg) {
  CHECK_EQ(goro_chan_recv(arg, &partner_got), 1);
  goro_wg_done(&wg);
}
static void partner_send(void *arg) {
  int64_t v = 4242;
  CHECK_EQ(goro_chan_send(arg, &v), 0);
  goro_wg_done(&wg);
}
static void *thread_recv(void *arg) {
  partner_recv(arg);
  return NULL;
}
static void *thread_send(void *arg) {
  partner_send(arg);
  return NULL;
}

static void one(size_t cap, bool thread_partner) {
  goro_chan *c = goro_chan_make(sizeof(int64_t), cap);
  int64_t v = -1;
  pthread_t th;

  /* No partner. */
  CHECK_EQ(nb_recv(c, &v), -EAGAIN);
  CHECK_EQ(v, -1);
  for (size_t i = 0; i < cap; i++)
    CHECK_EQ(nb_send(c, (int64_t)i), 0);
  CHECK_EQ(nb_send(c, 99), -EAGAIN);
  CHECK_EQ(goro_chan_len(c), cap);
  for (size_t i = 0; i < cap; i++) {
    CHECK_EQ(nb_recv(c, &v), 1);
    CHECK_EQ(v, (int64_t)i);
  }
  CHECK_EQ(nb_recv(c, &v), -EAGAIN);

  /* A receiving partner: our send succeeds once it waits (or at once if
   * there is room). */
  partner_got = 0;
  goro_wg_add(&wg, 1);
  if (thread_partner)
    CHECK_EQ(pthread_create(&th, NULL, thread_recv, c), 0);
  else
    goro_go(partner_recv, c);
  int tries = 0;
  while (nb_send(c, 777) == -EAGAIN) {
    CHECK(++tries < MAXTRIES);
    goro_yield();
  }
  goro_wg_wait(&wg);
  if (thread_partner)
    pthread_join(th, NULL);
  CHECK_EQ(partner_got, 777);
  CHECK_EQ(nb_recv(c, &v), -EAGAIN);

  /* A sending partner. */
  goro_wg_add(&wg, 1);
  if (thread_partner)
    CHECK_EQ(pthread_create(&th, NULL, thread_send, c), 0);
  else
    goro_go(partner_send, c);
  tries = 0;
  int r;
  while ((r = nb_recv(c, &v)) == -EAGAIN) {
    CHECK(++tries < MAXTRIES);
    goro_yield();
  }
  CHECK_EQ(r, 1);
  CHECK_EQ(v, 4242);
  goro_wg_wait(&wg);
  if (thread_partner)
    pthread_join(th, NULL);
  CHECK_EQ(nb_recv(c, &v), -EAGAIN);

  /* Closed: receive reports it, send fails. */
  CHECK_EQ(goro_chan_close(c), 0);
  v = 5;
  CHECK_EQ(nb_recv(c, &v), 0);
  CHECK_EQ(v, 0);
  CHECK_EQ(nb_send(c, 1), -EPIPE);
  goro_chan_release(c);
}

static void main_fn(void *arg) {
  idle_chan = goro_chan_make(sizeof(int64_t), 0);
  size_t caps[] = {0, 1, 10, 16};
  for (spelling = 0; spelling < 3; spelling++)
    for (int k = 0; k < 4; k++)
      for (int t = 0; t < 2; t++)
        one(caps[k], t);
  /* NULL channels never proceed. */
  int64_t v = 0;
  CHECK_EQ(goro_chan_trysend(NULL, &v), -EAGAIN);
  CHECK_EQ(goro_chan_tryrecv(NULL, &v), -EAGAIN);
  goro_case cs[2] = {goro_recv_case(NULL, &v), goro_send_case(NULL, &v)};
  CHECK_EQ(goro_select(cs, 2, GORO_NONBLOCK), -EAGAIN);
  CHECK_EQ(goro_select(NULL, 0, GORO_NONBLOCK), -EAGAIN);
  goro_chan_release(idle_chan);
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  /* The same from a plain thread (partners: goroutines and threads). */
  main_fn(NULL);
  return 0;
}
