/* yield_fair.c: goroutines that only yield share their processor: when
 * the first finishes its rounds, every other one has made the same
 * progress on one processor (exactly round robin); on two, all finish. */
#include <goro.h>

#include "check.h"

#define G 4
#define ROUNDS 20000
static long progress[G];
static long snapshot[G];
static int first_done;
static goro_wg wg = GORO_WG_INIT;

static void spinner(void *arg) {
  int me = (int)(intptr_t)arg;
  for (long i = 0; i < ROUNDS; i++) {
    __atomic_store_n(&progress[me], i + 1, __ATOMIC_RELAXED);
    goro_yield();
  }
  int zero = 0;
  if (__atomic_compare_exchange_n(&first_done, &zero, 1, 0, __ATOMIC_SEQ_CST,
                                  __ATOMIC_SEQ_CST))
    for (int k = 0; k < G; k++)
      snapshot[k] = __atomic_load_n(&progress[k], __ATOMIC_RELAXED);
  goro_wg_done(&wg);
}

static void main_g(void *arg) {
  goro_wg_add(&wg, G);
  for (intptr_t i = 0; i < G; i++)
    goro_go(spinner, (void *)i);
  goro_wg_wait(&wg);
}

int main(void) {
  int procs = goro_maxprocs(0);
  CHECK(goro_run(main_g, NULL) == 0);
  printf("yield_fair: progress when the first finished:");
  for (int k = 0; k < G; k++)
    printf(" %ld", snapshot[k]);
  printf("\n");
  /* On one processor: strict round robin. On two, a goroutine alone on
   * one processor finishes its empty yields before the OS has even
   * scheduled the other worker on a busy machine: all that holds there is
   * that everyone finishes (the WaitGroup returned). */
  if (procs == 1 && !getenv("GORO_SEED"))
    for (int k = 0; k < G; k++)
      CHECK(snapshot[k] >= ROUNDS - 1);
  printf("yield_fair: ok\n");
  return 0;
}
