/*
 * race_chan.c: the race-detection contract for channels and select.
 *
 * Go's race detector tests (runtime/race/testdata/chan_test.go and
 * select_test.go, Go 1.19), ported case by case and in the same order,
 * then a few cases of our own that pin down the rules the issue names
 * (the k-th receive and the (k+C)-th send, parked partners, threads).
 * Each case is a program that races or does not in Go's memory model;
 * race_harness.h runs each in its own process under several schedules and
 * checks ThreadSanitizer's verdict. Registered only in the TSan build
 * (tests/race.cmake).
 *
 * Porting notes. A Go send evaluates its value in user code, so `c <- x`
 * reads x before the channel runs; the library copies values with
 * uninstrumented code, so the port reads x into a temporary first (and a
 * receive `x = <-c` assigns x after the receive). time.Sleep calls that
 * only made an interleaving likely are dropped: every case is decided the
 * same way in every interleaving. Go's panics on a closed channel are the
 * -EPIPE returns.
 */
#include "race_harness.h"

#include <pthread.h>

/* Racy variables: volatile so that every access in the source is made
 * (and instrumented), none merged or dropped. */
#define W(var, val) (*(volatile int *)&(var) = (val))
#define R(var) (*(volatile int *)&(var))

static int v, v1, v2, x, y, data;
static goro_chan *c, *c1, *c2, *c3, *compl, *done, *r, *mtx, *aux;

/* ======================================================================
 * chan_test.go
 * ==================================================================== */

static void g_sync(void *a) { W(v, 1); sendi(c, 0); FINISHED(); }
static void NoRaceChanSync(void) {
  c = mkchan(0);
  spawn(g_sync, 0);
  recvi(c);
  W(v, 2);
  JOIN(1);
}

static void g_sync_rev(void *a) { sendi(c, 0); W(v, 2); FINISHED(); }
static void NoRaceChanSyncRev(void) {
  c = mkchan(0);
  spawn(g_sync_rev, 0);
  W(v, 1);
  recvi(c);
  JOIN(1);
}

static void NoRaceChanAsync(void) {
  c = mkchan(10);
  spawn(g_sync, 0);
  recvi(c);
  W(v, 2);
  JOIN(1);
}

static void g_async_rev(void *a) { sendi(c, 0); W(v, 1); FINISHED(); }
static void RaceChanAsyncRev(void) {
  c = mkchan(10);
  spawn(g_async_rev, 0);
  W(v, 2);
  recvi(c);
  JOIN(1);
}

static void g_write_close(void *a) { W(v, 1); goro_chan_close(c); FINISHED(); }
static void close_recv_1(size_t cap) {
  c = mkchan(cap);
  spawn(g_write_close, 0);
  CHECK_EQ(goro_chan_recv(c, NULL), 0); /* Go: <-c, then v = 2 deferred */
  W(v, 2);
  JOIN(1);
}
static void close_recv_2(size_t cap) {
  c = mkchan(cap);
  spawn(g_write_close, 0);
  int t, ok = goro_chan_recv(c, &t); /* _, _ = <-c */
  CHECK_EQ(ok, 0);
  W(v, 2);
  JOIN(1);
}
static void close_recv_3(size_t cap) {
  c = mkchan(cap);
  spawn(g_write_close, 0);
  int t;
  while (goro_chan_recv(c, &t) == 1) /* for range c {} */
    ;
  W(v, 2);
  JOIN(1);
}
static void NoRaceChanAsyncCloseRecv(void) { close_recv_1(10); }
static void NoRaceChanAsyncCloseRecv2(void) { close_recv_2(10); }
static void NoRaceChanAsyncCloseRecv3(void) { close_recv_3(10); }
static void NoRaceChanSyncCloseRecv(void) { close_recv_1(0); }
static void NoRaceChanSyncCloseRecv2(void) { close_recv_2(0); }
static void NoRaceChanSyncCloseRecv3(void) { close_recv_3(0); }

static void RaceChanSyncCloseSend(void) {
  c = mkchan(0);
  spawn(g_write_close, 0);
  CHECK_EQ(sendi(c, 0), -EPIPE); /* Go: panics, recovered */
  W(v, 2);
  JOIN(1);
}

static void RaceChanAsyncCloseSend(void) {
  c = mkchan(10);
  spawn(g_write_close, 0);
  while (sendi(c, 0) == 0) /* for { c <- 0 } until it panics */
    ;
  W(v, 2);
  JOIN(1);
}

static void g_close_close1(void *a) {
  W(v1, 1);
  if (goro_chan_close(c) != 0) /* recover() != nil */
    W(v2, 2);
  sendi(compl, 1);
}
static void g_close_close2(void *a) {
  W(v2, 1);
  if (goro_chan_close(c) != 0)
    W(v1, 2);
  sendi(compl, 1);
}
static void RaceChanCloseClose(void) {
  compl = mkchan(2);
  c = mkchan(0);
  spawn(g_close_close1, 0);
  spawn(g_close_close2, 0);
  recvi(compl);
  recvi(compl);
}

