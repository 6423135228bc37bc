/* parallel.c: two goroutines that each spin, without yielding, until the
 * other is running too. Only two processors truly running at once can pass
 * (registered for GORO_MAXPROCS=2 only). The spin is bounded so a failure
 * is reported, not hung. */
#include <goro.h>

#include "check.h"

static int running[2];
static int met[2];
static goro_wg wg = GORO_WG_INIT;

static void side(void *arg) {
  int me = (int)(intptr_t)arg;
  __atomic_store_n(&running[me], 1, __ATOMIC_SEQ_CST);
  for (long i = 0; i < 20000000000L; i++)
    if (__atomic_load_n(&running[!me], __ATOMIC_SEQ_CST)) {
      met[me] = 1;
      break;
    }
  goro_wg_done(&wg);
}

static void main_g(void *arg) {
  goro_wg_add(&wg, 2);
  goro_go(side, (void *)0);
  goro_go(side, (void *)1);
  goro_wg_wait(&wg);
}

int main(void) {
  CHECK(goro_run(main_g, NULL) == 0);
  CHECK(met[0] && met[1]);
  printf("parallel: ok\n");
  return 0;
}
