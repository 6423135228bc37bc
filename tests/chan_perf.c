/*
 * chan_perf.c: the channel work's own measuring program (not a test; built
 * by tests/chan.cmake, never run by ctest). Its twin is chan_perf.go; the
 * official side-by-side benchmark lives in bench/.
 *
 *   chan_perf pingpong N   unbuffered ping-pong, ns per round trip
 *   chan_perf buffered N   1 producer, 1 consumer, cap 1024, ns per item
 *   chan_perf select N     4 producers, 4 unbuffered channels, one
 *                          consumer selecting over them, ns per message
 *   chan_perf sieve N      prime sieve to N primes, ms of wall time
 *
 * Prints one line: "<mode> <value>". GORO_MAXPROCS sets the processors.
 */
#include <goro.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "chan_perf: %s\n", what);
  exit(1);
}

static int64_t N;
static double result;
static goro_wg wg = GORO_WG_INIT;

/* ---- ping-pong ---- */
static void pong(void *arg) {
  goro_chan *c = arg;
  int64_t v;
  while (goro_chan_recv(c, &v) == 1)
    if (goro_chan_send(c, &v) != 0)
      die("pong send");
  goro_wg_done(&wg);
}

static double pingpong(int64_t n) {
  goro_chan *c = goro_chan_make(sizeof(int64_t), 0);
  goro_wg_add(&wg, 1);
  goro_go(pong, c);
  int64_t t0 = now_ns(), sum = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = i;
    if (goro_chan_send(c, &v) != 0 || goro_chan_recv(c, &v) != 1)
      die("ping");
    sum += v;
  }
  int64_t t1 = now_ns();
  goro_chan_close(c);
  goro_wg_wait(&wg);
  goro_chan_release(c);
  if (sum != n * (n - 1) / 2)
    die("pingpong sum");
  return (double)(t1 - t0) / (double)n;
}

/* ---- buffered ---- */
static int64_t cons_sum;
static void consumer(void *arg) {
  goro_chan *c = arg;
  int64_t v, s = 0;
  while (goro_chan_recv(c, &v) == 1)
    s += v;
  cons_sum = s;
  goro_wg_done(&wg);
}

static double buffered(int64_t n) {
  goro_chan *c = goro_chan_make(sizeof(int64_t), 1024);
  goro_wg_add(&wg, 1);
  int64_t t0 = now_ns();
  goro_go(consumer, c);
  for (int64_t i = 0; i < n; i++)
    if (goro_chan_send(c, &i) != 0)
      die("send");
  goro_chan_close(c);
  goro_wg_wait(&wg);
  int64_t t1 = now_ns();
  goro_chan_release(c);
  if (cons_sum != n * (n - 1) / 2)
    die("buffered sum");
  return (double)(t1 - t0) / (double)n;
}

/* ---- select over 4 ---- */
struct prod {
  goro_chan *c;
  int64_t first, n;
};
static void producer(void *arg) {
  struct prod *p = arg;
  for (int64_t v = p->first; v < p->n; v += 4)
    if (goro_chan_send(p->c, &v) != 0)
      die("producer send");
  goro_chan_close(p->c);
}

static double select4(int64_t n) {
  goro_chan *cs[4];
  struct prod ps[4];
  goro_case cases[4];
  int64_t v, sum = 0;
  int64_t t0 = now_ns();
  for (int k = 0; k < 4; k++) {
    cs[k] = goro_chan_make(sizeof(int64_t), 0);
    ps[k] = (struct prod){cs[k], k, n};
    goro_go(producer, &ps[k]);
    cases[k] = goro_recv_case(cs[k], &v);
  }
  for (int open = 4; open > 0;) {
    int i = goro_select(cases, 4, 0);
    if (i < 0)
      die("select");
    if (cases[i].ok)
      sum += v;
    else {
      cases[i].chan = NULL;
      open--;
    }
  }
  int64_t t1 = now_ns();
  for (int k = 0; k < 4; k++)
    goro_chan_release(cs[k]);
  if (sum != n * (n - 1) / 2)
    die("select sum");
  return (double)(t1 - t0) / (double)n;
}

/* ---- sieve ---- */
struct filt {
  goro_chan *in, *out;
  int64_t p;
};
static void generate(void *arg) {
  for (int64_t i = 2;; i++)
    if (goro_chan_send(arg, &i) != 0)
      return;
}
static void filter(void *arg) {
  struct filt f = *(struct filt *)arg;
  free(arg);
  int64_t i;
  while (goro_chan_recv(f.in, &i) == 1)
    if (i % f.p != 0 && goro_chan_send(f.out, &i) != 0)
      return;
}
static double sieve(int64_t n) {
  int64_t t0 = now_ns();
  goro_chan *ch = goro_chan_make(sizeof(int64_t), 0);
  goro_go(generate, ch);
  int64_t p = 0;
  for (int64_t i = 0; i < n; i++) {
    if (goro_chan_recv(ch, &p) != 1)
      die("sieve recv");
    goro_chan *ch1 = goro_chan_make(sizeof(int64_t), 0);
    struct filt *f = malloc(sizeof *f);
    *f = (struct filt){ch, ch1, p};
    goro_go(filter, f);
    ch = ch1;
  }
  int64_t t1 = now_ns();
  if (n == 3000 && p != 27449)
    die("sieve: wrong 3000th prime");
  return (double)(t1 - t0) / 1e6;
}

static const char *mode;
static void run(void *arg) {
  if (!strcmp(mode, "pingpong")) {
    pingpong(N / 10 + 1);
    result = pingpong(N);
  } else if (!strcmp(mode, "buffered")) {
    buffered(N / 10 + 1);
    result = buffered(N);
  } else if (!strcmp(mode, "select")) {
    select4(N / 10 + 1);
    result = select4(N);
  } else if (!strcmp(mode, "sieve")) {
    result = sieve(N);
  } else {
    die("mode: pingpong | buffered | select | sieve");
  }
}

int main(int argc, char **argv) {
  if (argc < 3)
    die("usage: chan_perf MODE N");
  mode = argv[1];
  N = atoll(argv[2]);
  if (goro_run(run, NULL) != 0)
    die("goro_run");
  printf("%s %.2f\n", mode, result);
  return 0;
}