static void g_write_send(void *a) { W(v, 1); sendi(c, 1); FINISHED(); }
static void RaceChanSendLen(void) {
  c = mkchan(10);
  spawn(g_write_send, 0);
  while (goro_chan_len(c) == 0)
    goro_yield();
  W(v, 2);
  JOIN(1);
}

static void g_write_recv(void *a) { W(v, 1); recvi(c); FINISHED(); }
static void RaceChanRecvLen(void) {
  c = mkchan(10);
  sendi(c, 1);
  spawn(g_write_recv, 0);
  while (goro_chan_len(c) != 0)
    goro_yield();
  W(v, 2);
  JOIN(1);
}

static int one = 1;
static void g_send_send1(void *a) {
  W(v1, 1);
  goro_case cs[] = {{c, GORO_SEND, &one, 0}};
  if (goro_select(cs, 1, GORO_NONBLOCK) == -EAGAIN) /* default: */
    W(v2, 2);
  sendi(compl, 1);
}
static void g_send_send2(void *a) {
  W(v2, 1);
  goro_case cs[] = {{c, GORO_SEND, &one, 0}};
  if (goro_select(cs, 1, GORO_NONBLOCK) == -EAGAIN)
    W(v1, 2);
  sendi(compl, 1);
}
static void RaceChanSendSend(void) {
  compl = mkchan(2);
  c = mkchan(1);
  spawn(g_send_send1, 0);
  spawn(g_send_send2, 0);
  recvi(compl);
  recvi(compl);
}

typedef struct msg {
  int x;
} msg;
static void g_ptr(void *a) {
  msg *m = malloc(sizeof(*m));
  CHECK(m);
  W(m->x, 1);
  CHECK_EQ(goro_chan_send(c, &m), 0);
}
static void NoRaceChanPtr(void) {
  c = goro_chan_make(sizeof(msg *), 0);
  spawn(g_ptr, 0);
  msg *m = NULL;
  CHECK_EQ(goro_chan_recv(c, &m), 1);
  W(m->x, 2);
  free(m);
}

static void g_wrong_send1(void *a) { W(v1, 1); sendi(c, 1); FINISHED(); }
static void g_wrong_send2(void *a) { W(v2, 2); sendi(c, 2); FINISHED(); }
static void RaceChanWrongSend(void) {
  c = mkchan(2);
  spawn(g_wrong_send1, 0);
  spawn(g_wrong_send2, 0);
  if (recvi(c) == 1)
    W(v2, 3);
  else
    W(v1, 3);
  JOIN(2);
}

static void g_wrong_close1(void *a) {
  W(v1, 1);
  sendi(c, 1); /* -EPIPE if closed: Go's recovered panic */
  sendi(done, 1);
}
static void g_wrong_close2(void *a) {
  W(v2, 2);
  goro_chan_close(c);
  sendi(done, 1);
}
static void RaceChanWrongClose(void) {
  c = mkchan(1);
  done = mkchan(0);
  spawn(g_wrong_close1, 0);
  spawn(g_wrong_close2, 0);
  int t;
  if (goro_chan_recv(c, &t) == 1) /* _, who := <-c */
    W(v2, 2);
  else
    W(v1, 2);
  recvi(done);
  recvi(done);
}

static void g_send_c(void *a) { sendi(c, 1); sendi(compl, 1); }
static void g_close_c(void *a) { goro_chan_close(c); sendi(compl, 1); }
static void RaceChanSendClose(void) {
  compl = mkchan(2);
  c = mkchan(1);
  spawn(g_send_c, 0);
  spawn(g_close_c, 0);
  recvi(compl);
  recvi(compl);
}

static void g_select_send_c(void *a) {
  goro_case cs[] = {{c, GORO_SEND, &one, 0}, {c1, GORO_RECV, NULL, 0}};
  goro_select(cs, 2, 0);
  sendi(compl, 1);
}
static void RaceChanSendSelectClose(void) {
  compl = mkchan(2);
  c = mkchan(1);
  c1 = mkchan(0);
  spawn(g_select_send_c, 0);
  spawn(g_close_c, 0);
  recvi(compl);
  recvi(compl);
}

/* The select's send value is evaluated on entry, in user code; c3 is a
 * send case on both sides, so it can never fire. */
static void g_select_rw(void *a) {
  int t = R(x); /* read of x races with... */
  goro_case cs[] = {{c1, GORO_SEND, &t, 0}, {c3, GORO_SEND, &one, 0}};
  goro_select(cs, 2, 0);
  sendi(done, 1);
}
static void select_rw_main(void) {
  int t;
  goro_case cs[] = {{c2, GORO_RECV, &t, 0}, {c3, GORO_SEND, &one, 0}};
  if (goro_select(cs, 2, 0) == 0)
    W(x, t); /* ... write to x here */
  recvi(done);
}
static void RaceSelectReadWriteAsync(void) {
  done = mkchan(0);
  c1 = mkchan(10);
  c2 = mkchan(10);
  c3 = mkchan(0);
  sendi(c2, 1);
  spawn(g_select_rw, 0);
  select_rw_main();
}

