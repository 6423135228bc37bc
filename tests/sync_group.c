/* sync_group.c: golang.org/x/sync/errgroup (its errgroup_test.go, ported).
 *  - TestZeroGroup-like: all succeed: Wait returns 0, and the context is
 *    canceled once Wait returns (errgroup.WithContext);
 *  - the first error is kept (the one that happened first in time, not in
 *    spawn order), and the others, blocked on the group's context, are
 *    canceled: they see -ECANCELED with the first error as its cause;
 *  - SetLimit: never more than n active; TryGo says -EAGAIN at the limit;
 *    SetLimit while goroutines run is refused;
 *  - a group whose parent is canceled cancels its functions;
 *  - goro_group_go from a plain thread. */
#include <goro.h>

#include <pthread.h>

#include "check.h"

static int ok_fn(goro_ctx *ctx, void *arg) {
  __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
  return 0;
}

static void test_all_ok(void) {
  goro_group *g = goro_group_new(NULL);
  CHECK(g != NULL);
  int n = 0;
  for (int i = 0; i < 100; i++)
    CHECK_EQ(goro_group_go(g, ok_fn, &n), 0);
  CHECK_EQ(goro_group_wait(g), 0);
  CHECK_EQ(n, 100);
  CHECK_EQ(goro_ctx_err(goro_group_ctx(g)), -ECANCELED);
  CHECK_EQ(goro_group_go(g, NULL, NULL), -EINVAL);
  goro_group_free(g);
  goro_group_free(NULL);
}

/* ---- first error cancels the rest ---------------------------------------- */

static int canceled_seen, canceled_cause;

static int waits_for_cancel(goro_ctx *ctx, void *arg) {
  int err = goro_ctx_wait(ctx);
  __atomic_add_fetch(&canceled_seen, 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&canceled_cause, goro_ctx_cause(ctx), __ATOMIC_SEQ_CST);
  return err; /* -ECANCELED: not the first error */
}

static int fails_late(goro_ctx *ctx, void *arg) {
  goro_sleep(20000000);
  return -EIO;
}

static int fails_first(goro_ctx *ctx, void *arg) {
  goro_sleep(2000000);
  return -EPIPE;
}

static void test_first_error(void) {
  goro_group *g = goro_group_new(NULL);
  canceled_seen = 0;
  for (int i = 0; i < 10; i++)
    CHECK_EQ(goro_group_go(g, waits_for_cancel, NULL), 0);
  CHECK_EQ(goro_group_go(g, fails_late, NULL), 0);  /* spawned first */
  CHECK_EQ(goro_group_go(g, fails_first, NULL), 0); /* fails first */
  CHECK_EQ(goro_group_wait(g), -EPIPE);
  CHECK_EQ(canceled_seen, 10);
  CHECK_EQ(canceled_cause, -EPIPE);
  CHECK_EQ(goro_ctx_cause(goro_group_ctx(g)), -EPIPE);
  goro_group_free(g);
}

/* ---- limit -------------------------------------------------------------------- */

static int active, max_active;
static goro_mutex mu = GORO_MUTEX_INIT;

static int limited_fn(goro_ctx *ctx, void *arg) {
  goro_mutex_lock(&mu);
  if (++active > max_active)
    max_active = active;
  goro_mutex_unlock(&mu);
  goro_sleep(200000);
  goro_mutex_lock(&mu);
  active--;
  goro_mutex_unlock(&mu);
  return 0;
}

static goro_wg release_blocker = GORO_WG_INIT;
static int blocker(goro_ctx *ctx, void *arg) {
  goro_wg_wait(&release_blocker);
  return 0;
}

static void test_limit(void) {
  goro_group *g = goro_group_new(NULL);
  CHECK_EQ(goro_group_setlimit(g, 3), 0);
  for (int i = 0; i < 30; i++)
    CHECK_EQ(goro_group_go(g, limited_fn, NULL), 0);
  CHECK_EQ(goro_group_wait(g), 0);
  CHECK(max_active <= 3);
  CHECK(max_active >= 1);
  goro_group_free(g);

  g = goro_group_new(NULL);
  CHECK_EQ(goro_group_setlimit(g, 1), 0);
  goro_wg_add(&release_blocker, 1);
  CHECK_EQ(goro_group_trygo(g, blocker, NULL), 0);
  CHECK_EQ(goro_group_trygo(g, blocker, NULL), -EAGAIN);
  CHECK_EQ(goro_group_setlimit(g, 5), -EBUSY);
  goro_wg_done(&release_blocker);
  CHECK_EQ(goro_group_wait(g), 0);
  CHECK_EQ(goro_group_setlimit(g, -1), 0); /* no limit */
  for (int i = 0; i < 10; i++)
    CHECK_EQ(goro_group_trygo(g, limited_fn, NULL), 0);
  CHECK_EQ(goro_group_wait(g), 0);
  goro_group_free(g);
}

/* ---- parent canceled ---------------------------------------------------------- */

static void test_parent(void) {
  goro_ctx *parent = goro_ctx_with_cancel(NULL);
  goro_group *g = goro_group_new(parent);
  canceled_seen = 0;
  for (int i = 0; i < 5; i++)
    CHECK_EQ(goro_group_go(g, waits_for_cancel, NULL), 0);
  goro_sleep(1000000);
  goro_ctx_cancel(parent);
  /* They return -ECANCELED: the group keeps it as its first error. */
  CHECK_EQ(goro_group_wait(g), -ECANCELED);
  CHECK_EQ(canceled_seen, 5);
  goro_group_free(g);
  goro_ctx_release(parent);
}

static void *thread_group(void *arg) {
  goro_group *g = goro_group_new(NULL);
  int n = 0;
  for (int i = 0; i < 20; i++)
    CHECK_EQ(goro_group_go(g, ok_fn, &n), 0);
  CHECK_EQ(goro_group_wait(g), 0);
  CHECK_EQ(n, 20);
  goro_group_free(g);
  return NULL;
}

static void main_goroutine(void *arg) {
  test_all_ok();
  test_first_error();
  test_limit();
  test_parent();
}

int main(void) {
  CHECK_EQ(goro_run(main_goroutine, NULL), 0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, thread_group, NULL) == 0);
  pthread_join(th, NULL);
  return 0;
}
