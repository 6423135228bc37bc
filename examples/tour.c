/*
 * tour.c: a short, live walk through goroutines with goro.
 *
 *   1. printMessage in a goroutine and in main, interleaved.
 *   2. Three workers joined by a WaitGroup.
 *   3. Concurrency against parallelism: the same CPU-bound tasks on one
 *      processor, then on two, with the wall time and a timeline of which
 *      processor ran which task when.
 *   4. A million goroutines started and joined, with the time and memory
 *      per goroutine, next to the cost of 10,000 threads.
 *
 * Every number printed is measured while you watch.
 */
#define _GNU_SOURCE
#include <goro.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS (1000 * 1000LL)

static void heading(const char *title) { printf("\n== %s ==\n\n", title); }

/* ---- 1. printMessage ---------------------------------------------------- */

static void print_message(void *arg) {
  for (int i = 0; i < 4; i++) {
    printf("  %s %d\n", (const char *)arg, i);
    goro_sleep(100 * MS);
  }
}

static void part1(void) {
  heading("1. A goroutine runs next to the code that started it");
  printf("  goro_go(print_message, \"goroutine\"); print_message(\"main\");\n\n");
  goro_go(print_message, "goroutine");
  print_message("main"); /* main is a plain thread here; goro_sleep blocks it */
  goro_sleep(50 * MS);
}

/* ---- 2. WaitGroup --------------------------------------------------------- */

static goro_wg workers = GORO_WG_INIT;

static void worker(void *arg) {
  int id = (int)(intptr_t)arg;
  printf("  worker %d starting\n", id);
  goro_sleep(id * 100 * MS);
  printf("  worker %d done\n", id);
  goro_wg_done(&workers);
}

static void part2(void) {
  heading("2. Three workers joined by a WaitGroup");
  for (intptr_t id = 1; id <= 3; id++) {
    goro_wg_add(&workers, 1);
    goro_go(worker, (void *)id);
  }
  goro_wg_wait(&workers);
  printf("  all workers done\n");
}

/* ---- 3. Concurrency and parallelism ------------------------------------- */

#define TASKS 4
#define SLICES 24
#define MAXSEG (TASKS * SLICES)

typedef struct seg {
  int task, proc;
  int64_t t0, t1;
} seg;

static seg segs[MAXSEG];
static int nsegs;
static goro_wg tasks_wg = GORO_WG_INIT;
static volatile uint64_t sink;
static uint64_t spin_iters; /* calibrated: about 2 ms of arithmetic */

static void burn(uint64_t n) {
  uint64_t x = n;
  for (uint64_t i = 0; i < n; i++)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  sink = x;
}

static void cpu_task(void *arg) {
  int task = (int)(intptr_t)arg;
  for (int s = 0; s < SLICES; s++) {
    int64_t t0 = goro_now();
    burn(spin_iters);
    int64_t t1 = goro_now();
    int i = __atomic_fetch_add(&nsegs, 1, __ATOMIC_RELAXED);
    segs[i] = (seg){task, goro_proc(), t0, t1};
    goro_yield(); /* let the others have a turn */
  }
  goro_wg_done(&tasks_wg);
}

static int64_t run_tasks(int procs) {
  goro_maxprocs(procs);
  nsegs = 0;
  int64_t start = goro_now();
  goro_wg_add(&tasks_wg, TASKS);
  for (intptr_t t = 0; t < TASKS; t++)
    goro_go(cpu_task, (void *)t);
  goro_wg_wait(&tasks_wg);
  int64_t wall = goro_now() - start;

  /* A timeline: one row per processor, one column per time step. */
  enum { COLS = 64 };
  char rows[2][COLS + 1];
  memset(rows, '.', sizeof(rows));
  for (int r = 0; r < 2; r++)
    rows[r][COLS] = 0;
  for (int i = 0; i < nsegs; i++) {
    seg *s = &segs[i];
    if (s->proc < 0 || s->proc > 1)
      continue;
    int c0 = (int)((s->t0 - start) * COLS / wall);
    int c1 = (int)((s->t1 - start) * COLS / wall);
    for (int c = c0; c <= c1 && c < COLS; c++)
      rows[s->proc][c] = (char)('A' + s->task);
  }
  printf("  %d processor%s: %4lld ms wall\n", procs, procs > 1 ? "s" : " ",
         (long long)(wall / MS));
  for (int r = 0; r < procs; r++)
    printf("    P%d |%s|\n", r, rows[r]);
  return wall;
}