static void g_recv_c1(void *a) { recvi(c1); }
static void g_send_c2(void *a) { sendi(c2, 1); }
static void RaceSelectReadWriteSync(void) {
  done = mkchan(0);
  c1 = mkchan(0);
  c2 = mkchan(0);
  c3 = mkchan(0);
  spawn(g_recv_c1, 0); /* make c1 and c2 ready for communication */
  spawn(g_send_c2, 0);
  spawn(g_select_rw, 0);
  select_rw_main();
}

static void g_select_rw_sync(void *a) {
  int t = R(x); /* read of x does not race with... */
  goro_case cs[] = {{c1, GORO_SEND, &t, 0}, {c2, GORO_SEND, &one, 0}};
  goro_select(cs, 2, 0);
  sendi(done, 1);
}
static void NoRaceSelectReadWriteAsync(void) {
  done = mkchan(0);
  c1 = mkchan(0);
  c2 = mkchan(0);
  spawn(g_select_rw_sync, 0);
  int t;
  goro_case cs[] = {{c1, GORO_RECV, &t, 0}, {c2, GORO_SEND, &one, 0}};
  if (goro_select(cs, 2, 0) == 0)
    W(x, t); /* ... write to x here */
  recvi(done);
}

static void g_send_x_c1(void *a) {
  sendi(c1, R(x)); /* read of x races with... */
  sendi(done, 1);
}
static void RaceChanReadWriteAsync(void) {
  done = mkchan(0);
  c1 = mkchan(10);
  c2 = mkchan(10);
  sendi(c2, 10);
  spawn(g_send_x_c1, 0);
  W(x, recvi(c2)); /* ... write to x here */
  recvi(done);
}

static void RaceChanReadWriteSync(void) {
  done = mkchan(0);
  c1 = mkchan(0);
  c2 = mkchan(0);
  spawn(g_recv_c1, 0);
  spawn(g_send_c2, 0);
  spawn(g_send_x_c1, 0);
  W(x, recvi(c2));
  recvi(done);
}

static void NoRaceChanReadWriteAsync(void) {
  done = mkchan(0);
  c1 = mkchan(10);
  spawn(g_send_x_c1, 0);
  W(x, recvi(c1)); /* does not race: the send happened before */
  recvi(done);
}

typedef struct task {
  void (*f)(void);
  goro_chan *done;
} task;
static void g_consumer(void *a) {
  task t;
  goro_chan_recv(c, &t);
  t.f();
  sendi(t.done, 1);
}
static void set_x(void) { W(x, 1); }
static void doit(void (*f)(void)) {
  task t = {f, mkchan(1)};
  CHECK_EQ(goro_chan_send(c, &t), 0);
  recvi(t.done);
}
static void NoRaceProducerConsumerUnbuffered(void) {
  c = goro_chan_make(sizeof(task), 0);
  spawn(g_consumer, 0);
  doit(set_x);
  (void)R(x);
}

/* The channel variable itself is what races. */
static goro_chan *cv;
static void g_itself_send(void *a) { sendi(cv, 0); sendi(compl, 1); }
static void RaceChanItselfSend(void) {
  compl = mkchan(1);
  cv = mkchan(10);
  spawn(g_itself_send, 0);
  cv = mkchan(20);
  recvi(compl);
}

/* Go sleeps so that the receive reads the old c; here the goroutine says
 * so through a flag that orders nothing. */
static int read_cv;
static void g_itself_recv(void *a) {
  goro_chan *ch = cv;
  nohb_set(&read_cv, 1);
  recvi(ch);
  sendi(compl, 1);
}
static void RaceChanItselfRecv(void) {
  compl = mkchan(1);
  cv = mkchan(10);
  sendi(cv, 1);
  spawn(g_itself_recv, 0);
  nohb_wait(&read_cv, 1);
  cv = mkchan(20);
  recvi(compl);
}

static void g_itself_nil(void *a) {
  goro_chan *ch = cv;
  FINISHED();
  sendi(ch, 0); /* blocks forever if it read NULL: goro_run abandons it */
}
static void RaceChanItselfNil(void) {
  cv = mkchan(10);
  spawn(g_itself_nil, 0);
  cv = NULL;
  JOIN(1);
}

static void g_itself_close(void *a) { goro_chan_close(cv); sendi(compl, 1); }
static void RaceChanItselfClose(void) {
  compl = mkchan(1);
  cv = mkchan(0);
  spawn(g_itself_close, 0);
  cv = mkchan(0);
  recvi(compl);
}

