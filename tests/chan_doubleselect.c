/* chan_doubleselect.c: many senders select over the same channels, and
 * every value is received exactly once.
 *
 * S sender goroutines each send their own range of values; for each value
 * they select over sends on the same four unbuffered channels, so at any
 * moment several senders are queued on every channel with the same select
 * waiting on all four. One receiver per channel forwards what it gets to a
 * single multiplexed channel (also through a select, with a stop case);
 * main counts every value. A value received twice (a select that fired on
 * two channels) or never (a select removed from the wrong queue) fails.
 * Then the same with plain-thread senders mixed in. */
#include <goro.h>
#include <pthread.h>
#include <stdbool.h>

#include "check.h"

#define NCHAN 4
#define SENDERS 8
#define PER 5000
#define TOTAL (SENDERS * PER)

static goro_chan *chans[NCHAN], *mux, *stop;
static goro_wg senders_wg = GORO_WG_INIT, fwd_wg = GORO_WG_INIT;
static unsigned char seen[TOTAL];

static void sender(void *arg) {
  int base = (int)(intptr_t)arg * PER;
  for (int i = 0; i < PER; i++) {
    int v = base + i;
    goro_case cs[NCHAN];
    for (int k = 0; k < NCHAN; k++)
      cs[k] = goro_send_case(chans[k], &v);
    int r = goro_select(cs, NCHAN, 0);
    CHECK(r >= 0 && r < NCHAN);
    CHECK_EQ(cs[r].ok, 1);
  }
  goro_wg_done(&senders_wg);
}

static void *sender_thread(void *arg) {
  sender(arg);
  return NULL;
}

static void forwarder(void *arg) {
  goro_chan *in = arg;
  int v;
  for (;;) {
    goro_case cs[2] = {goro_recv_case(in, &v), goro_recv_case(stop, NULL)};
    int r = goro_select(cs, 2, 0);
    if (r == 1)
      break;
    CHECK_EQ(r, 0);
    CHECK_EQ(cs[0].ok, 1);
    CHECK_EQ(goro_chan_send(mux, &v), 0);
  }
  goro_wg_done(&fwd_wg);
}

static void run(bool threads) {
  memset(seen, 0, sizeof seen);
  for (int k = 0; k < NCHAN; k++)
    chans[k] = goro_chan_make(sizeof(int), 0);
  mux = goro_chan_make(sizeof(int), 0);
  stop = goro_chan_make(0, 0);
  pthread_t th[SENDERS];
  for (int s = 0; s < SENDERS; s++) {
    goro_wg_add(&senders_wg, 1);
    if (threads && s % 2 == 1)
      CHECK_EQ(pthread_create(&th[s], NULL, sender_thread, (void *)(intptr_t)s),
               0);
    else
      CHECK(goro_go(sender, (void *)(intptr_t)s) > 0);
  }
  for (int k = 0; k < NCHAN; k++) {
    goro_wg_add(&fwd_wg, 1);
    CHECK(goro_go(forwarder, chans[k]) > 0);
  }
  for (int n = 0; n < TOTAL; n++) {
    int v;
    CHECK_EQ(goro_chan_recv(mux, &v), 1);
    CHECK(v >= 0 && v < TOTAL);
    CHECK_EQ(seen[v], 0);
    seen[v] = 1;
  }
  goro_wg_wait(&senders_wg);
  if (threads)
    for (int s = 1; s < SENDERS; s += 2)
      pthread_join(th[s], NULL);
  goro_chan_close(stop);
  goro_wg_wait(&fwd_wg);
  int v;
  CHECK_EQ(goro_chan_tryrecv(mux, &v), -EAGAIN);
  for (int k = 0; k < NCHAN; k++)
    goro_chan_release(chans[k]);
  goro_chan_release(mux);
  goro_chan_release(stop);
}

static void main_fn(void *arg) {
  run(false);
  run(true);
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  return 0;
}
