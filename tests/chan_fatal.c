/* chan_fatal.c: the fatal paths of channels, each in a child process.
 *  - A goroutine program whose goroutines all wait on channels is a
 *    deadlock: "fatal error: all goroutines are asleep - deadlock!", exit
 *    status 2, and the dump names each wait as Go does: chan send, chan
 *    receive, select, chan send (nil chan), chan receive (nil chan),
 *    select (no cases); a thread blocked in select is listed too.
 *  - A plain thread receiving from a NULL channel, alone: the same
 *    deadlock.
 *  - Releasing the last reference to a channel while a goroutine waits on
 *    it is fatal, with a message that says so (white box: the test waits
 *    until the receiver is queued). */
#include <goro.h>
#include <pthread.h>
#include <stdbool.h>

#include "../src/chan.h"
#include "check.h"

static goro_wg never = GORO_WG_INIT;
static goro_chan *c1, *c2, *c3, *c4; /* each waits alone on its own */

static void w_send(void *arg) { goro_chan_send(c1, &(int){1}); }
static void w_recv(void *arg) { goro_chan_recv(c2, NULL); }
static void w_select(void *arg) {
  goro_case cs[2] = {goro_recv_case(c3, NULL), goro_send_case(c3, NULL)};
  goro_select(cs, 2, 0);
}
static void w_nil_send(void *arg) { goro_chan_send(NULL, &(int){1}); }
static void w_nil_recv(void *arg) { goro_chan_recv(NULL, NULL); }
static void w_select_none(void *arg) { goro_select(NULL, 0, 0); }
static void w_select_nils(void *arg) {
  goro_case cs[2] = {goro_recv_case(NULL, NULL), goro_send_case(NULL, NULL)};
  goro_select(cs, 2, 0);
}

static void *t_select(void *arg) {
  goro_case cs[2] = {goro_recv_case(c4, NULL), goro_send_case(c4, NULL)};
  goro_select(cs, 2, 0);
  return NULL;
}

static void all_waits(void *arg) {
  c1 = goro_chan_make(sizeof(int), 0); /* nobody receives */
  c2 = goro_chan_make(sizeof(int), 0); /* nobody sends */
  c3 = goro_chan_make(sizeof(int), 0);
  c4 = goro_chan_make(sizeof(int), 0);
  void (*fns[])(void *) = {w_send,     w_recv,        w_select,     w_nil_send,
                           w_nil_recv, w_select_none, w_select_nils};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    goro_go(fns[i], NULL);
  pthread_t th;
  pthread_create(&th, NULL, t_select, NULL);
  goro_wg_add(&never, 1);
  goro_wg_wait(&never);
}

static void main_recv(void *arg) {
  goro_chan *c = goro_chan_make(sizeof(int), 3);
  goro_chan_recv(c, NULL);
}

static void waiting(void *arg) { goro_chan_recv(arg, NULL); }
static void release_waiting(void *arg) {
  goro_chan *c = goro_chan_make(sizeof(int), 0);
  goro_go(waiting, c);
  /* White box: until the receiver is queued. */
  for (;;) {
    chan_lock(c);
    bool queued = c->recvq.head != NULL;
    chan_unlock(c);
    if (queued)
      break;
    goro_yield();
  }
  goro_chan_release(c);
}

static int scenario(const char *s) {
  if (!strcmp(s, "all_waits"))
    return goro_run(all_waits, NULL);
  if (!strcmp(s, "main_recv"))
    return goro_run(main_recv, NULL);
  if (!strcmp(s, "thread_nil"))
    return goro_chan_recv(NULL, NULL);
  if (!strcmp(s, "release_waiting"))
    return goro_run(release_waiting, NULL);
  return 100;
}

int main(int argc, char **argv) {
  if (argc > 1)
    return scenario(argv[1]);
  static char out[1 << 16];
  const char *deadlock = "fatal error: all goroutines are asleep - deadlock!";

  CHECK_EQ(child(argv[0], "main_recv", NULL, out, sizeof out), 2);
  CHECK_CONTAINS(out, deadlock);
  CHECK_CONTAINS(out, "[chan receive");

  CHECK_EQ(child(argv[0], "all_waits", NULL, out, sizeof out), 2);
  CHECK_CONTAINS(out, deadlock);
  CHECK_CONTAINS(out, "[chan send,");
  CHECK_CONTAINS(out, "[chan receive,");
  CHECK_CONTAINS(out, "[select,");
  CHECK_CONTAINS(out, "[chan send (nil chan),");
  CHECK_CONTAINS(out, "[chan receive (nil chan),");
  CHECK_CONTAINS(out, "[select (no cases),");
  CHECK_CONTAINS(out, "thread");
  {
    /* the thread in select: "thread <tid> [select, ..." */
    const char *t = strstr(out, "\nthread ");
    bool found = false;
    for (; t; t = strstr(t + 1, "\nthread "))
      if (strncmp(strchr(t, '['), "[select,", 8) == 0)
        found = true;
    CHECK(found);
  }

  CHECK_EQ(child(argv[0], "thread_nil", NULL, out, sizeof out), 2);
  CHECK_CONTAINS(out, deadlock);
  CHECK_CONTAINS(out, "chan receive (nil chan)");

  CHECK_EQ(child(argv[0], "release_waiting", NULL, out, sizeof out), 2);
  CHECK_CONTAINS(out, "fatal error: goro_chan_release: last reference "
                      "released while goroutines wait on the channel");
  CHECK_CONTAINS(out, "[chan receive");
  return 0;
}