static void g_itself_len(void *a) {
  (void)goro_chan_len(cv);
  sendi(compl, 1);
}
static void RaceChanItselfLen(void) {
  compl = mkchan(1);
  cv = mkchan(0);
  spawn(g_itself_len, 0);
  cv = mkchan(0);
  recvi(compl);
}

static void g_itself_cap(void *a) {
  (void)goro_chan_cap(cv);
  sendi(compl, 1);
}
static void RaceChanItselfCap(void) {
  compl = mkchan(1);
  cv = mkchan(0);
  spawn(g_itself_cap, 0);
  cv = mkchan(0);
  recvi(compl);
}

static void g_len_c(void *a) { sendi(r, (int)goro_chan_len(c)); }
static void g_cap_c(void *a) { sendi(r, (int)goro_chan_cap(c)); }
static void g_close_r(void *a) {
  goro_chan_close(c);
  sendi(r, 0);
}
static void NoRaceChanCloseLen(void) {
  c = mkchan(10);
  r = mkchan(10);
  spawn(g_len_c, 0);
  spawn(g_close_r, 0);
  recvi(r);
  recvi(r);
}
static void NoRaceChanCloseCap(void) {
  c = mkchan(10);
  r = mkchan(10);
  spawn(g_cap_c, 0);
  spawn(g_close_r, 0);
  recvi(r);
  recvi(r);
}

static void g_close_compl(void *a) {
  goro_chan_close(c);
  sendi(compl, 1);
}
static void RaceChanCloseSend(void) {
  compl = mkchan(1);
  c = mkchan(10);
  spawn(g_close_compl, 0);
  sendi(c, 0); /* -EPIPE if the close came first */
  recvi(compl);
}

/* chan struct{} as a mutex: elements of size 0. */
static void g_chan_mutex(void *a) {
  goro_chan_send(mtx, NULL);
  W(data, 42);
  goro_chan_recv(mtx, NULL);
  goro_chan_send(done, NULL);
}
static void NoRaceChanMutex(void) {
  done = goro_chan_make(0, 0);
  mtx = goro_chan_make(0, 1);
  spawn(g_chan_mutex, 0);
  goro_chan_send(mtx, NULL);
  W(data, 43);
  goro_chan_recv(mtx, NULL);
  goro_chan_recv(done, NULL);
}

static void sel_lock(void) {
  goro_case cs[] = {{mtx, GORO_SEND, NULL, 0}, {aux, GORO_RECV, NULL, 0}};
  goro_select(cs, 2, 0);
}
static void sel_unlock(void) {
  goro_case cs[] = {{mtx, GORO_RECV, NULL, 0}, {aux, GORO_RECV, NULL, 0}};
  goro_select(cs, 2, 0);
}
static void g_select_mutex(void *a) {
  sel_lock();
  W(data, 42);
  sel_unlock();
  goro_chan_send(done, NULL);
}
static void NoRaceSelectMutex(void) {
  done = goro_chan_make(0, 0);
  mtx = goro_chan_make(0, 1);
  aux = goro_chan_make(1, 0);
  spawn(g_select_mutex, 0);
  sel_lock();
  W(data, 43);
  sel_unlock();
  goro_chan_recv(done, NULL);
}

/* chan bool of capacity 2 is no mutex. */
static void g_chan_sem(void *a) {
  char t = 1;
  goro_chan_send(mtx, &t);
  W(data, 42);
  goro_chan_recv(mtx, &t);
  goro_chan_send(done, NULL);
}
static void RaceChanSem(void) {
  done = goro_chan_make(0, 0);
  mtx = goro_chan_make(1, 2);
  spawn(g_chan_sem, 0);
  char t = 1;
  goro_chan_send(mtx, &t);
  W(data, 43);
  goro_chan_recv(mtx, &t);
  goro_chan_recv(done, NULL);
}

enum { WG_N = 10 };
static int wgdata[WG_N];
static void g_chan_wg(void *a) {
  int i = (int)(intptr_t)a;
  W(wgdata[i], 42);
  goro_chan_recv(mtx, NULL);
}
static void NoRaceChanWaitGroup(void) {
  mtx = goro_chan_make(1, WG_N / 2); /* chanWg: chan bool */
  char t = 1;
  for (int i = 0; i < WG_N; i++) {
    goro_chan_send(mtx, &t);
    spawn(g_chan_wg, (void *)(intptr_t)i);
  }
  for (size_t i = 0; i < goro_chan_cap(mtx); i++)
    goro_chan_send(mtx, &t);
  for (int i = 0; i < WG_N; i++)
    (void)R(wgdata[i]);
}

/* The sender synchronizes with the receiver even if it was blocked. */
static int gi;
static void g_blocked_send(void *a) {
  int *p = &gi;
  W(gi, 42);
  goro_chan_send(c, &p);
}
static void NoRaceBlockedSendSync(void) {
  c = goro_chan_make(sizeof(int *), 1);
  int *p = NULL;
  goro_chan_send(c, &p);
  spawn(g_blocked_send, 0);
  goro_chan_recv(c, &p);
  goro_chan_recv(c, &p);
  CHECK_EQ(R(*p), 42);
}

