/* blocking.c: with one processor, a goroutine in a marked blocking call
 * does not stop the others (its processor is handed to another thread),
 * and neither does a hog that never yields (its queue moves to another
 * thread, and the monitor names it), whether it computes or sleeps in a
 * call the runtime does not know of. Deadlock detection stays quiet while a
 * goroutine sits in a blocking call that will wake the others. */
#include <goro.h>
#include <time.h>

#include "check.h"

static long ticks;
static long ticks_during;
static goro_wg wg = GORO_WG_INIT;
static int stop;

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL); /* blocks the thread, not just the goroutine */
}

static void blocking_sleep(void *arg) {
  long before = __atomic_load_n(&ticks, __ATOMIC_SEQ_CST);
  nap_ms(200);
  ticks_during = __atomic_load_n(&ticks, __ATOMIC_SEQ_CST) - before;
}

static void blocker(void *arg) {
  if (arg) {
    goro_blocking_begin();
    blocking_sleep(NULL);
    goro_blocking_end();
  } else {
    goro_blocking(blocking_sleep, NULL);
  }
  __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg);
}

static void ticker(void *arg) {
  while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
    __atomic_add_fetch(&ticks, 1, __ATOMIC_SEQ_CST);
    goro_yield();
  }
  goro_wg_done(&wg);
}

static void blocking_case(void *pair) {
  stop = 0;
  ticks = 0;
  ticks_during = -1;
  goro_wg_add(&wg, 2);
  goro_go(blocker, pair);
  goro_go(ticker, NULL);
  goro_wg_wait(&wg);
  CHECK(ticks_during > 0);
}

static void blocking_main(void *arg) {
  blocking_case(NULL);
  blocking_case((void *)1);
}

/* ---- the hog ---- */

static int released;

static void hog(void *arg) {
  for (long i = 0; i < 40000000000L; i++) {
    if (__atomic_load_n(&released, __ATOMIC_SEQ_CST))
      break;
    if (arg && i % 1024 == 0)
      nap_ms(1); /* asleep in a call the runtime does not know of */
  }
  goro_wg_done(&wg);
}

static void releaser(void *arg) {
  __atomic_store_n(&released, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg);
}

static void hog_main(void *arg) {
  goro_wg_add(&wg, 2);
  goro_go(releaser, NULL); /* queued behind the hog on the only P: */
  goro_go(hog, arg);       /* the newest goroutine runs next (runnext) */
  goro_wg_wait(&wg);
}

static int hog_child(void *sleeper) {
  CHECK(goro_run(hog_main, sleeper) == 0);
  CHECK(released);
  return 0;
}

/* A blocking call that later releases a WaitGroup everyone waits on is not
 * a deadlock. */
static goro_wg gate = GORO_WG_INIT;
static void slow_release(void *arg) { nap_ms(100); }
static void releasing_blocker(void *arg) {
  goro_blocking(slow_release, NULL);
  goro_wg_done(&gate);
}
static void gate_waiter(void *arg) { goro_wg_wait(&gate); }

static int not_deadlock_child(void) {
  goro_wg_add(&gate, 1);
  goro_go(gate_waiter, NULL);
  goro_go(releasing_blocker, NULL);
  goro_wg_wait(&gate);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "hog"))
    return hog_child(NULL);
  if (argc > 1 && !strcmp(argv[1], "sleeping_hog"))
    return hog_child((void *)1);
  if (argc > 1 && !strcmp(argv[1], "not_deadlock"))
    return not_deadlock_child();
  CHECK(goro_run(blocking_main, NULL) == 0);

  static char out[1 << 14];
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  CHECK(n > 0);
  exe[n] = 0;
  CHECK_EQ(child(exe, "hog", NULL, out, sizeof(out)), 0);
  CHECK_CONTAINS(out, "without yielding");
  CHECK_CONTAINS(out, "blocking.c:");
  CHECK_EQ(child(exe, "sleeping_hog", NULL, out, sizeof(out)), 0);
  CHECK_CONTAINS(out, "without yielding");
  CHECK_EQ(child(exe, "not_deadlock", NULL, out, sizeof(out)), 0);
  CHECK(!strstr(out, "deadlock"));
  printf("blocking: ok\n");
  return 0;
}
