/*
 * once.c: sync.Once (Go's sync/once.go).
 *
 * _done is 1 once fn has returned. The fast path is one load-acquire of
 * it, which pairs with the store-release after fn: whoever sees 1 sees
 * everything fn did. The slow path takes the mutex, so concurrent callers
 * wait for the one running fn; _done is set only after fn returns, so no
 * caller returns before that (a CAS-only "once" would let a second caller
 * return while fn still runs, which is the bug Go's comment warns about).
 */
#include "sema.h"

static GORO_NOINLINE void once_slow(goro_once *o, void (*fn)(void *),
                                    void *arg) {
  goro__mutex_lock_as(&o->_m, "sync.Once.Do");
  if (!o->_done) {
    if (fn)
      fn(arg);
    goro__hb_release(o);
    store_rel(&o->_done, 1);
  }
  goro_mutex_unlock(&o->_m);
}

void goro_once_do(goro_once *o, void (*fn)(void *), void *arg) {
  if (likely(load_acq(&o->_done))) {
    goro__hb_acquire(o); /* ThreadSanitizer builds: fn's effects */
    return;
  }
  once_slow(o, fn, arg);
  goro__hb_acquire(o);
}
