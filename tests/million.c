/* million.c: 1,000,000 goroutines from a plain main(): first run and
 * joined by a WaitGroup, then all parked at once (each waiting on a gate),
 * counted, and released. Checks every goroutine ran exactly once, and that
 * the parked million costs a few KiB each (a sanity bound, not a benchmark:
 * the numbers are printed, bench/ measures them against Go). */
#include <goro.h>

#include "check.h"

#define N 1000000

static goro_wg done = GORO_WG_INIT;
static goro_wg gate = GORO_WG_INIT;
static goro_wg parked = GORO_WG_INIT;
static unsigned char *hits;

static void run_once(void *arg) {
  hits[(intptr_t)arg]++;
  goro_wg_done(&done);
}

static void park_at_gate(void *arg) {
  goro_wg_done(&parked);
  goro_wg_wait(&gate);
  hits[(intptr_t)arg]++;
  goro_wg_done(&done);
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, "VmRSS:", 6) == 0)
      v = atol(line + 6);
  if (f)
    fclose(f);
  return v;
}

int main(void) {
  hits = calloc(N, 1);
  CHECK(hits);

  goro_wg_add(&done, N);
  for (intptr_t i = 0; i < N; i++)
    CHECK(goro_go(run_once, (void *)i) > 0);
  goro_wg_wait(&done);
  for (long i = 0; i < N; i++)
    CHECK_EQ(hits[i], 1);

  long before = rss_kib();
  goro_wg_add(&gate, 1);
  goro_wg_add(&parked, N);
  goro_wg_add(&done, N);
  for (intptr_t i = 0; i < N; i++)
    CHECK(goro_go(park_at_gate, (void *)i) > 0);
  goro_wg_wait(&parked);
  CHECK_EQ(goro_count(), N);
  long during = rss_kib();
  double per = (double)(during - before) * 1024.0 / N;
  printf("million: %.0f bytes of RSS per parked goroutine\n", per);
  CHECK(per < 16384); /* a committed stack would be 256 KiB */
  goro_wg_done(&gate);
  goro_wg_wait(&done);
  for (long i = 0; i < N; i++)
    CHECK_EQ(hits[i], 2);
  printf("million: ok\n");
  return 0;
}
