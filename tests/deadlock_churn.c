/* deadlock_churn.c: no false deadlock while threads come and go.
 *
 * The deadlock check counts the process's threads to know that no thread
 * outside the runtime can still wake anyone. Each round, the only
 * goroutine blocks on a channel while a plain thread, running (not blocked
 * in goro), is about to send on it, and another plain thread, listed
 * before the sender, exits about when the check walks /proc/self/task.
 * That walk is not a snapshot: when the thread it stands on exits, the
 * kernel may end it early, and the sender goes uncounted: a false "all
 * goroutines are asleep" (seen in chan_stress, 4 runs in about 2,300
 * under load; 0 in 2,500 since). The exit is swept across the check's
 * window, a few microseconds further each round; here an exit lands
 * mid-walk in about 1 round in 50, which exercises the recount, while
 * the truncation itself is rarer than this test can promise to hit. */
#include <goro.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "check.h"

#define ROUNDS 600

static goro_chan *c;
static atomic_int go_ahead;

static void spin_until(int64_t t) {
  while (goro_now() < t)
    sched_yield();
}

static void *exiter(void *arg) {
  while (!atomic_load(&go_ahead))
    sched_yield();
  spin_until(goro_now() + (intptr_t)arg);
  return NULL; /* exits about when the receiver's check runs */
}

static void *sender(void *arg) {
  (void)arg;
  while (!atomic_load(&go_ahead))
    sched_yield();
  spin_until(goro_now() + 1000000); /* running, not blocked in goro */
  int64_t v = 42;
  CHECK_EQ(goro_chan_send(c, &v), 0);
  return NULL;
}

static void rounds(void *arg) {
  (void)arg;
  c = goro_chan_make(sizeof(int64_t), 0);
  CHECK(c != NULL);
  for (int r = 0; r < ROUNDS; r++) {
    pthread_t x, s;
    atomic_store(&go_ahead, 0);
    /* The exiter first: the kernel lists threads in creation order. */
    intptr_t delay = 2000 * (r % 60); /* 0 to 118 us */
    CHECK_EQ(pthread_create(&x, NULL, exiter, (void *)delay), 0);
    CHECK_EQ(pthread_create(&s, NULL, sender, NULL), 0);
    atomic_store(&go_ahead, 1);
    int64_t v = 0;
    /* Blocks with every P idle: the check runs as the exiter leaves. */
    CHECK_EQ(goro_chan_recv(c, &v), 1);
    CHECK_EQ(v, 42);
    pthread_join(x, NULL);
    pthread_join(s, NULL);
  }
  goro_chan_release(c);
}

int main(void) {
  CHECK_EQ(goro_run(rounds, NULL), 0);
  return 0;
}
