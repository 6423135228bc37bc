/* run.c: goro_run's semantics. main_fn runs as a goroutine; goro_run
 * returns when it does, while others are still alive; those are abandoned
 * and never resumed; the runtime stays usable for a second goro_run. */
#include <goro.h>

#include "check.h"

static long ticks;
static int64_t main_id;
static int started;

static void forever(void *arg) {
  __atomic_store_n(&started, 1, __ATOMIC_SEQ_CST);
  for (;;) {
    __atomic_add_fetch(&ticks, 1, __ATOMIC_SEQ_CST);
    if (arg)
      goro_sleep(100000);
    else
      goro_yield();
  }
}

static void main1(void *arg) {
  main_id = goro_self();
  CHECK(main_id > 0);
  goro_go(forever, NULL);
  goro_go(forever, (void *)1);
  while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST) ||
         __atomic_load_n(&ticks, __ATOMIC_SEQ_CST) < 1000)
    goro_yield();
}

static int second_ran;
static void main2(void *arg) { second_ran = 1; }

int main(void) {
  CHECK_EQ(goro_run(NULL, NULL), -EINVAL);
  CHECK_EQ(goro_run(main1, NULL), 0);
  CHECK(main_id > 0);
  /* Let in-flight iterations settle, then nothing may move any more. */
  goro_sleep(20 * 1000000);
  long t1 = __atomic_load_n(&ticks, __ATOMIC_SEQ_CST);
  goro_sleep(50 * 1000000);
  long t2 = __atomic_load_n(&ticks, __ATOMIC_SEQ_CST);
  CHECK_EQ(t1, t2);
  CHECK_EQ(goro_run(main2, NULL), 0);
  CHECK(second_ran);
  printf("run: ok\n");
  return 0;
}
