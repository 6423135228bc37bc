/*
 * Skynet: the skynet benchmark with n leaf goroutines (1,000,000 by
 * default; n must be a power of div).
 *
 * skynet(c, num, size, div): a leaf (size == 1) sends num on c; any other
 * node starts div children on a new unbuffered channel, covering
 * num .. num+size-1 in div equal parts, receives their div sums and sends
 * the total on c. 1,111,111 goroutines for n = 10^6, div = 10. Each child
 * gets its parameters in a malloc'd block (Go: the go statement's
 * arguments) and a reference to its parent's channel. Reported: the wall
 * time of the whole tree in ms. Checksum: the sum, n(n-1)/2
 * (499999500000 for n = 10^6).
 *
 * argv: n (leaves), div
 */
#include "bench.h"

#include <goro.h>

struct sky {
  goro_chan *c; /* a reference owned by this goroutine */
  int64_t num, size, div;
};

static int64_t n_leaves, n_div;
static int64_t elapsed_ns, checksum;

static void spawn_skynet(goro_chan *c, int64_t num, int64_t size,
                         int64_t div);

static void skynet(void *arg) {
  struct sky a = *(struct sky *)arg;
  free(arg);
  if (a.size == 1) {
    if (goro_chan_send(a.c, &a.num) < 0) bench_fail("send");
    goro_chan_release(a.c);
    return;
  }
  goro_chan *rc = goro_chan_make(sizeof(int64_t), 0);
  if (rc == NULL) bench_fail("goro_chan_make");
  for (int64_t i = 0; i < a.div; i++)
    spawn_skynet(rc, a.num + i * (a.size / a.div), a.size / a.div, a.div);
  int64_t sum = 0, v;
  for (int64_t i = 0; i < a.div; i++) {
    if (goro_chan_recv(rc, &v) != 1) bench_fail("recv");
    sum += v;
  }
  goro_chan_release(rc);
  if (goro_chan_send(a.c, &sum) < 0) bench_fail("send");
  goro_chan_release(a.c);
}

static void spawn_skynet(goro_chan *c, int64_t num, int64_t size,
                         int64_t div) {
  struct sky *a = malloc(sizeof *a);
  if (a == NULL) bench_fail("malloc");
  *a = (struct sky){c, num, size, div};
  goro_chan_retain(c);
  int64_t id = goro_go(skynet, a);
  if (id < 0) bench_fail("goro_go: %s", goro_strerror((int)id));
}

static void bench_main(void *arg) {
  (void)arg;
  int64_t t0 = bench_now_ns();
  goro_chan *c = goro_chan_make(sizeof(int64_t), 0);
  if (c == NULL) bench_fail("goro_chan_make");
  spawn_skynet(c, 0, n_leaves, n_div);
  if (goro_chan_recv(c, &checksum) != 1) bench_fail("recv");
  elapsed_ns = bench_now_ns() - t0;
  goro_chan_release(c);
}

int main(int argc, char **argv) {
  n_leaves = bench_arg(argc, argv, 1, 1000000);
  n_div = bench_arg(argc, argv, 2, 10);
  if (n_div < 2) bench_fail("div must be >= 2");
  int64_t s = n_leaves;
  while (s > 1 && s % n_div == 0) s /= n_div;
  if (s != 1) bench_fail("n must be a power of div");
  int64_t goroutines = 0;
  for (int64_t level = n_leaves; level >= 1; level /= n_div) {
    goroutines += level;
    if (level == 1) break;
  }
  int err = goro_run(bench_main, NULL);
  if (err < 0) bench_fail("goro_run: %s", goro_strerror(err));
  printf("RESULT name=Skynet ms=%.3f goroutines=%lld "
         "ns_per_goroutine=%.1f checksum=%lld\n",
         (double)elapsed_ns / 1e6, (long long)goroutines,
         (double)elapsed_ns / (double)goroutines, (long long)checksum);
  return 0;
}
