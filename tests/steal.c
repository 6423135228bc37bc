/* steal.c: one goroutine fills its processor's queue with CPU-bound work
 * while the other processor is idle; the idle one steals, and both run
 * some of it (GORO_MAXPROCS=2 only). */
#define _GNU_SOURCE
#include <goro.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define N 400
static pid_t tids[N];
static goro_wg wg = GORO_WG_INIT;
static volatile unsigned long sink[N]; /* one each: no race between them */

static void work(void *arg) {
  tids[(intptr_t)arg] = (pid_t)syscall(SYS_gettid);
  unsigned long x = (unsigned long)(intptr_t)arg;
  for (int i = 0; i < 200000; i++) /* some 100 us of arithmetic */
    x = x * 6364136223846793005UL + 1442695040888963407UL;
  sink[(intptr_t)arg] = x;
  goro_wg_done(&wg);
}

static void spawner(void *arg) {
  goro_wg_add(&wg, N);
  for (intptr_t i = 0; i < N; i++)
    goro_go(work, (void *)i); /* all onto this P's queue first */
  goro_wg_wait(&wg);
}

int main(void) {
  CHECK(goro_run(spawner, NULL) == 0);
  int distinct = 1;
  for (int i = 1; i < N; i++)
    if (tids[i] != tids[0]) {
      distinct = 2;
      break;
    }
  CHECK_EQ(distinct, 2);
  printf("steal: ok\n");
  return 0;
}
