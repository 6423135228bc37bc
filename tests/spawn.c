/* spawn.c: goroutines start, run, exit; ids, goro_self, goro_count;
 * nested spawns; WaitGroup from a goroutine and from a thread. */
#include <goro.h>

#include "check.h"

static goro_wg wg = GORO_WG_INIT;
static long ran;
static int64_t seen_id;

static void leaf(void *arg) {
  __atomic_add_fetch(&ran, (long)(intptr_t)arg, __ATOMIC_RELAXED);
  goro_wg_done(&wg);
}

static void record_self(void *arg) {
  seen_id = goro_self();
  goro_wg_done(&wg);
}

static void parent(void *arg) {
  goro_wg inner = GORO_WG_INIT;
  (void)inner;
  for (int i = 0; i < 100; i++) {
    goro_wg_add(&wg, 1);
    CHECK(goro_go(leaf, (void *)(intptr_t)1) > 0);
  }
  goro_wg_done(&wg);
}

static void exiter(void *arg) {
  goro_wg_done(&wg);
  goro_exit();
  CHECK(!"goro_exit returned");
}

int main(void) {
  CHECK_EQ(goro_self(), 0);
  CHECK_EQ(goro_go(NULL, NULL), -EINVAL);

  goro_wg_add(&wg, 1);
  int64_t id = goro_go(record_self, NULL);
  CHECK(id > 0);
  goro_wg_wait(&wg);
  CHECK_EQ(seen_id, id);

  goro_wg_add(&wg, 10);
  for (int i = 0; i < 10; i++)
    goro_go(parent, NULL);
  goro_wg_wait(&wg);
  CHECK_EQ(ran, 1000);

  goro_wg_add(&wg, 1);
  goro_go(exiter, NULL);
  goro_wg_wait(&wg);

  /* Everything has exited (or is about to: done comes before the exit). */
  for (int i = 0; i < 1000 && goro_count() != 0; i++)
    goro_sleep(1000000);
  CHECK_EQ(goro_count(), 0);
  CHECK(goro_strerror(-EPIPE) != NULL);
  CHECK(goro_now() > 0);
  printf("spawn: ok\n");
  return 0;
}
