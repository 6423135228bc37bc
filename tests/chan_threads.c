/* chan_threads.c: channels between plain threads and goroutines, in every
 * direction. A thread that blocks in a channel operation sleeps (futex) and
 * is woken by whoever completes it: a goroutine or another thread.
 *  - ping-pong thread <-> goroutine, thread <-> thread, goroutine <->
 *    goroutine started from a thread, over unbuffered and buffered channels;
 *  - a thread blocked in a select over several channels, woken through any
 *    one of them (not only the first in lock order: the waker must wake the
 *    waiter the thread sleeps on), by a goroutine or by a thread;
 *  - a thread blocked in receive and in send, woken by close;
 *  - a pipeline whose stages alternate threads and goroutines. */
#include <goro.h>
#include <pthread.h>
#include <stdbool.h>

#include "check.h"

#define ROUNDS 2000

struct pp {
  goro_chan *to, *from; /* one channel for both directions when unbuffered */
  long sum;
  goro_wg done;
};

static void pong_fn(void *arg) {
  struct pp *p = arg;
  int64_t v;
  while (goro_chan_recv(p->to, &v) == 1) {
    p->sum += v;
    CHECK_EQ(goro_chan_send(p->from, &v), 0);
  }
  goro_wg_done(&p->done);
}
static void pong_g(void *arg) { pong_fn(arg); }
static void *pong_t(void *arg) {
  pong_fn(arg);
  return NULL;
}

static void pingpong(bool pong_is_thread, size_t cap) {
  struct pp p = {goro_chan_make(sizeof(int64_t), cap), NULL, 0, GORO_WG_INIT};
  p.from = p.to;
  if (cap > 0) /* else ping could take back its own value */
    p.from = goro_chan_make(sizeof(int64_t), cap);
  goro_wg_add(&p.done, 1);
  pthread_t th;
  if (pong_is_thread)
    CHECK_EQ(pthread_create(&th, NULL, pong_t, &p), 0);
  else
    CHECK(goro_go(pong_g, &p) > 0);
  for (int64_t i = 0; i < ROUNDS; i++) {
    int64_t v = i;
    CHECK_EQ(goro_chan_send(p.to, &v), 0);
    CHECK_EQ(goro_chan_recv(p.from, &v), 1);
    CHECK_EQ(v, i);
  }
  CHECK_EQ(goro_chan_close(p.to), 0);
  goro_wg_wait(&p.done);
  if (pong_is_thread)
    pthread_join(th, NULL);
  CHECK_EQ(p.sum, (long)ROUNDS * (ROUNDS - 1) / 2);
  if (p.from != p.to)
    goro_chan_release(p.from);
  goro_chan_release(p.to);
}

/* ---- a thread in select ---- */
#define NSEL 5
static goro_chan *selchans[NSEL];
struct poke {
  int which;
  int64_t v;
};
static void poke_fn(void *arg) {
  struct poke *p = arg;
  CHECK_EQ(goro_chan_send(selchans[p->which], &p->v), 0);
}
static void poke_g(void *arg) { poke_fn(arg); }
static void *poke_t(void *arg) {
  poke_fn(arg);
  return NULL;
}

static void thread_select(void) {
  for (int k = 0; k < NSEL; k++)
    selchans[k] = goro_chan_make(sizeof(int64_t), k % 2);
  for (int t = 0; t < 400; t++) {
    struct poke p = {t % NSEL, 1000 + t};
    pthread_t th;
    bool by_thread = (t / NSEL) % 2;
    if (by_thread)
      CHECK_EQ(pthread_create(&th, NULL, poke_t, &p), 0);
    else
      CHECK(goro_go(poke_g, &p) > 0);
    int64_t v[NSEL];
    goro_case cs[NSEL];
    for (int k = 0; k < NSEL; k++)
      cs[k] = goro_recv_case(selchans[k], &v[k]);
    int r = goro_select(cs, NSEL, 0);
    CHECK_EQ(r, p.which);
    CHECK_EQ(v[r], 1000 + t);
    CHECK_EQ(cs[r].ok, 1);
    if (by_thread)
      pthread_join(th, NULL);
  }
  for (int k = 0; k < NSEL; k++)
    goro_chan_release(selchans[k]);
}

/* ---- close wakes a blocked thread ---- */
static void closer_g(void *arg) {
  for (int i = 0; i < 10; i++)
    goro_yield();
  CHECK_EQ(goro_chan_close(arg), 0);
  goro_chan_release(arg);
}

static void close_wakes_thread(void) {
  for (int i = 0; i < 50; i++) {
    goro_chan *c = goro_chan_make(sizeof(int), 0);
    goro_chan_retain(c); /* the closer's reference */
    goro_go(closer_g, c);
    int v = 5;
    if (i % 2) {
      CHECK_EQ(goro_chan_recv(c, &v), 0);
      CHECK_EQ(v, 0);
    } else {
      CHECK_EQ(goro_chan_send(c, &v), -EPIPE);
    }
    goro_chan_release(c);
  }
}

/* ---- a pipeline alternating threads and goroutines ---- */
#define STAGES 8
#define ITEMS 1000
static goro_chan *pipe_ch[STAGES + 1];
static void stage(void *arg) {
  int s = (int)(intptr_t)arg;
  int64_t v;
  while (goro_chan_recv(pipe_ch[s], &v) == 1)
    CHECK_EQ(goro_chan_send(pipe_ch[s + 1], &(int64_t){v + 1}), 0);
  CHECK_EQ(goro_chan_close(pipe_ch[s + 1]), 0);
}
static void *stage_t(void *arg) {
  stage(arg);
  return NULL;
}

static void feeder(void *arg) {
  for (int64_t i = 0; i < ITEMS; i++)
    CHECK_EQ(goro_chan_send(pipe_ch[0], &i), 0);
  CHECK_EQ(goro_chan_close(pipe_ch[0]), 0);
}

static void pipeline(void) {
  pthread_t th[STAGES];
  for (int s = 0; s <= STAGES; s++)
    pipe_ch[s] = goro_chan_make(sizeof(int64_t), s % 3 == 0 ? 0 : 2);
  for (int s = 0; s < STAGES; s++) {
    if (s % 2)
      CHECK_EQ(pthread_create(&th[s], NULL, stage_t, (void *)(intptr_t)s), 0);
    else
      CHECK(goro_go(stage, (void *)(intptr_t)s) > 0);
  }
  CHECK(goro_go(feeder, NULL) > 0);
  int64_t v, expect = STAGES;
  while (goro_chan_recv(pipe_ch[STAGES], &v) == 1)
    CHECK_EQ(v, expect++);
  CHECK_EQ(expect, ITEMS + STAGES);
  for (int s = 1; s < STAGES; s += 2)
    pthread_join(th[s], NULL);
  for (int s = 0; s <= STAGES; s++)
    goro_chan_release(pipe_ch[s]);
}

static void all(void) {
  pingpong(false, 0);
  pingpong(true, 0);
  pingpong(false, 1);
  pingpong(true, 4);
  thread_select();
  close_wakes_thread();
  pipeline();
}

static void main_goroutine(void *arg) { all(); }

int main(void) {
  all(); /* main is a plain thread */
  CHECK_EQ(goro_run(main_goroutine, NULL), 0);
  return 0;
}
