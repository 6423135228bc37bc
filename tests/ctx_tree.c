/* ctx_tree.c: package context (Go's context/context_test.go, ported).
 *  - cancellation propagates down a tree: a tree of depth 4, fan-out 3,
 *    with value contexts mixed in; canceling a middle node cancels exactly
 *    its subtree (Err, Done closed, Cause), not its parent or siblings;
 *    canceling the root cancels the rest;
 *  - goroutines blocked on Done (goro_chan_recv, goro_select) and in
 *    goro_ctx_wait all wake, from goroutines and from a thread;
 *  - a child of a canceled parent is born canceled;
 *  - WithDeadline / WithTimeout: Err is -ETIMEDOUT, no earlier than the
 *    deadline; Deadline() reports the earliest on the path; a child's later
 *    deadline does not extend the parent's; a past deadline cancels at once;
 *  - Cause: the cause given to CancelCause, inherited by the subtree;
 *  - Value lookup walks up; the background never ends and its Done is NULL;
 *  - releasing in any order frees everything (children keep parents). */
#include <goro.h>

#include <pthread.h>

#include "check.h"

static goro_wg wg = GORO_WG_INIT;

static int done_closed(goro_ctx *c) {
  goro_chan *d = goro_ctx_done(c);
  return d && goro_chan_tryrecv(d, NULL) == 0;
}

/* ---- a tree ----------------------------------------------------------------- */

#define FAN 3
#define DEPTH 4

typedef struct node {
  goro_ctx *ctx;
  struct node *kids[FAN];
  int nkids;
} node;

static int key_depth;

static node *build(goro_ctx *parent, int depth) {
  node *n = calloc(1, sizeof(*n));
  CHECK(n != NULL);
  /* Every other level is a value context over a cancel context. */
  goro_ctx *c = goro_ctx_with_cancel(parent);
  CHECK(c != NULL);
  if (depth % 2) {
    n->ctx = goro_ctx_with_value(c, &key_depth, (void *)(intptr_t)depth);
    goro_ctx_release(c); /* the value context keeps it */
  } else {
    n->ctx = c;
  }
  if (depth < DEPTH)
    for (int i = 0; i < FAN; i++)
      n->kids[n->nkids++] = build(n->ctx, depth + 1);
  return n;
}

static void expect(node *n, int err) {
  CHECK_EQ(goro_ctx_err(n->ctx), err);
  CHECK_EQ(done_closed(n->ctx), err != 0);
  for (int i = 0; i < n->nkids; i++)
    expect(n->kids[i], err);
}

static void release_tree(node *n, int kids_first) {
  if (!kids_first)
    goro_ctx_release(n->ctx);
  for (int i = 0; i < n->nkids; i++)
    release_tree(n->kids[i], !kids_first);
  if (kids_first)
    goro_ctx_release(n->ctx);
  free(n);
}

/* goro_ctx_cancel on a value context does nothing: it is canceled only
 * through the context it was derived from. */
static void cancel_node(node *n) { goro_ctx_cancel(n->ctx); }

static void test_tree(void) {
  node *root = build(NULL, 0); /* depth 0: a cancel context */
  expect(root, 0);
  node *mid = root->kids[1];       /* depth 1: a value context */
  node *mid2 = mid->kids[2];       /* depth 2: a cancel context */
  cancel_node(mid);                /* no effect: value context */
  expect(root, 0);
  CHECK_EQ((intptr_t)goro_ctx_value(mid2->kids[0]->ctx, &key_depth), 3);
  CHECK_EQ((intptr_t)goro_ctx_value(mid2->ctx, &key_depth), 1);
  CHECK(goro_ctx_value(root->ctx, &key_depth) == NULL);

  goro_ctx_cancel_cause(mid2->ctx, -EPIPE);
  expect(mid2, -ECANCELED);
  CHECK_EQ(goro_ctx_cause(mid2->ctx), -EPIPE);
  CHECK_EQ(goro_ctx_cause(mid2->kids[1]->kids[0]->ctx), -EPIPE);
  CHECK_EQ(goro_ctx_err(mid->ctx), 0);
  CHECK_EQ(goro_ctx_err(root->ctx), 0);
  for (int i = 0; i < FAN; i++)
    if (i != 2)
      expect(mid->kids[i], 0);
  expect(root->kids[0], 0);

  /* A second cancel changes nothing (the first wins). */
  goro_ctx_cancel(mid2->ctx);
  CHECK_EQ(goro_ctx_cause(mid2->ctx), -EPIPE);

  /* A child of a canceled context is born canceled. */
  goro_ctx *late = goro_ctx_with_cancel(mid2->kids[0]->ctx);
  CHECK_EQ(goro_ctx_err(late), -ECANCELED);
  CHECK(done_closed(late));
  CHECK_EQ(goro_ctx_cause(late), -EPIPE);
  goro_ctx_release(late);

  goro_ctx_cancel(root->ctx);
  expect(root, -ECANCELED);
  CHECK_EQ(goro_ctx_cause(root->ctx), -ECANCELED);
  CHECK_EQ(goro_ctx_cause(mid2->ctx), -EPIPE); /* kept its own */
  release_tree(root, 0);

  /* Release without canceling first, children before parents. */
  root = build(NULL, 0);
  release_tree(root, 1);
}

/* ---- waiters wake -------------------------------------------------------- */

static goro_ctx *shared_ctx;

static void recv_waiter(void *arg) {
  goro_ctx *c = arg;
  CHECK_EQ(goro_chan_recv(goro_ctx_done(c), NULL), 0); /* closed */
  CHECK_EQ(goro_ctx_err(c), -ECANCELED);
  goro_ctx_release(c);
  goro_wg_done(&wg);
}

