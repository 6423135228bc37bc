/*
 * ChanNonblocking: a non-blocking receive on an empty unbuffered channel
 * (Go: select { case <-c: default: }), from p goroutines at once (Go's
 * RunParallel with p = the processor count, passed by the runner).
 *
 * Worker k makes its share of the n attempts and counts the ones that took
 * the default branch (-EAGAIN). One op is one attempt. Checksum: the
 * number of defaults taken, n (a receive that succeeds is an error).
 *
 * argv: n (attempts), p
 */
#include "bench.h"

#include <errno.h>
#include <goro.h>
#include <stdatomic.h>

static int64_t n_attempts, n_procs;
static goro_chan *ch;
static _Atomic int64_t defaults;
static goro_wg wg = GORO_WG_INIT;
static int64_t elapsed_ns, checksum;

static void worker(void *arg) {
  int64_t count = (int64_t)(intptr_t)arg, miss = 0, v;
  for (int64_t i = 0; i < count; i++) {
    int r = goro_chan_tryrecv(ch, &v);
    if (r == -EAGAIN)
      miss++;
    else
      bench_fail("tryrecv on an empty channel returned %d", r);
  }
  atomic_fetch_add(&defaults, miss);
  goro_wg_done(&wg);
}

static int64_t run(int64_t n) {
  atomic_store(&defaults, 0);
  goro_wg_add(&wg, n_procs);
  for (int64_t k = 0; k < n_procs; k++) {
    int64_t share = n / n_procs + (k == 0 ? n % n_procs : 0);
    int64_t id = goro_go(worker, (void *)(intptr_t)share);
    if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
  }
  goro_wg_wait(&wg);
  return atomic_load(&defaults);
}

static void bench_main(void *arg) {
  (void)arg;
  ch = goro_chan_make(sizeof(int64_t), 0);
  if (ch == NULL) bench_fail("goro_chan_make");
  run(n_attempts / 10 + 1); /* warm-up */
  int64_t t0 = bench_now_ns();
  checksum = run(n_attempts);
  elapsed_ns = bench_now_ns() - t0;
  goro_chan_release(ch);
}

int main(int argc, char **argv) {
  n_attempts = bench_arg(argc, argv, 1, 10000000);
  n_procs = bench_arg(argc, argv, 2, 1);
  if (n_procs < 1) bench_fail("p must be >= 1");
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  bench_result_ns_per_op("ChanNonblocking", elapsed_ns, n_attempts, checksum);
  return 0;
}