static void NoRaceBlockedSelectSendSync(void) {
  c = goro_chan_make(sizeof(int *), 1);
  int *p = NULL;
  goro_chan_send(c, &p);
  spawn(g_blocked_send, 0);
  goro_chan_recv(c, &p);
  goro_chan *never = mkchan(0);
  goro_case cs[] = {{c, GORO_RECV, &p, 0}, {never, GORO_RECV, NULL, 0}};
  CHECK_EQ(goro_select(cs, 2, 0), 0);
  CHECK_EQ(R(*p), 42);
}

/* Close happens before a read from the empty closed channel. */
typedef struct hbr {
  goro_chan *write, *read;
  int *loc;
} hbr;
static void g_hbr_reader(void *a) {
  hbr *h = a;
  goro_case cs[] = {{h->write, GORO_RECV, NULL, 0}};
  if (goro_select(cs, 1, GORO_NONBLOCK) == 0)
    (void)R(*h->loc);
  goro_chan_close(h->read);
}
static void g_hbr_writer(void *a) {
  hbr *h = a;
  W(*h->loc, 1);
  goro_chan_close(h->write);
}
static void NoRaceCloseHappensBeforeRead(void) {
  for (int i = 0; i < 100; i++) {
    /* Never freed: each round's variable and channels are new memory. */
    hbr *h = malloc(sizeof(*h));
    CHECK(h);
    h->loc = calloc(1, sizeof(int));
    h->write = goro_chan_make(0, 0);
    h->read = goro_chan_make(0, 0);
    CHECK(h->loc && h->write && h->read);
    spawn(g_hbr_reader, h);
    spawn(g_hbr_writer, h);
    goro_chan_recv(h->read, NULL);
  }
}

static void g_size0_x(void *a) {
  W(x, R(x) + 1);
  goro_chan_recv(c, NULL);
}
static void g_size0_y(void *a) {
  W(y, R(y) + 1);
  goro_chan_recv(c, NULL);
}
static void NoRaceElemetSize0(void) {
  c = goro_chan_make(0, 2);
  goro_chan_send(c, NULL);
  goro_chan_send(c, NULL);
  spawn(g_size0_x, 0);
  spawn(g_size0_y, 0);
  goro_chan_send(c, NULL);
  goro_chan_send(c, NULL);
  W(x, R(x) + 1);
  W(y, R(y) + 1);
}

/* ======================================================================
 * select_test.go
 * ==================================================================== */

static void g_select1(void *a) {
  W(x, 1);
  goro_case cs[] = {{c, GORO_SEND, &one, 0}, {c1, GORO_SEND, &one, 0}};
  goro_select(cs, 2, 0);
  sendi(compl, 1);
}
static void NoRaceSelect1(void) {
  compl = mkchan(0);
  c = mkchan(0);
  c1 = mkchan(0);
  spawn(g_select1, 0);
  int t;
  goro_case cs[] = {{c, GORO_RECV, &t, 0}, {c1, GORO_SEND, &one, 0}};
  goro_select(cs, 2, 0);
  W(x, 2);
  recvi(compl);
}

static void g_select2(void *a) {
  goro_case cs[] = {{c, GORO_RECV, NULL, 0}, {c1, GORO_RECV, NULL, 0}};
  goro_select(cs, 2, 0);
  W(x, 1);
  sendi(compl, 1);
}
static void NoRaceSelect2(void) {
  compl = mkchan(0);
  c = mkchan(0);
  c1 = mkchan(0);
  spawn(g_select2, 0);
  W(x, 2);
  goro_chan_close(c);
  goro_yield();
  recvi(compl);
}

static void g_select3(void *a) {
  W(x, 1);
  goro_case cs[] = {{c, GORO_SEND, &one, 0}, {c1, GORO_RECV, NULL, 0}};
  goro_select(cs, 2, 0);
  sendi(compl, 1);
}
static void NoRaceSelect3(void) {
  compl = mkchan(0);
  c = mkchan(10);
  c1 = mkchan(0);
  spawn(g_select3, 0);
  recvi(c);
  W(x, 2);
  recvi(compl);
}

static void g_select4(void *a) {
  for (;;) {
    task t;
    goro_case cs[] = {{c, GORO_RECV, &t, 0}};
    goro_select(cs, 1, 0);
    t.f();
    sendi(t.done, 1);
  }
}
static void doit_select(void (*f)(void)) {
  task t = {f, mkchan(1)};
  goro_case s1[] = {{c, GORO_SEND, &t, 0}, {aux, GORO_RECV, NULL, 0}};
  goro_select(s1, 2, 0);
  goro_case s2[] = {{t.done, GORO_RECV, NULL, 0}, {aux, GORO_RECV, NULL, 0}};
  goro_select(s2, 2, 0);
}
static void NoRaceSelect4(void) {
  c = goro_chan_make(sizeof(task), 0); /* queue */
  aux = goro_chan_make(1, 0);          /* dummy */
  spawn(g_select4, 0);
  doit_select(set_x);
  (void)R(x);
}

