/*
 * PrimeSieve: the concurrent prime sieve from the Go tour, for the first
 * n primes (3,000 by default).
 *
 * A generator goroutine sends 2, 3, 4, ... on an unbuffered channel; main
 * takes the first value as the next prime, and puts a filter goroutine in
 * front of the chain that passes on only the values not divisible by it.
 * After n primes main stops; the chain's goroutines stay blocked and are
 * abandoned when main returns (as in Go). Reported: wall time in ms.
 * Checksum: the sum of the n primes (the last one is printed too).
 *
 * argv: n (primes)
 */
#include "bench.h"

#include <goro.h>

struct filter_arg {
  goro_chan *in, *out;
  int64_t prime;
};

static int64_t n_primes;
static int64_t elapsed_ns, checksum, last_prime;

static void generate(void *arg) {
  goro_chan *ch = arg;
  for (int64_t i = 2;; i++)
    if (goro_chan_send(ch, &i) < 0) return;
}

static void filter(void *arg) {
  struct filter_arg f = *(struct filter_arg *)arg;
  free(arg);
  for (;;) {
    int64_t i;
    if (goro_chan_recv(f.in, &i) != 1) return;
    if (i % f.prime != 0)
      if (goro_chan_send(f.out, &i) < 0) return;
  }
}

static void bench_main(void *arg) {
  (void)arg;
  int64_t t0 = bench_now_ns();
  goro_chan *ch = goro_chan_make(sizeof(int64_t), 0);
  if (ch == NULL) bench_fail("goro_chan_make");
  int64_t id = goro_go(generate, ch);
  if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  int64_t sum = 0, prime = 0;
  for (int64_t i = 0; i < n_primes; i++) {
    if (goro_chan_recv(ch, &prime) != 1) bench_fail("recv");
    sum += prime;
    goro_chan *ch1 = goro_chan_make(sizeof(int64_t), 0);
    if (ch1 == NULL) bench_fail("goro_chan_make");
    struct filter_arg *f = malloc(sizeof *f);
    if (f == NULL) bench_fail("malloc");
    *f = (struct filter_arg){ch, ch1, prime};
    id = goro_go(filter, f);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
    ch = ch1;
  }
  elapsed_ns = bench_now_ns() - t0;
  checksum = sum;
  last_prime = prime;
}

int main(int argc, char **argv) {
  n_primes = bench_arg(argc, argv, 1, 3000);
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  printf("RESULT name=PrimeSieve ms=%.3f primes=%lld last=%lld "
         "checksum=%lld\n",
         (double)elapsed_ns / 1e6, (long long)n_primes, (long long)last_prime,
         (long long)checksum);
  return 0;
}
