/*
 * soak.c: a randomized workload of channels, select, close, mutexes,
 * timers and spawns, round after round, for a given time. Every message
 * carries its producer, a sequence number and a checksum; at the end of
 * each round every (producer, sequence) must have been received exactly
 * once. Memory must stay flat: the resident set is sampled every half
 * second and, after a warm-up, may not grow beyond a small bound.
 *
 *   test_soak [seconds]     default 10; the suite runs 5 s at
 *                           GORO_MAXPROCS=1 and 2, scripts/soak.sh runs
 *                           it for as long as you like
 *
 * One round, with sizes drawn from the round's random generator:
 *   producers --ch1--> relays --ch2--> consumers
 *   - producers send on ch1 with plain sends, with selects that also wait
 *     on a never-ready channel, or with non-blocking selects retried after
 *     a yield; some sleep (timers) between messages;
 *   - relays select between ch1 and a goro_after timeout (released each
 *     time, which stops the timer), forward to ch2 and exit when ch1 is
 *     closed and drained;
 *   - consumers range over ch2, verify checksums, and record what they got
 *     under a mutex;
 *   - meanwhile a spawn storm: short goroutines that ping-pong once on an
 *     unbuffered channel and exit;
 *   - main closes ch1 when the producers are done (WaitGroup), ch2 when
 *     the relays are, waits for the consumers, checks, frees everything.
 * Prints: duration, rounds, messages, lost, duplicated, RSS samples.
 * Exit status 1 if anything was lost, duplicated, corrupted, or RSS grew.
 */
#define _GNU_SOURCE
#include <goro.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "soak: %s:%d: CHECK failed: %s\n", __FILE__, __LINE__,  \
              #cond);                                                          \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

typedef struct msg {
  uint32_t producer, seq;
  uint64_t payload, check;
} msg;

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}
static uint64_t checksum(const msg *m) {
  return mix(((uint64_t)m->producer << 32 | m->seq) ^ mix(m->payload));
}

/* A small generator per goroutine (rounds are random, not replayed). */
static uint64_t rnd(uint64_t *s) {
  *s += 0x9E3779B97F4A7C15ULL;
  return mix(*s);
}
static uint32_t rnd_n(uint64_t *s, uint32_t n) {
  return (uint32_t)(rnd(s) % n);
}

/* ---- one round -------------------------------------------------------- */

enum { MAXP = 6, MAXR = 3, MAXC = 4, MAXMSGS = 1500 };

typedef struct round {
  uint64_t seed;
  int np, nr, nc, nmsgs;
  goro_chan *ch1, *ch2, *never;
  goro_wg prod_wg, relay_wg, cons_wg, storm_wg;
  goro_mutex mu;
  uint8_t seen[MAXP][MAXMSGS]; /* [mu] receive counts, saturating */
  uint64_t received, corrupt, timeouts, sleeps; /* [mu] */
} round_t;

typedef struct worker {
  round_t *r;
  int id;
} worker;

static void producer(void *arg) {
  worker *w = arg;
  round_t *r = w->r;
  uint64_t s = r->seed ^ mix((uint64_t)w->id + 1);
  int style = w->id % 3;
  for (int i = 0; i < r->nmsgs; i++) {
    msg m = {(uint32_t)w->id, (uint32_t)i, rnd(&s), 0};
    m.check = checksum(&m);
    if (style == 0) {
      CHECK(goro_chan_send(r->ch1, &m) == 0);
    } else if (style == 1) {
      goro_case cs[] = {{r->ch1, GORO_SEND, &m, 0},
                        {r->never, GORO_RECV, NULL, 0}};
      CHECK(goro_select(cs, 2, 0) == 0);
    } else {
      goro_case cs[] = {{r->ch1, GORO_SEND, &m, 0}};
      int k;
      while ((k = goro_select(cs, 1, GORO_NONBLOCK)) == -EAGAIN)
        goro_yield();
      CHECK(k == 0);
    }
    if (rnd_n(&s, 256) == 0) {
      goro_sleep((int64_t)rnd_n(&s, 200) * 1000); /* up to 0.2 ms */
      goro_mutex_lock(&r->mu);
      r->sleeps++;
      goro_mutex_unlock(&r->mu);
    }
  }
  goro_wg_done(&r->prod_wg);
}