typedef struct sel5 {
  bool sel, sched;
} sel5;
static void g_sel5_a(void *a) {
  sel5 *s = a;
  if (s->sched)
    goro_yield();
  W(x, 1);
  if (s->sel) {
    goro_case cs[] = {{c, GORO_SEND, &one, 0}, {c1, GORO_RECV, NULL, 0}};
    goro_select(cs, 2, 0);
  } else {
    sendi(c, 1);
  }
  sendi(done, 1);
}
static void g_sel5_b(void *a) {
  sel5 *s = a;
  if (s->sel) {
    goro_case cs[] = {{c, GORO_RECV, NULL, 0}, {c1, GORO_RECV, NULL, 0}};
    goro_select(cs, 2, 0);
  } else {
    recvi(c);
  }
  W(x, 1);
  sendi(done, 1);
}
static void NoRaceSelect5(void) {
  static sel5 tests[] = {{true, true}, {true, false}, {false, true},
                         {false, false}};
  for (int i = 0; i < 4; i++) {
    c = mkchan(0);
    c1 = mkchan(0);
    done = mkchan(2);
    spawn(g_sel5_a, &tests[i]);
    spawn(g_sel5_b, &tests[i]);
    recvi(done);
    recvi(done);
  }
}

static void g_recv2(void *a) {
  recvi(c);
  recvi(c);
}
static void g_race_select1(void *a) {
  goro_case cs[] = {{c, GORO_SEND, &one, 0}, {c1, GORO_SEND, &one, 0}};
  goro_select(cs, 2, 0);
  W(x, 1);
  sendi(compl, 1);
}
static void RaceSelect1(void) {
  compl = mkchan(2);
  c = mkchan(0);
  c1 = mkchan(0);
  spawn(g_recv2, 0);
  spawn(g_race_select1, 0);
  spawn(g_race_select1, 0);
  recvi(compl);
  recvi(compl);
}

static void g_race_select2(void *a) {
  W(x, 1);
  goro_case cs[] = {{c, GORO_RECV, NULL, 0}, {c1, GORO_RECV, NULL, 0}};
  goro_select(cs, 2, 0);
  sendi(compl, 1);
}
static void RaceSelect2(void) {
  compl = mkchan(0);
  c = mkchan(0);
  c1 = mkchan(0);
  spawn(g_race_select2, 0);
  goro_chan_close(c);
  W(x, 2);
  recvi(compl);
}

static void RaceSelect3(void) {
  compl = mkchan(0);
  c = mkchan(0);
  c1 = mkchan(0);
  spawn(g_select1, 0); /* x = 1; select { c <- true, c1 <- true } */
  W(x, 2);
  int t;
  goro_case cs[] = {{c, GORO_RECV, &t, 0}};
  goro_select(cs, 1, 0);
  recvi(compl);
}

static void g_race_select4(void *a) {
  goro_case cs[] = {{NULL, GORO_RECV, NULL, 0}};
  if (goro_select(cs, 0, GORO_NONBLOCK) == -EAGAIN) /* select { default: } */
    W(x, 2);
  sendi(done, 1);
}
static void RaceSelect4(void) {
  done = mkchan(1);
  spawn(g_race_select4, 0);
  (void)R(x);
  recvi(done);
}

static void g_race_select5(void *a) {
  goro_case cs[] = {{c1, GORO_SEND, &one, 0}, {c2, GORO_SEND, &one, 0}};
  if (goro_select(cs, 2, 0) == 0)
    W(x, 1);
  else
    W(y, 1);
  sendi(done, 1);
}
static void RaceSelect5(void) {
  done = mkchan(1);
  c1 = mkchan(1);
  c2 = mkchan(0);
  spawn(g_race_select5, 0);
  (void)R(x);
  (void)R(y);
  recvi(done);
}

/* ======================================================================
 * goro's own: the rules the contract names, with parked partners
 * ==================================================================== */

/* On a buffered channel of capacity C, the k-th receive happens before the
 * (k+C)-th send completes... */
enum { KC_N = 6, KC_C = 2 };
static int kc[KC_N];
static void g_kc_recv(void *a) {
  for (int k = 0; k < KC_N; k++) {
    W(kc[k], 1);
    recvi(c);
  }
  FINISHED();
}
static void NoRaceChanRecvBeforeSendKC(void) {
  c = mkchan(KC_C);
  spawn(g_kc_recv, 0);
  for (int n = 0; n < KC_N; n++) {
    sendi(c, n);
    if (n >= KC_C)
      (void)R(kc[n - KC_C]);
  }
  JOIN(1);
}
/* ... but not before the (k+C-1)-th. */
static void RaceChanRecvBeforeSendKC1(void) {
  c = mkchan(KC_C);
  spawn(g_kc_recv, 0);
  for (int n = 0; n < KC_N; n++) {
    sendi(c, n);
    if (n >= KC_C - 1)
      (void)R(kc[n - KC_C + 1]);
  }
  JOIN(1);
}

