/* fatal.c: the fatal paths, each in a child process: deadlock detection
 * (from a plain main, from goro_run, with a thread that is about to wake
 * everyone: no false report), stack overflow, a negative WaitGroup counter,
 * and the stack-mapping budget running out (an error, not a crash). */
#define _GNU_SOURCE
#include <goro.h>
#include <pthread.h>

#include "check.h"

static goro_wg never = GORO_WG_INIT;

static void wait_never(void *arg) { goro_wg_wait(&never); }

/* Deadlock: every goroutine and the main thread wait on a WaitGroup that
 * nobody will ever finish. */
static int deadlock_main(void) {
  goro_wg_add(&never, 1);
  for (int i = 0; i < 3; i++)
    goro_go(wait_never, NULL);
  goro_sleep(1000000);
  goro_wg_wait(&never);
  return 0;
}

static void main_waits(void *arg) {
  goro_wg_add(&never, 1);
  goro_go(wait_never, NULL);
  goro_wg_wait(&never);
}

static int deadlock_run(void) { return goro_run(main_waits, NULL); }

/* Not a deadlock: a foreign thread sleeps, then releases everyone. */
static void *late_done(void *arg) {
  struct timespec ts = {0, 100 * 1000000};
  nanosleep(&ts, NULL);
  goro_wg_done(&never);
  return NULL;
}

static int not_deadlock(void) {
  goro_wg_add(&never, 1);
  for (int i = 0; i < 3; i++)
    goro_go(wait_never, NULL);
  pthread_t th;
  pthread_create(&th, NULL, late_done, NULL);
  goro_wg_wait(&never);
  pthread_join(th, NULL);
  return 0;
}

static int depth(int n) {
  volatile char buf[512];
  buf[0] = (char)n;
  return depth(n + 1) + buf[0];
}

static void overflow(void *arg) { depth(0); }

static int stack_overflow(void) {
  goro_wg_add(&never, 1);
  goro_go(overflow, NULL);
  goro_wg_wait(&never);
  return 0;
}

static int negative_wg(void) {
  goro_wg wg = GORO_WG_INIT;
  goro_wg_add(&wg, 1);
  goro_wg_done(&wg);
  goro_wg_done(&wg);
  return 0;
}

static goro_wg hold = GORO_WG_INIT;
static void hold_until_released(void *arg) { goro_wg_wait(&hold); }

/* With a mapping budget of 3 (a region costs 2, a chunk of 64 stacks 1),
 * at most 64 goroutines can exist at once: the next spawn must fail with
 * -EAGAIN and the runtime must go on working. */
static int map_budget(void) {
  goro_wg_add(&hold, 1);
  int ok = 0, err = 0;
  for (int i = 0; i < 200; i++) {
    int64_t id = goro_go(hold_until_released, NULL);
    if (id > 0)
      ok++;
    else {
      err = (int)id;
      break;
    }
  }
  if (err != -EAGAIN || ok < 1 || ok > 64) {
    fprintf(stderr, "map_budget: ok=%d err=%d\n", ok, err);
    return 1;
  }
  goro_wg_done(&hold);
  /* Once they exit, their stacks are free again. */
  for (int i = 0; i < 1000 && goro_count() > 0; i++)
    goro_sleep(1000000);
  /* A worker may still hold the freed stacks in its P's cache for a
   * moment after the last goroutine is gone (its M spins before it idles
   * the P, and a busy P's cache is its own): -EAGAIN is transient, so
   * retry for a while, as a caller would. */
  goro_wg wg = GORO_WG_INIT;
  goro_wg_add(&wg, 1);
  int64_t id = -EAGAIN;
  for (int i = 0; i < 1000 && id == -EAGAIN; i++) {
    id = goro_go((void (*)(void *))goro_wg_done, &wg);
    if (id == -EAGAIN)
      goro_sleep(1000000);
  }
  if (id <= 0) {
    fprintf(stderr, "map_budget: after the exits: %s\n",
            goro_strerror((int)id));
    return 1;
  }
  goro_wg_wait(&wg);
  fprintf(stderr, "map_budget: %d spawned, then %s\n", ok, goro_strerror(err));
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1) {
    if (!strcmp(argv[1], "deadlock_main"))
      return deadlock_main();
    if (!strcmp(argv[1], "deadlock_run"))
      return deadlock_run();
    if (!strcmp(argv[1], "not_deadlock"))
      return not_deadlock();
    if (!strcmp(argv[1], "stack_overflow"))
      return stack_overflow();
    if (!strcmp(argv[1], "negative_wg"))
      return negative_wg();
    if (!strcmp(argv[1], "map_budget"))
      return map_budget();
    return 100;
  }
  static char out[1 << 16];
  const char *self = "/proc/self/exe";
  char exe[4096];
  ssize_t n = readlink(self, exe, sizeof(exe) - 1);
  CHECK(n > 0);
  exe[n] = 0;

  CHECK_EQ(child(exe, "deadlock_main", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: all goroutines are asleep - deadlock!");
  CHECK_CONTAINS(out, "[sync.WaitGroup.Wait");
  CHECK_CONTAINS(out, "created at ");
  CHECK_CONTAINS(out, "fatal.c:");
  CHECK_CONTAINS(out, "thread ");

  CHECK_EQ(child(exe, "deadlock_run", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: all goroutines are asleep - deadlock!");
  CHECK_CONTAINS(out, "goro_run (main goroutine)");

  CHECK_EQ(child(exe, "not_deadlock", NULL, out, sizeof(out)), 0);
  CHECK(strstr(out, "deadlock") == NULL);

  CHECK_EQ(child(exe, "stack_overflow", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: stack overflow");
  CHECK_CONTAINS(out, "[running]");
  CHECK_CONTAINS(out, "fatal.c:");

  CHECK_EQ(child(exe, "negative_wg", NULL, out, sizeof(out)), 2);
  CHECK_CONTAINS(out, "fatal error: sync: negative WaitGroup counter");

  const char *budget[] = {"GORO_MAP_BUDGET=3", NULL};
  CHECK_EQ(child(exe, "map_budget", budget, out, sizeof(out)), 0);
  CHECK_CONTAINS(out, "vm.max_map_count");
  CHECK_CONTAINS(out, "map_budget: 64 spawned");

  /* The same with the mprotect fallback: a chunk and its 64 guards cost
   * 1 + 128 mappings, so 2 + 129 allow exactly one chunk again. */
  const char *budget2[] = {"GORO_MAP_BUDGET=131", "GORO_STACK_GUARD=mprotect",
                           NULL};
  CHECK_EQ(child(exe, "map_budget", budget2, out, sizeof(out)), 0);
  CHECK_CONTAINS(out, "vm.max_map_count");
  CHECK_CONTAINS(out, "map_budget: 64 spawned");
  printf("fatal: ok\n");
  return 0;
}