static void part3(void) {
  heading("3. Concurrency (one processor) and parallelism (two)");
  /* Calibrate the slice to about 2 ms of arithmetic on this machine. */
  int64_t t0 = goro_now();
  burn(1000000);
  int64_t dt = goro_now() - t0;
  spin_iters = (uint64_t)(1000000.0 * (2.0 * MS) / (dt > 0 ? dt : 1));
  printf("  Four CPU-bound tasks A-D, each %d slices of ~2 ms, yielding "
         "between slices.\n\n", SLICES);
  int old = goro_maxprocs(0);
  int64_t one = run_tasks(1);
  int64_t two = run_tasks(2);
  goro_maxprocs(old);
  printf("\n  One processor interleaves the tasks (concurrency); two run two "
         "at once\n  (parallelism): %.2fx faster here.\n",
         (double)one / (double)two);
  if (old < 2)
    printf("  (This machine gives the process %d CPU: the two processors share "
           "it.)\n", old);
}

/* ---- 4. A million goroutines -------------------------------------------- */

static goro_wg million = GORO_WG_INIT;
static goro_wg gate = GORO_WG_INIT;
static goro_wg parked = GORO_WG_INIT;

static void parked_goroutine(void *arg) {
  goro_wg_done(&parked);
  goro_wg_wait(&gate);
  goro_wg_done(&million);
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = 0;
  while (f && fgets(line, sizeof(line), f))
    if (!strncmp(line, "VmRSS:", 6))
      v = atol(line + 6);
  if (f)
    fclose(f);
  return v;
}

static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcv = PTHREAD_COND_INITIALIZER;
static int tgo, tready;

static void *idle_thread(void *arg) {
  pthread_mutex_lock(&tmu);
  tready++;
  pthread_cond_broadcast(&tcv);
  while (!tgo)
    pthread_cond_wait(&tcv, &tmu);
  pthread_mutex_unlock(&tmu);
  return NULL;
}

static void part4(void) {
  heading("4. A million goroutines, and ten thousand threads");
  enum { N = 1000000, T = 10000 };
  long before = rss_kib();
  int64_t t0 = goro_now();
  goro_wg_add(&gate, 1);
  goro_wg_add(&parked, N);
  goro_wg_add(&million, N);
  int spawned = 0;
  for (int i = 0; i < N; i++) {
    if (goro_go(parked_goroutine, NULL) < 0)
      break;
    spawned++;
  }
  goro_wg_add(&parked, spawned - N);
  goro_wg_add(&million, spawned - N);
  goro_wg_wait(&parked);
  int64_t t1 = goro_now();
  long during = rss_kib();
  printf("  %d goroutines alive at once (goro_count() = %lld)\n", spawned,
         (long long)goro_count());
  goro_wg_done(&gate);
  goro_wg_wait(&million);
  int64_t t2 = goro_now();
  printf("  goroutines: %6.2f us to start and park one, %5.2f KiB of memory "
         "each,\n              %6.2f us to wake and finish one\n",
         (double)(t1 - t0) / spawned / 1000.0,
         (double)(during - before) / spawned, (double)(t2 - t1) / spawned / 1000.0);

  /* Idle processors give the stacks' pages back (MADV_DONTNEED). */
  for (int i = 0; i < 20 && rss_kib() > before + (during - before) / 10; i++)
    goro_sleep(50 * MS);
  printf("  after they exit, idle stacks give their memory back: RSS %ld MiB "
         "-> %ld MiB\n\n", during / 1024, rss_kib() / 1024);

  static pthread_t th[T];
  pthread_attr_t attr;
  pthread_attr_init(&attr); /* default stacks, as most programs use them */
  before = rss_kib();
  t0 = goro_now();
  int made = 0;
  for (; made < T; made++)
    if (pthread_create(&th[made], &attr, idle_thread, NULL) != 0)
      break;
  pthread_mutex_lock(&tmu);
  while (tready < made)
    pthread_cond_wait(&tcv, &tmu);
  pthread_mutex_unlock(&tmu);
  t1 = goro_now();
  during = rss_kib();
  pthread_mutex_lock(&tmu);
  tgo = 1;
  pthread_cond_broadcast(&tcv);
  pthread_mutex_unlock(&tmu);
  for (int i = 0; i < made; i++)
    pthread_join(th[i], NULL);
  t2 = goro_now();
  printf("  threads:    %6.2f us to start and park one, %5.2f KiB of memory "
         "each (%d threads)\n              %6.2f us to wake and join one\n",
         (double)(t1 - t0) / made / 1000.0, (double)(during - before) / made,
         made, (double)(t2 - t1) / made / 1000.0);
}

int main(void) {
  printf("goro: Go's goroutines for C. %d processors (GORO_MAXPROCS).\n",
         goro_maxprocs(0));
  part1();
  part2();
  part3();
  part4();
  printf("\nThat is the tour. Next: README.md, include/goro.h, BENCHMARKS.md.\n");
  return 0;
}
