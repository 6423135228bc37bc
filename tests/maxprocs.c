/* maxprocs.c: goro_maxprocs changes the number of processors at run time.
 * Shrunk to 1, goroutines never run two at a time; grown back to 2, two
 * goroutines can meet while both run (as in parallel.c). */
#include <goro.h>

#include "check.h"

static int inside, max_inside;
static goro_wg wg = GORO_WG_INIT;

static void careful(void *arg) {
  for (int i = 0; i < 2000; i++) {
    int now = __atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST);
    if (now > __atomic_load_n(&max_inside, __ATOMIC_RELAXED))
      __atomic_store_n(&max_inside, now, __ATOMIC_RELAXED);
    for (volatile int k = 0; k < 200; k++)
      ;
    __atomic_sub_fetch(&inside, 1, __ATOMIC_SEQ_CST);
    goro_yield();
  }
  goro_wg_done(&wg);
}

static int running[2], met;
static void side(void *arg) {
  int me = (int)(intptr_t)arg;
  __atomic_store_n(&running[me], 1, __ATOMIC_SEQ_CST);
  for (long i = 0; i < 20000000000L; i++)
    if (__atomic_load_n(&running[!me], __ATOMIC_SEQ_CST)) {
      __atomic_add_fetch(&met, 1, __ATOMIC_SEQ_CST);
      break;
    }
  goro_wg_done(&wg);
}

static void main_g(void *arg) {
  int first = goro_maxprocs(1);
  CHECK(first >= 1);
  CHECK_EQ(goro_maxprocs(0), 1);
  goro_sleep(10 * 1000000); /* a busy P retires at its next switch */
  goro_wg_add(&wg, 4);
  for (int i = 0; i < 4; i++)
    goro_go(careful, NULL);
  goro_wg_wait(&wg);
  CHECK_EQ(max_inside, 1);

  CHECK_EQ(goro_maxprocs(2), 1);
  goro_wg_add(&wg, 2);
  goro_go(side, (void *)0);
  goro_go(side, (void *)1);
  goro_wg_wait(&wg);
  CHECK_EQ(met, 2);
  CHECK_EQ(goro_maxprocs(first), 2);
}

int main(void) {
  CHECK(goro_run(main_g, NULL) == 0);
  printf("maxprocs: ok\n");
  return 0;
}
