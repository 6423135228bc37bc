/* chan_stress.c: producers, consumers, relays and a closer on a mix of
 * unbuffered and buffered channels, every operation spelled at random
 * (plain send/receive, try, select over random subsets with duplicates and
 * NULL cases, selects that send and receive at once), goroutines and plain
 * threads together, and channels closed while everyone is busy.
 *
 * The one thing checked: every value produced is received by a consumer
 * exactly once. A send that fails with -EPIPE did not deliver its value,
 * so its sender offers it again elsewhere; channel 0 stays open until all
 * producers and relays are done, so there is always somewhere to go.
 * Relays take values off channels and put them back on others (holding up
 * to four at a time, in selects that mix sends and receives), so a value
 * may travel several hops, through closes, before a consumer counts it. */
#include <goro.h>
#include <pthread.h>
#include <stdbool.h>

#include "check.h"

#define NC 6
#define NPROD 6    /* goroutine producers */
#define NPROD_TH 2 /* thread producers */
#define NCONS 4    /* goroutine consumers */
#define NCONS_TH 1 /* thread consumers */
#define NRELAY 3
#define PER 2500
#define TOTAL ((NPROD + NPROD_TH) * PER)

static goro_chan *ch[NC];
static goro_chan *relays_stop; /* closed when producers are done */
static const size_t caps[NC] = {0, 0, 1, 4, 16, 0};
static uint32_t seen[TOTAL];
static long produced; /* [atomic] */
static goro_wg prod_wg = GORO_WG_INIT, relay_wg = GORO_WG_INIT,
               cons_wg = GORO_WG_INIT, closer_wg = GORO_WG_INIT;

static uint32_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (uint32_t)(*s >> 11);
}

/* Offers v until some channel takes it. dead[k] marks channels seen
 * closed. Returns after a successful send. */
static void offer(int v, bool *dead, uint64_t *rs) {
  for (;;) {
    int how = (int)(rnd(rs) % 4);
    int k = (int)(rnd(rs) % NC);
    if (dead[k])
      k = 0;
    int r;
    if (how == 0) {
      r = goro_chan_send(ch[k], &v);
      if (r == 0)
        return;
      CHECK_EQ(r, -EPIPE);
      dead[k] = true;
    } else if (how == 1) {
      r = goro_chan_trysend(ch[k], &v);
      if (r == 0)
        return;
      if (r == -EPIPE)
        dead[k] = true;
      else
        CHECK_EQ(r, -EAGAIN);
      goro_yield();
    } else {
      /* A select over 2..5 send cases of v: random channels, maybe
       * repeated, NULL for those seen closed; channel 0 always among them.
       * how == 3: with a default case. */
      goro_case cs[5];
      int n = 2 + (int)(rnd(rs) % 4);
      for (int i = 0; i < n; i++) {
        int j = (int)(rnd(rs) % NC);
        cs[i] = goro_send_case(dead[j] ? NULL : ch[j], &v);
      }
      cs[0].chan = ch[0]; /* always somewhere to go */
      r = goro_select(cs, (size_t)n, how == 3 ? GORO_NONBLOCK : 0);
      if (r >= 0) {
        CHECK_EQ(cs[r].ok, 1);
        return;
      }
      if (r == -EPIPE) {
        for (int i = 0; i < n; i++)
          if (cs[i].chan && cs[i].ok == 0 && cs[i].chan != ch[0])
            for (int j = 0; j < NC; j++)
              if (ch[j] == cs[i].chan)
                dead[j] = true;
      } else {
        CHECK_EQ(r, -EAGAIN);
        goro_yield();
      }
    }
  }
}

static void producer(void *arg) {
  int id = (int)(intptr_t)arg;
  bool dead[NC] = {0};
  uint64_t rs = 0x9E3779B97F4A7C15ULL * (uint64_t)(id + 1);
  for (int i = 0; i < PER; i++) {
    offer(id * PER + i, dead, &rs);
    __atomic_fetch_add(&produced, 1, __ATOMIC_RELAXED);
  }
  goro_wg_done(&prod_wg);
}
static void *producer_thread(void *arg) {
  producer(arg);
  return NULL;
}

static void count(int v) {
  CHECK(v >= 0 && v < TOTAL);
  uint32_t old = __atomic_fetch_add(&seen[v], 1, __ATOMIC_RELAXED);
  if (old != 0) {
    fprintf(stderr, "value %d received twice\n", v);
    exit(1);
  }
}

/* Consumers: select over every channel still open; a closed case leaves
 * the set. Odd consumers first drain one channel with plain receives. */
static void consumer(void *arg) {
  int id = (int)(intptr_t)arg;
  goro_case cs[NC];
  int v, open = NC;
  if (id % 2 == 1) {
    while (goro_chan_recv(ch[id % NC], &v) == 1)
      count(v);
  }
  for (int k = 0; k < NC; k++)
    cs[k] = goro_recv_case(ch[k], &v);
  while (open > 0) {
    int r = goro_select(cs, NC, 0);
    CHECK(r >= 0 && r < NC);
    if (cs[r].ok) {
      count(v);
    } else {
      cs[r].chan = NULL;
      open--;
    }
  }
  goro_wg_done(&cons_wg);
}
static void *consumer_thread(void *arg) {
  consumer(arg);
  return NULL;
}

