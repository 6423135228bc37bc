/* errno_migrate.c: errno belongs to the goroutine, not to the thread.
 * Goroutines set errno, suspend (sleep, yield, wait), and check it after
 * resuming, until each has been seen resuming on a different thread than
 * it left. Built at -O2 with gcc and with clang, where a cached &errno
 * would read the old thread's variable. */
#define _GNU_SOURCE
#include <goro.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define G 8
static int moved[G];
static goro_wg wg = GORO_WG_INIT;

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static void hop(void *arg) {
  int me = (int)(intptr_t)arg;
  for (int i = 0; i < 100000 && moved[me] < 10; i++) {
    int want = 1000 + me * 100000 + i;
    errno = want;
    pid_t before = tid();
    switch (i % 3) {
    case 0:
      goro_sleep(1000 * (i % 7));
      break;
    case 1:
      goro_yield();
      break;
    default: {
      goro_sleep(1);
      break;
    }
    }
    CHECK_EQ(errno, want);
    if (tid() != before)
      moved[me]++;
  }
  goro_wg_done(&wg);
}

int main(void) {
  int procs = goro_maxprocs(0);
  goro_wg_add(&wg, G);
  for (intptr_t i = 0; i < G; i++)
    goro_go(hop, (void *)i);
  errno = 77; /* the main thread's own errno is untouched by all this */
  goro_wg_wait(&wg);
  CHECK_EQ(errno, 77);
  if (procs >= 2) {
    int total = 0;
    for (int i = 0; i < G; i++)
      total += moved[i];
    CHECK(total > 0); /* goroutines really moved between threads */
  }
  printf("errno_migrate: ok\n");
  return 0;
}