/* The N-th receive happens after the N-th send, in order. */
enum { FIFO_N = 50 };
static int fifo[FIFO_N];
static void g_fifo(void *a) {
  for (int i = 0; i < FIFO_N; i++) {
    W(fifo[i], i);
    sendi(c, i);
  }
}
static void NoRaceChanFifo(void) {
  c = mkchan(4);
  spawn(g_fifo, 0);
  for (int i = 0; i < FIFO_N; i++) {
    int k = recvi(c);
    CHECK_EQ(k, i);
    CHECK_EQ(R(fifo[k]), k);
  }
}

/* A sender blocked on a full buffer and released by a receive: the
 * receive that released it does not see what it wrote before sending. */
static void g_blocked_rev(void *a) {
  W(v, 1);
  sendi(c, 2);
  FINISHED();
}
static void RaceChanBlockedSendRev(void) {
  c = mkchan(1);
  sendi(c, 1);
  spawn(g_blocked_rev, 0);
  CHECK_EQ(recvi(c), 1);
  W(v, 2);
  CHECK_EQ(recvi(c), 2);
  JOIN(1);
}

/* A receiver parked on an empty buffer: the send that hands it the value
 * does not see what it wrote before receiving. */
static void RaceChanParkedRecvRev(void) {
  c = mkchan(1);
  spawn(g_write_recv, 0); /* v = 1; <-c */
  for (int i = 0; i < 3; i++)
    goro_yield(); /* often parked by now; either way it races */
  sendi(c, 1);
  W(v, 2);
  JOIN(1);
}

/* Close does not happen before a receive that gets a buffered value. */
static void RaceChanCloseBufferedRecv(void) {
  c = mkchan(1);
  sendi(c, 1);
  spawn(g_write_close, 0); /* v = 1; close(c) */
  int t;
  CHECK_EQ(goro_chan_recv(c, &t), 1);
  W(v, 2);
  JOIN(1);
}

/* Threads (not goroutines) on the other side. */
static void *t_sync(void *a) {
  W(v, 1);
  sendi(c, 0);
  return NULL;
}
static void *t_sync_rev(void *a) {
  sendi(c, 0);
  W(v, 2);
  return NULL;
}
static void *t_recv_write(void *a) {
  recvi(c);
  W(v, 1);
  return NULL;
}
static void *t_write_recv(void *a) {
  W(v, 1);
  recvi(c);
  return NULL;
}
static pthread_t thread(void *(*fn)(void *)) {
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, fn, NULL), 0);
  return t;
}
static void NoRaceThreadSync(void) {
  c = mkchan(0);
  pthread_t t = thread(t_sync);
  recvi(c);
  W(v, 2);
  pthread_join(t, NULL);
}
static void NoRaceThreadSyncRev(void) {
  c = mkchan(0);
  pthread_t t = thread(t_sync_rev);
  W(v, 1);
  recvi(c);
  pthread_join(t, NULL);
}
static void NoRaceThreadAsync(void) {
  c = mkchan(1);
  pthread_t t = thread(t_recv_write);
  W(v, 2);
  sendi(c, 1);
  pthread_join(t, NULL);
}
/* A thread parked on an empty buffer, handed a value by a goroutine: the
 * sender must not see the thread's earlier write (the thread's share of
 * the hand-off runs on a scratch fiber, src/chan.h), so the write after
 * the send races with it, whether or not the thread parked first. */
static void RaceThreadParkedRecvRev(void) {
  c = mkchan(1);
  pthread_t t = thread(t_write_recv);
  for (int i = 0; i < 3; i++)
    goro_yield();
  sendi(c, 1);
  W(v, 2);
  pthread_join(t, NULL);
}