static void select_waiter(void *arg) {
  goro_ctx *c = arg;
  goro_chan *never = goro_chan_make(sizeof(int), 0);
  int x;
  goro_case cs[2] = {{never, GORO_RECV, &x, 0},
                     {goro_ctx_done(c), GORO_RECV, NULL, 0}};
  CHECK_EQ(goro_select(cs, 2, 0), 1);
  CHECK_EQ(cs[1].ok, 0);
  goro_chan_release(never);
  goro_ctx_release(c);
  goro_wg_done(&wg);
}

static void wait_waiter(void *arg) {
  goro_ctx *c = arg;
  CHECK_EQ(goro_ctx_wait(c), -ECANCELED);
  goro_ctx_release(c);
  goro_wg_done(&wg);
}

static void *thread_waiter(void *arg) {
  goro_ctx *c = arg;
  CHECK_EQ(goro_ctx_wait(c), -ECANCELED);
  CHECK_EQ(goro_chan_recv(goro_ctx_done(c), NULL), 0);
  goro_ctx_release(c);
  return NULL;
}

static void test_waiters(void) {
  goro_ctx *root = goro_ctx_with_cancel(NULL);
  goro_ctx *leaf = goro_ctx_with_cancel(root);
  goro_ctx *deep = goro_ctx_with_value(leaf, &key_depth, NULL);
  shared_ctx = root;
  pthread_t th[2];
  goro_wg_add(&wg, 30);
  for (int i = 0; i < 10; i++) {
    goro_ctx_retain(deep);
    goro_go(recv_waiter, deep);
    goro_ctx_retain(leaf);
    goro_go(select_waiter, leaf);
    goro_ctx_retain(deep);
    goro_go(wait_waiter, deep);
  }
  for (int i = 0; i < 2; i++) {
    goro_ctx_retain(deep);
    CHECK(pthread_create(&th[i], NULL, thread_waiter, deep) == 0);
  }
  goro_sleep(2000000);
  goro_ctx_cancel(root);
  goro_wg_wait(&wg);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  goro_ctx_release(deep);
  goro_ctx_release(leaf);
  goro_ctx_release(root);
}

/* ---- deadlines --------------------------------------------------------------- */

static void test_deadlines(void) {
  int64_t t0 = goro_now();
  goro_ctx *d = goro_ctx_with_timeout(NULL, 5000000);
  CHECK(d != NULL);
  CHECK_EQ(goro_ctx_deadline(d), goro_ctx_deadline(d));
  CHECK(goro_ctx_deadline(d) >= t0 + 5000000);
  goro_ctx *child = goro_ctx_with_cancel(d);
  goro_ctx *later = goro_ctx_with_deadline(d, goro_now() + 60000000000LL);
  CHECK_EQ(goro_ctx_deadline(child), goro_ctx_deadline(d));
  CHECK_EQ(goro_ctx_deadline(later), goro_ctx_deadline(d)); /* not later */
  CHECK_EQ(goro_ctx_err(d), 0);
  CHECK_EQ(goro_ctx_wait(child), -ETIMEDOUT);
  CHECK(goro_now() >= t0 + 5000000);
  CHECK_EQ(goro_ctx_err(d), -ETIMEDOUT);
  CHECK_EQ(goro_ctx_err(later), -ETIMEDOUT);
  CHECK(done_closed(d));
  CHECK_EQ(goro_ctx_cause(child), -ETIMEDOUT);
  goro_ctx_release(later);
  goro_ctx_release(child);
  goro_ctx_release(d);

  /* An earlier child deadline fires first; the parent lives on. */
  goro_ctx *p = goro_ctx_with_timeout(NULL, 60000000000LL);
  goro_ctx *c = goro_ctx_with_timeout(p, 2000000);
  CHECK(goro_ctx_deadline(c) < goro_ctx_deadline(p));
  CHECK_EQ(goro_ctx_wait(c), -ETIMEDOUT);
  CHECK_EQ(goro_ctx_err(p), 0);
  /* Canceled before its deadline: -ECANCELED, and the timer is gone. */
  goro_ctx_cancel(p);
  CHECK_EQ(goro_ctx_err(p), -ECANCELED);
  goro_ctx_release(c);
  goro_ctx_release(p);

  /* A deadline already past. */
  goro_ctx *past = goro_ctx_with_deadline(NULL, goro_now() - 1);
  CHECK_EQ(goro_ctx_err(past), -ETIMEDOUT);
  CHECK(done_closed(past));
  goro_ctx_release(past);

  /* Many deadline contexts released before they fire. */
  for (int i = 0; i < 1000; i++)
    goro_ctx_release(goro_ctx_with_timeout(NULL, 1000000 + i * 1000));
  goro_sleep(3000000);
}

/* ---- the background --------------------------------------------------------- */

static void test_background(void) {
  goro_ctx *bg = goro_ctx_background();
  CHECK(bg != NULL);
  CHECK_EQ(goro_ctx_err(bg), 0);
  CHECK_EQ(goro_ctx_err(NULL), 0);
  CHECK(goro_ctx_done(bg) == NULL);
  CHECK_EQ(goro_ctx_deadline(bg), INT64_MAX);
  goro_ctx_cancel(bg);
  goro_ctx_retain(bg);
  goro_ctx_release(bg);
  goro_ctx_release(NULL);
  CHECK_EQ(goro_ctx_err(bg), 0);
  goro_ctx *v = goro_ctx_with_value(NULL, &key_depth, &wg);
  CHECK(goro_ctx_value(v, &key_depth) == &wg);
  CHECK(goro_ctx_value(v, &wg) == NULL);
  CHECK(goro_ctx_done(v) == NULL);
  goro_ctx_release(v);
}

int main(void) {
  test_background();
  test_tree();
  test_waiters();
  test_deadlines();
  return 0;
}