static void relay(void *arg) {
  worker *w = arg;
  round_t *r = w->r;
  uint64_t timeouts = 0;
  for (;;) {
    msg m;
    goro_chan *t = goro_after(2000000); /* 2 ms */
    CHECK(t != NULL);
    goro_case cs[] = {{r->ch1, GORO_RECV, &m, 0}, {t, GORO_RECV, NULL, 0}};
    int k = goro_select(cs, 2, 0);
    goro_chan_release(t); /* stops the timer if it has not fired */
    if (k == 1) {
      timeouts++;
      continue;
    }
    CHECK(k == 0);
    if (!cs[0].ok)
      break; /* ch1 closed and drained */
    CHECK(goro_chan_send(r->ch2, &m) == 0);
  }
  goro_mutex_lock(&r->mu);
  r->timeouts += timeouts;
  goro_mutex_unlock(&r->mu);
  goro_wg_done(&r->relay_wg);
}

static void consumer(void *arg) {
  worker *w = arg;
  round_t *r = w->r;
  msg m;
  int n = 0;
  while (goro_chan_recv(r->ch2, &m) == 1) {
    bool ok = m.producer < (uint32_t)r->np && m.seq < (uint32_t)r->nmsgs &&
              m.check == checksum(&m);
    goro_mutex_lock(&r->mu);
    if (!ok) {
      r->corrupt++;
    } else {
      if (r->seen[m.producer][m.seq] < 255)
        r->seen[m.producer][m.seq]++;
      r->received++;
    }
    goro_mutex_unlock(&r->mu);
    if (++n % 64 == 0)
      goro_yield();
  }
  goro_wg_done(&r->cons_wg);
}

static void storm_pong(void *arg) {
  goro_chan *c = arg;
  int v;
  CHECK(goro_chan_recv(c, &v) == 1);
  v++;
  CHECK(goro_chan_send(c, &v) == 0);
}
static void storm(void *arg) {
  round_t *r = arg;
  uint64_t s = r->seed ^ 0x5707;
  int n = 50 + (int)rnd_n(&s, 200);
  for (int i = 0; i < n; i++) {
    goro_chan *c = goro_chan_make(sizeof(int), 0);
    CHECK(c != NULL);
    CHECK(goro_go(storm_pong, c) > 0);
    int v = i;
    CHECK(goro_chan_send(c, &v) == 0);
    CHECK(goro_chan_recv(c, &v) == 1 && v == i + 1);
    goro_chan_release(c); /* the pong goroutine is past its last use */
  }
  goro_wg_done(&r->storm_wg);
}

static const goro_wg wg_init = GORO_WG_INIT;
static const goro_mutex mu_init = GORO_MUTEX_INIT;

/* Runs one round; adds its counts to the totals. */
static uint64_t total_msgs, total_lost, total_dup, total_corrupt,
    total_timeouts, total_sleeps, total_spawns;

static void run_round(uint64_t seed) {
  round_t *r = calloc(1, sizeof(*r));
  CHECK(r != NULL);
  uint64_t s = seed;
  r->seed = seed;
  r->np = 2 + (int)rnd_n(&s, MAXP - 1);
  r->nr = 1 + (int)rnd_n(&s, MAXR);
  r->nc = 1 + (int)rnd_n(&s, MAXC);
  r->nmsgs = 200 + (int)rnd_n(&s, MAXMSGS - 200);
  r->ch1 = goro_chan_make(sizeof(msg), rnd_n(&s, 3) == 0 ? 0 : rnd_n(&s, 16));
  r->ch2 = goro_chan_make(sizeof(msg), rnd_n(&s, 3) == 0 ? 0 : rnd_n(&s, 16));
  r->never = goro_chan_make(0, 0);
  CHECK(r->ch1 && r->ch2 && r->never);
  r->prod_wg = r->relay_wg = r->cons_wg = r->storm_wg = wg_init;
  r->mu = mu_init;
  worker ws[MAXP + MAXR + MAXC];
  int nw = 0;

  goro_wg_add(&r->cons_wg, r->nc);
  for (int i = 0; i < r->nc; i++) {
    ws[nw] = (worker){r, i};
    CHECK(goro_go(consumer, &ws[nw++]) > 0);
  }
  goro_wg_add(&r->relay_wg, r->nr);
  for (int i = 0; i < r->nr; i++) {
    ws[nw] = (worker){r, i};
    CHECK(goro_go(relay, &ws[nw++]) > 0);
  }
  goro_wg_add(&r->storm_wg, 1);
  CHECK(goro_go(storm, r) > 0);
  goro_wg_add(&r->prod_wg, r->np);
  for (int i = 0; i < r->np; i++) {
    ws[nw] = (worker){r, i};
    CHECK(goro_go(producer, &ws[nw++]) > 0);
  }

  goro_wg_wait(&r->prod_wg);
  CHECK(goro_chan_close(r->ch1) == 0);
  goro_wg_wait(&r->relay_wg);
  CHECK(goro_chan_close(r->ch2) == 0);
  goro_wg_wait(&r->cons_wg);
  goro_wg_wait(&r->storm_wg);

  uint64_t lost = 0, dup = 0;
  for (int p = 0; p < r->np; p++)
    for (int i = 0; i < r->nmsgs; i++) {
      if (r->seen[p][i] == 0)
        lost++;
      else if (r->seen[p][i] > 1)
        dup += r->seen[p][i] - 1u;
    }
  if (lost || dup || r->corrupt)
    fprintf(stderr,
            "soak: round %" PRIu64 ": %" PRIu64 " lost, %" PRIu64
            " duplicated, %" PRIu64 " corrupt (np=%d nr=%d nc=%d n=%d)\n",
            seed, lost, dup, r->corrupt, r->np, r->nr, r->nc, r->nmsgs);
  total_msgs += r->received;
  total_lost += lost;
  total_dup += dup;
  total_corrupt += r->corrupt;
  total_timeouts += r->timeouts;
  total_sleeps += r->sleeps;
  total_spawns += (uint64_t)(r->np + r->nr + r->nc + 1);
  goro_chan_release(r->ch1);
  goro_chan_release(r->ch2);
  goro_chan_release(r->never);
  free(r);
}

