/*
 * seed_sync.c: the sync protocols under the deterministic mode, one
 * interleaving per seed (seed.h explains the explorer).
 *
 *  mutex      4 goroutines x 6 critical sections that yield inside (so
 *             the others contend, spin, park and are handed the lock),
 *             plus TryLock attempts: never two inside, no increment lost.
 *  rwmutex    3 readers and 2 writers: a writer is alone, readers only
 *             share with readers, every section completes.
 *  waitgroup  3 rounds on one WaitGroup: workers Done after yielding,
 *             two extra waiters; Wait returns only once every worker of
 *             the round is done, and every waiter returns.
 *  cond       a bounded queue with Cond: producers wait for room,
 *             consumers for items, Signal and Broadcast; nothing lost,
 *             nobody left waiting.
 */
#define GORO_NO_INLINE /* the library's Lock: its scheduling point too */
#include "seed.h"

/* ---- mutex -------------------------------------------------------------- */

enum { NG = 4, NITER = 6 };
static goro_mutex mu = GORO_MUTEX_INIT;
static goro_wg wg = GORO_WG_INIT;
static int inside, counter, trylocked;

static void critical(int g, int i, const char *how) {
  SEED_CHECK(inside == 0, "g%d entered with %d inside", g, inside);
  inside = 1;
  ev("g%d in %d (%s)", g, i, how);
  goro_yield(); /* the others contend meanwhile */
  int c = counter;
  goro_yield();
  counter = c + 1;
  inside = 0;
}

static void mutex_worker(void *arg) {
  int g = (int)(intptr_t)arg;
  for (int i = 0; i < NITER; i++) {
    if (g == 0 && i % 2 == 0 && goro_mutex_trylock(&mu)) {
      trylocked++;
      critical(g, i, "trylock");
    } else {
      goro_mutex_lock(&mu);
      critical(g, i, "lock");
    }
    goro_mutex_unlock(&mu);
  }
  goro_wg_done(&wg);
}

static void mutex_scenario(void) {
  goro_wg_add(&wg, NG);
  for (int g = 0; g < NG; g++)
    seed_go(mutex_worker, (void *)(intptr_t)g);
  goro_wg_wait(&wg);
  SEED_CHECK(counter == NG * NITER, "counter %d, want %d", counter,
             NG * NITER);
  CHECK_EQ(goro_mutex_trylock(&mu), 1);
  goro_mutex_unlock(&mu);
}

/* ---- rwmutex ------------------------------------------------------------ */

static goro_rwmutex rw = GORO_RWMUTEX_INIT;
static int readers, writers, reads, writes;

static void reader(void *arg) {
  int g = (int)(intptr_t)arg;
  for (int i = 0; i < 4; i++) {
    goro_rwmutex_rlock(&rw);
    SEED_CHECK(writers == 0, "r%d: reading with a writer inside", g);
    readers++;
    ev("r%d read %d (%d readers)", g, i, readers);
    goro_yield();
    readers--;
    reads++;
    goro_rwmutex_runlock(&rw);
  }
  goro_wg_done(&wg);
}

static void writer(void *arg) {
  int g = (int)(intptr_t)arg;
  for (int i = 0; i < 3; i++) {
    goro_rwmutex_lock(&rw);
    SEED_CHECK(writers == 0 && readers == 0, "w%d: %d writers, %d readers", g,
               writers, readers);
    writers++;
    ev("w%d write %d", g, i);
    goro_yield();
    writers--;
    writes++;
    goro_rwmutex_unlock(&rw);
  }
  goro_wg_done(&wg);
}

static void rwmutex_scenario(void) {
  goro_wg_add(&wg, 5);
  for (int g = 0; g < 3; g++)
    seed_go(reader, (void *)(intptr_t)g);
  for (int g = 0; g < 2; g++)
    seed_go(writer, (void *)(intptr_t)g);
  goro_wg_wait(&wg);
  SEED_CHECK(reads == 12 && writes == 6, "%d reads, %d writes", reads,
             writes);
}

/* ---- waitgroup ---------------------------------------------------------- */

enum { NW = 4, NROUNDS = 3 };
static goro_wg round_wg = GORO_WG_INIT;
static int done_in_round, round_no;
static goro_chan *waiters_back;