static const race_case cases[] = {
    /* chan_test.go */
    {"NoRaceChanSync", CLEAN, NoRaceChanSync},
    {"NoRaceChanSyncRev", CLEAN, NoRaceChanSyncRev},
    {"NoRaceChanAsync", CLEAN, NoRaceChanAsync},
    {"RaceChanAsyncRev", RACY, RaceChanAsyncRev},
    {"NoRaceChanAsyncCloseRecv", CLEAN, NoRaceChanAsyncCloseRecv},
    {"NoRaceChanAsyncCloseRecv2", CLEAN, NoRaceChanAsyncCloseRecv2},
    {"NoRaceChanAsyncCloseRecv3", CLEAN, NoRaceChanAsyncCloseRecv3},
    {"NoRaceChanSyncCloseRecv", CLEAN, NoRaceChanSyncCloseRecv},
    {"NoRaceChanSyncCloseRecv2", CLEAN, NoRaceChanSyncCloseRecv2},
    {"NoRaceChanSyncCloseRecv3", CLEAN, NoRaceChanSyncCloseRecv3},
    {"RaceChanSyncCloseSend", RACY, RaceChanSyncCloseSend},
    {"RaceChanAsyncCloseSend", RACY, RaceChanAsyncCloseSend},
    {"RaceChanCloseClose", RACY, RaceChanCloseClose},
    {"RaceChanSendLen", RACY, RaceChanSendLen},
    {"RaceChanRecvLen", RACY, RaceChanRecvLen},
    {"RaceChanSendSend", RACY, RaceChanSendSend},
    {"NoRaceChanPtr", CLEAN, NoRaceChanPtr},
    {"RaceChanWrongSend", RACY, RaceChanWrongSend},
    {"RaceChanWrongClose", RACY, RaceChanWrongClose},
    {"RaceChanSendClose", RACY, RaceChanSendClose},
    {"RaceChanSendSelectClose", RACY, RaceChanSendSelectClose},
    {"RaceSelectReadWriteAsync", RACY, RaceSelectReadWriteAsync},
    {"RaceSelectReadWriteSync", RACY, RaceSelectReadWriteSync},
    {"NoRaceSelectReadWriteAsync", CLEAN, NoRaceSelectReadWriteAsync},
    {"RaceChanReadWriteAsync", RACY, RaceChanReadWriteAsync},
    {"RaceChanReadWriteSync", RACY, RaceChanReadWriteSync},
    {"NoRaceChanReadWriteAsync", CLEAN, NoRaceChanReadWriteAsync},
    {"NoRaceProducerConsumerUnbuffered", CLEAN,
     NoRaceProducerConsumerUnbuffered},
    {"RaceChanItselfSend", RACY, RaceChanItselfSend},
    {"RaceChanItselfRecv", RACY, RaceChanItselfRecv},
    {"RaceChanItselfNil", RACY, RaceChanItselfNil},
    {"RaceChanItselfClose", RACY, RaceChanItselfClose},
    {"RaceChanItselfLen", RACY, RaceChanItselfLen},
    {"RaceChanItselfCap", RACY, RaceChanItselfCap},
    {"NoRaceChanCloseLen", CLEAN, NoRaceChanCloseLen},
    {"NoRaceChanCloseCap", CLEAN, NoRaceChanCloseCap},
    {"RaceChanCloseSend", RACY, RaceChanCloseSend},
    {"NoRaceChanMutex", CLEAN, NoRaceChanMutex},
    {"NoRaceSelectMutex", CLEAN, NoRaceSelectMutex},
    {"RaceChanSem", RACY, RaceChanSem},
    {"NoRaceChanWaitGroup", CLEAN, NoRaceChanWaitGroup},
    {"NoRaceBlockedSendSync", CLEAN, NoRaceBlockedSendSync},
    {"NoRaceBlockedSelectSendSync", CLEAN, NoRaceBlockedSelectSendSync},
    {"NoRaceCloseHappensBeforeRead", CLEAN, NoRaceCloseHappensBeforeRead},
    {"NoRaceElemetSize0", CLEAN, NoRaceElemetSize0},
    /* select_test.go */
    {"NoRaceSelect1", CLEAN, NoRaceSelect1},
    {"NoRaceSelect2", CLEAN, NoRaceSelect2},
    {"NoRaceSelect3", CLEAN, NoRaceSelect3},
    {"NoRaceSelect4", CLEAN, NoRaceSelect4},
    {"NoRaceSelect5", CLEAN, NoRaceSelect5},
    {"RaceSelect1", RACY, RaceSelect1},
    {"RaceSelect2", RACY, RaceSelect2},
    {"RaceSelect3", RACY, RaceSelect3},
    {"RaceSelect4", RACY, RaceSelect4},
    {"RaceSelect5", RACY, RaceSelect5},
    /* goro's own */
    {"NoRaceChanRecvBeforeSendKC", CLEAN, NoRaceChanRecvBeforeSendKC},
    {"RaceChanRecvBeforeSendKC1", RACY, RaceChanRecvBeforeSendKC1},
    {"NoRaceChanFifo", CLEAN, NoRaceChanFifo},
    {"RaceChanBlockedSendRev", RACY, RaceChanBlockedSendRev},
    {"RaceChanParkedRecvRev", RACY, RaceChanParkedRecvRev},
    {"RaceChanCloseBufferedRecv", RACY, RaceChanCloseBufferedRecv},
    {"NoRaceThreadSync", CLEAN, NoRaceThreadSync},
    {"NoRaceThreadSyncRev", CLEAN, NoRaceThreadSyncRev},
    {"NoRaceThreadAsync", CLEAN, NoRaceThreadAsync},
    {"RaceThreadParkedRecvRev", RACY, RaceThreadParkedRecvRev},
};

int main(int argc, char **argv) {
  return race_run(argc, argv, cases, sizeof(cases) / sizeof(cases[0]),
                  "race_chan");
}