/* ---- memory ------------------------------------------------------------- */

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
      rss = 0;
    fclose(f);
  }
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

enum { MAXSAMPLES = 1 << 16 };
static long samples[MAXSAMPLES];
static int nsamples;

static double seconds;
static int status;

static void soak_main(void *arg) {
  (void)arg;
  int64_t start = goro_now(), end = start + (int64_t)(seconds * 1e9);
  int64_t next_sample = start;
  uint64_t rounds = 0;
  uint64_t seed = (uint64_t)start;
  while (goro_now() < end) {
    run_round(mix(seed + rounds));
    rounds++;
    if (goro_now() >= next_sample && nsamples < MAXSAMPLES) {
      samples[nsamples++] = rss_kib();
      next_sample += 500000000; /* every 0.5 s */
    }
  }
  double dt = (double)(goro_now() - start) / 1e9;

  /* Flat memory: after the warm-up (the first quarter of the samples,
   * at least two), the largest RSS may exceed the warm-up's largest by at
   * most 1 MiB + 5% (allocator noise; a leak of a few hundred bytes per
   * round passes that within a minute). */
  int warm = nsamples / 4 < 2 ? 2 : nsamples / 4;
  long warm_max = 0, later_max = 0;
  for (int i = 0; i < nsamples; i++) {
    if (i < warm && samples[i] > warm_max)
      warm_max = samples[i];
    if (i >= warm && samples[i] > later_max)
      later_max = samples[i];
  }
  long bound = warm_max + 1024 + warm_max / 20;
  bool rss_ok = nsamples <= warm || later_max <= bound;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  /* ASan holds freed memory in quarantine and TSan grows its shadow: RSS
   * says nothing about leaks there (LeakSanitizer does, at exit). */
  const char *rss_verdict = rss_ok ? "flat" : "grew (sanitizer build: not checked)";
  rss_ok = true;
#else
  const char *rss_verdict = rss_ok ? "flat" : "GREW";
#endif

  printf("soak: %.1f s, GORO_MAXPROCS=%d, %" PRIu64 " rounds, %" PRIu64
         " messages, %" PRIu64 " lost, %" PRIu64 " duplicated, %" PRIu64
         " corrupt; %" PRIu64 " goroutines spawned (plus storms), %" PRIu64
         " relay timeouts, %" PRIu64 " producer sleeps\n",
         dt, goro_maxprocs(0), rounds, total_msgs, total_lost, total_dup,
         total_corrupt, total_spawns, total_timeouts, total_sleeps);
  printf("soak: RSS %d samples: first %ld KiB, warm-up max %ld KiB, later "
         "max %ld KiB, last %ld KiB (bound %ld KiB): %s\n",
         nsamples, nsamples ? samples[0] : 0, warm_max, later_max,
         nsamples ? samples[nsamples - 1] : 0, bound, rss_verdict);
  if (total_lost || total_dup || total_corrupt || !rss_ok || rounds == 0)
    status = 1;
}

int main(int argc, char **argv) {
  seconds = argc > 1 ? atof(argv[1]) : 10;
  if (seconds <= 0)
    seconds = 10;
  alarm((unsigned)seconds + 120); /* a hang is a failure, not a wait */
  if (goro_run(soak_main, NULL) != 0) {
    fprintf(stderr, "soak: the runtime did not start\n");
    return 1;
  }
  fflush(stdout);
  return status;
}
