/*
 * pipeline.c: the pipeline from Go's "Pipelines and cancellation" post: a
 * generator, a square stage and a sink, linked by channels, each stage a
 * goroutine that closes its output when its input is drained:
 *
 *     func gen(n int) <-chan int { out := make(chan int); go func() {
 *         for i := 1; i <= n; i++ { out <- i }; close(out) }(); return out }
 *     func sq(in <-chan int) <-chan int { out := make(chan int); go func() {
 *         for v := range in { out <- v * v }; close(out) }(); return out }
 *     for v := range sq(gen(n)) { sum += v }
 *
 * Then the same with the square stage fanned out to several goroutines
 * whose outputs are merged (fan-out, fan-in), with a WaitGroup closing the
 * merged channel after the last worker. Both sums are checked against
 * n(n+1)(2n+1)/6; exit 0 if they match (the tests run it).
 *
 *   pipeline [n [workers]]      default 100000 values, 4 workers
 */
#include <goro.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* gen: sends 1..n on out, then closes it. */
typedef struct gen_args {
  int64_t n;
  goro_chan *out;
} gen_args;

static void gen(void *arg) {
  gen_args *a = arg;
  for (int64_t i = 1; i <= a->n; i++)
    goro_chan_send(a->out, &i);
  goro_chan_close(a->out);
  goro_chan_release(a->out);
  free(a);
}

/* sq: squares every value of in onto out. With a WaitGroup, the last
 * worker to finish closes out; without, it closes out itself. */
typedef struct sq_args {
  goro_chan *in, *out;
  goro_wg *wg;
} sq_args;

static void sq(void *arg) {
  sq_args *a = arg;
  int64_t v;
  while (goro_chan_recv(a->in, &v) == 1) {
    int64_t s = v * v;
    goro_chan_send(a->out, &s);
  }
  if (a->wg)
    goro_wg_done(a->wg);
  else
    goro_chan_close(a->out);
  goro_chan_release(a->in);
  goro_chan_release(a->out);
  free(a);
}

/* Closes out once every worker of the fan-out is done (Go's merge). */
typedef struct closer_args {
  goro_wg *wg;
  goro_chan *out;
} closer_args;

static void closer(void *arg) {
  closer_args *a = arg;
  goro_wg_wait(a->wg);
  goro_chan_close(a->out);
  goro_chan_release(a->out);
  free(a);
}

static goro_chan *start_gen(int64_t n) {
  goro_chan *out = goro_chan_make(sizeof(int64_t), 0);
  gen_args *a = malloc(sizeof(*a));
  a->n = n;
  a->out = out;
  goro_chan_retain(out); /* one reference for gen, one for the caller */
  goro_go(gen, a);
  return out;
}

static goro_chan *start_sq(goro_chan *in, goro_chan *out, goro_wg *wg) {
  sq_args *a = malloc(sizeof(*a));
  a->in = in;
  a->out = out;
  a->wg = wg;
  goro_chan_retain(in);
  goro_chan_retain(out);
  goro_go(sq, a);
  return out;
}

static int status = 1;
static int64_t n = 100000;
static int workers = 4;

static void main_goroutine(void *arg) {
  int64_t want = n * (n + 1) * (2 * n + 1) / 6;

  /* gen -> sq -> sink */
  goro_chan *nums = start_gen(n);
  goro_chan *squares = goro_chan_make(sizeof(int64_t), 0);
  start_sq(nums, squares, NULL);
  goro_chan_release(nums);
  int64_t sum = 0, v, count = 0;
  while (goro_chan_recv(squares, &v) == 1) {
    sum += v;
    count++;
  }
  goro_chan_release(squares);
  printf("pipeline: %lld squares, sum %lld (want %lld)\n", (long long)count,
         (long long)sum, (long long)want);

  /* gen -> {sq x workers} -> merged -> sink */
  static goro_wg wg = GORO_WG_INIT;
  nums = start_gen(n);
  goro_chan *merged = goro_chan_make(sizeof(int64_t), 16);
  goro_wg_add(&wg, workers);
  for (int i = 0; i < workers; i++)
    start_sq(nums, merged, &wg);
  goro_chan_release(nums);
  closer_args *c = malloc(sizeof(*c));
  c->wg = &wg;
  c->out = merged;
  goro_chan_retain(merged);
  goro_go(closer, c);
  int64_t sum2 = 0, count2 = 0;
  while (goro_chan_recv(merged, &v) == 1) {
    sum2 += v;
    count2++;
  }
  goro_chan_release(merged);
  printf("pipeline: fan-out to %d workers: %lld squares, sum %lld\n", workers,
         (long long)count2, (long long)sum2);

  status = sum == want && sum2 == want && count == n && count2 == n ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc > 1)
    n = atoll(argv[1]);
  if (argc > 2)
    workers = atoi(argv[2]);
  if (n < 1 || n > 1000000 || workers < 1) {
    fprintf(stderr, "usage: pipeline [n (1..1000000) [workers]]\n");
    return 2;
  }
  if (goro_run(main_goroutine, NULL) != 0)
    return 1;
  return status;
}