/* Relays: hold up to 4 values; each step selects over receives (if there
 * is room and not told to stop), sends of the top value, and the stop
 * channel. After stop: flush by sends only, then exit. */
static void relay(void *arg) {
  int id = (int)(intptr_t)arg;
  uint64_t rs = 0xD1B54A32D192ED03ULL * (uint64_t)(id + 7);
  int held[4], nheld = 0, in;
  bool dead[NC] = {0}, stopping = false;
  for (;;) {
    if (stopping && nheld == 0)
      break;
    goro_case cs[2 + 2 * NC];
    int n = 0, stop_case = -1;
    if (!stopping) {
      stop_case = n;
      cs[n++] = goro_recv_case(relays_stop, NULL);
    }
    if (nheld > 0) {
      cs[n++] = goro_send_case(ch[0], &held[nheld - 1]);
      for (int i = 0; i < 2; i++) {
        int j = (int)(rnd(&rs) % NC);
        if (!dead[j])
          cs[n++] = goro_send_case(ch[j], &held[nheld - 1]);
      }
    }
    if (nheld < 4 && !stopping)
      for (int i = 0; i < 3; i++) {
        int j = (int)(rnd(&rs) % NC);
        cs[n++] = goro_recv_case(dead[j] ? NULL : ch[j], &in);
      }
    int r = goro_select(cs, (size_t)n, 0);
    if (r == -EPIPE) {
      for (int i = 0; i < n; i++)
        if (cs[i].op == GORO_SEND && cs[i].ok == 0 && cs[i].chan != ch[0])
          for (int j = 0; j < NC; j++)
            if (ch[j] == cs[i].chan)
              dead[j] = true;
      continue;
    }
    CHECK(r >= 0 && r < n);
    if (r == stop_case) {
      CHECK_EQ(cs[r].ok, 0);
      stopping = true;
    } else if (cs[r].op == GORO_SEND) {
      CHECK_EQ(cs[r].ok, 1);
      nheld--;
    } else if (cs[r].ok) {
      held[nheld++] = in;
    } else {
      for (int j = 0; j < NC; j++)
        if (ch[j] == cs[r].chan)
          dead[j] = true;
    }
  }
  goro_wg_done(&relay_wg);
}

/* Closes channels 1..NC-1 as production passes thresholds. */
static void closer(void *arg) {
  for (int k = 1; k < NC; k++) {
    long at = (long)TOTAL * k / (NC + 1);
    while (__atomic_load_n(&produced, __ATOMIC_RELAXED) < at)
      goro_yield();
    CHECK_EQ(goro_chan_close(ch[k]), 0);
  }
  goro_wg_done(&closer_wg);
}

static void run(void) {
  memset(seen, 0, sizeof seen);
  produced = 0;
  for (int k = 0; k < NC; k++)
    ch[k] = goro_chan_make(sizeof(int), caps[k]);
  relays_stop = goro_chan_make(0, 0);
  pthread_t pth[NPROD_TH], cth[NCONS_TH];
  for (int i = 0; i < NCONS + NCONS_TH; i++) {
    goro_wg_add(&cons_wg, 1);
    if (i >= NCONS)
      CHECK_EQ(pthread_create(&cth[i - NCONS], NULL, consumer_thread,
                              (void *)(intptr_t)i),
               0);
    else
      CHECK(goro_go(consumer, (void *)(intptr_t)i) > 0);
  }
  for (int i = 0; i < NRELAY; i++) {
    goro_wg_add(&relay_wg, 1);
    CHECK(goro_go(relay, (void *)(intptr_t)i) > 0);
  }
  goro_wg_add(&closer_wg, 1);
  CHECK(goro_go(closer, NULL) > 0);
  for (int i = 0; i < NPROD + NPROD_TH; i++) {
    goro_wg_add(&prod_wg, 1);
    if (i >= NPROD)
      CHECK_EQ(pthread_create(&pth[i - NPROD], NULL, producer_thread,
                              (void *)(intptr_t)i),
               0);
    else
      CHECK(goro_go(producer, (void *)(intptr_t)i) > 0);
  }
  goro_wg_wait(&prod_wg);
  for (int i = 0; i < NPROD_TH; i++)
    pthread_join(pth[i], NULL);
  goro_wg_wait(&closer_wg);
  CHECK_EQ(goro_chan_close(relays_stop), 0);
  goro_wg_wait(&relay_wg);
  CHECK_EQ(goro_chan_close(ch[0]), 0);
  goro_wg_wait(&cons_wg);
  for (int i = 0; i < NCONS_TH; i++)
    pthread_join(cth[i], NULL);
  for (int v = 0; v < TOTAL; v++)
    if (seen[v] != 1) {
      fprintf(stderr, "value %d received %u times\n", v, seen[v]);
      exit(1);
    }
  for (int k = 0; k < NC; k++)
    goro_chan_release(ch[k]);
  goro_chan_release(relays_stop);
}

static void main_fn(void *arg) {
  run();
  run();
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  return 0;
}
