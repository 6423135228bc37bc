/*
 * group.c: golang.org/x/sync/errgroup.Group.
 *
 * A WaitGroup for the goroutines, the first error (a CAS from 0: the first
 * to finish with an error wins, as errOnce does in Go), a context derived
 * from the parent and canceled with that error as its cause, and an
 * optional limit on active goroutines, which is a weighted semaphore of
 * that size (Go uses a buffered channel as a counting semaphore).
 *
 * Each goroutine runs a small record (fn, arg, group), allocated by
 * goro_group_go and freed by the goroutine. `active` counts goroutines
 * started and not finished, for SetLimit's and free's checks.
 *
 * Atomics: err is set once by a seq_cst CAS from 0 (the CASes of the
 * goroutines order among themselves; Wait reads it after the WaitGroup,
 * whose Done/Wait order every goroutine's writes before it). active is a
 * seq_cst counter read by setlimit and free; each decrement comes before
 * that goroutine's Done, so after Wait it reads 0.
 */
#include "sema.h"

#include <stdlib.h>

struct goro_group {
  goro_wg wg;
  goro_ctx *ctx;  /* a reference [imm] */
  int err;        /* first error [atomic: CAS from 0] */
  int limited;    /* [owner: only changed with no goroutine active] */
  goro_sema sem;  /* the limit, if limited */
  int64_t active; /* [atomic] */
};

typedef struct task {
  goro_group *g;
  int (*fn)(goro_ctx *, void *);
  void *arg;
} task;

goro_group *goro_group_new(goro_ctx *parent) {
  goro_group *g = goro__calloc(1, sizeof(*g));
  if (!g)
    return NULL;
  g->ctx = goro_ctx_with_cancel(parent);
  if (!g->ctx) {
    free(g);
    return NULL;
  }
  goro_wg z = GORO_WG_INIT;
  g->wg = z;
  return g;
}

goro_ctx *goro_group_ctx(goro_group *g) { return g->ctx; }

int goro_group_setlimit(goro_group *g, int n) {
  if (load_seq(&g->active) != 0)
    return -EBUSY;
  g->limited = n >= 0;
  goro_sema_init(&g->sem, n < 0 ? 0 : n);
  return 0;
}

static void run_task(void *arg) {
  task *t = arg;
  goro_group *g = t->g;
  int err = t->fn(g->ctx, t->arg);
  free(t);
  if (err < 0) {
    int zero = 0;
    if (cas_seq(&g->err, &zero, err))
      goro_ctx_cancel_cause(g->ctx, err);
  }
  if (g->limited)
    goro_sema_release(&g->sem, 1);
  fetch_add_seq(&g->active, -1);
  goro_wg_done(&g->wg);
}

static int start(goro_group *g, int (*fn)(goro_ctx *, void *), void *arg,
                 bool wait) {
  if (!fn)
    return -EINVAL;
  if (g->limited) {
    if (!wait) {
      if (!goro_sema_tryacquire(&g->sem, 1))
        return -EAGAIN;
    } else {
      int err = goro_sema_acquire(&g->sem, 1);
      if (err)
        return err; /* a limit of 0: it never could */
    }
  }
  task *t = goro__malloc(sizeof(*t));
  if (!t) {
    if (g->limited)
      goro_sema_release(&g->sem, 1);
    return -ENOMEM;
  }
  t->g = g;
  t->fn = fn;
  t->arg = arg;
  fetch_add_seq(&g->active, 1);
  goro_wg_add(&g->wg, 1);
  int64_t id = goro_go(run_task, t);
  if (id < 0) {
    free(t);
    fetch_add_seq(&g->active, -1);
    goro_wg_done(&g->wg);
    if (g->limited)
      goro_sema_release(&g->sem, 1);
    return (int)id;
  }
  return 0;
}

int goro_group_go(goro_group *g, int (*fn)(goro_ctx *, void *), void *arg) {
  return start(g, fn, arg, true);
}

int goro_group_trygo(goro_group *g, int (*fn)(goro_ctx *, void *),
                     void *arg) {
  return start(g, fn, arg, false);
}

int goro_group_wait(goro_group *g) {
  goro_wg_wait(&g->wg);
  int err = load_seq(&g->err);
  goro_ctx_cancel_cause(g->ctx, err);
  return err;
}

void goro_group_free(goro_group *g) {
  if (!g)
    return;
  if (load_seq(&g->active) != 0)
    goro__fatal("goro_group_free: goroutines of the group are still running");
  goro_ctx_release(g->ctx);
  free(g);
}