static void wg_worker(void *arg) {
  int w = (int)(intptr_t)arg;
  for (int i = 0; i < w; i++)
    goro_yield();
  done_in_round++;
  ev("w%d done (round %d)", w, round_no);
  goro_wg_done(&round_wg);
}

static void wg_waiter(void *arg) {
  int w = (int)(intptr_t)arg;
  goro_wg_wait(&round_wg);
  SEED_CHECK(done_in_round == NW, "waiter %d: Wait returned with %d of %d done",
             w, done_in_round, NW);
  ev("waiter %d back (round %d)", w, round_no);
  CHECK_EQ(goro_chan_send(waiters_back, NULL), 0);
}

static void waitgroup_scenario(void) {
  waiters_back = goro_chan_make(0, 2);
  CHECK(waiters_back);
  for (round_no = 0; round_no < NROUNDS; round_no++) {
    done_in_round = 0;
    goro_wg_add(&round_wg, NW);
    seed_go(wg_waiter, (void *)0);
    for (int w = 0; w < NW; w++)
      seed_go(wg_worker, (void *)(intptr_t)w);
    seed_go(wg_waiter, (void *)1);
    goro_wg_wait(&round_wg);
    SEED_CHECK(done_in_round == NW, "main: Wait returned with %d of %d done",
               done_in_round, NW);
    ev("main back (round %d)", round_no);
    /* Reuse only once every Wait of this round returned (Go's rule). */
    CHECK_EQ(goro_chan_recv(waiters_back, NULL), 0 + 1);
    CHECK_EQ(goro_chan_recv(waiters_back, NULL), 1);
  }
}

/* ---- cond --------------------------------------------------------------- */

enum { QCAP = 2, NPROD = 2, NCONS = 2, NITEMS = 8 };
static goro_mutex qmu = GORO_MUTEX_INIT;
static goro_cond notfull = GORO_COND_INIT, notempty = GORO_COND_INIT;
static int q[QCAP], qlen, qhead, consumed[NPROD * NITEMS], producers_left;

static void cond_producer(void *arg) {
  int p = (int)(intptr_t)arg;
  for (int i = 0; i < NITEMS; i++) {
    goro_mutex_lock(&qmu);
    while (qlen == QCAP)
      goro_cond_wait(&notfull, &qmu);
    q[(qhead + qlen) % QCAP] = p * NITEMS + i;
    qlen++;
    ev("p%d put %d", p, i);
    goro_cond_signal(&notempty);
    goro_mutex_unlock(&qmu);
  }
  goro_mutex_lock(&qmu);
  if (--producers_left == 0)
    goro_cond_broadcast(&notempty); /* consumers waiting on nothing */
  goro_mutex_unlock(&qmu);
  goro_wg_done(&wg);
}

static void cond_consumer(void *arg) {
  int c = (int)(intptr_t)arg;
  for (;;) {
    goro_mutex_lock(&qmu);
    while (qlen == 0 && producers_left > 0)
      goro_cond_wait(&notempty, &qmu);
    if (qlen == 0) {
      goro_mutex_unlock(&qmu);
      break;
    }
    int item = q[qhead];
    qhead = (qhead + 1) % QCAP;
    qlen--;
    consumed[item]++;
    ev("c%d got %d", c, item);
    goro_cond_signal(&notfull);
    goro_mutex_unlock(&qmu);
  }
  goro_wg_done(&wg);
}

static void cond_scenario(void) {
  producers_left = NPROD;
  goro_wg_add(&wg, NPROD + NCONS);
  for (int c = 0; c < NCONS; c++)
    seed_go(cond_consumer, (void *)(intptr_t)c);
  for (int p = 0; p < NPROD; p++)
    seed_go(cond_producer, (void *)(intptr_t)p);
  goro_wg_wait(&wg);
  for (int i = 0; i < NPROD * NITEMS; i++)
    SEED_CHECK(consumed[i] == 1, "item %d consumed %d times", i, consumed[i]);
}

static const seed_scenario scenarios[] = {
    {"mutex", mutex_scenario},
    {"rwmutex", rwmutex_scenario},
    {"waitgroup", waitgroup_scenario},
    {"cond", cond_scenario},
};

int main(int argc, char **argv) {
  return seed_main(argc, argv, "seed_sync", scenarios,
                   sizeof(scenarios) / sizeof(scenarios[0]));
}
