/*
 * rwmutex.c: sync.RWMutex, Go's design (sync/rwmutex.go).
 *
 * Fields (goro.h):
 *   _w               a goro_mutex that writers take among themselves
 *   _reader._word    readerCount: readers holding or waiting for the read
 *                    lock, minus MAX_READERS while a writer is pending
 *   _writer._word    readerWait: readers the pending writer still waits for
 *   _reader, _writer semaphores where readers wait for the writer, and the
 *                    writer waits for departing readers
 *
 * RLock adds 1 to readerCount; a negative result means a writer is pending
 * or holds the lock, so the reader sleeps on _reader. RUnlock subtracts 1;
 * a negative result means a writer is pending, and the reader counts down
 * readerWait; the last one wakes the writer.
 *
 * Lock takes _w, then subtracts MAX_READERS from readerCount (announcing
 * itself: new readers now block), which tells it how many readers were
 * active; it adds them to readerWait and, if some are still active, sleeps
 * on _writer. Unlock adds MAX_READERS back and releases one unit of
 * _reader per reader that blocked meanwhile, then releases _w.
 *
 * So a waiting writer holds back readers that arrive after it: readers
 * cannot starve a writer, and the writer waits only for the readers that
 * were already inside. Every RMW is sequentially consistent, as in Go.
 *
 * ThreadSanitizer edges (Go's race annotations): a reader acquires on
 * &_reader and releases on &_writer; a writer acquires on both and
 * releases on &_reader (plus the _w mutex's own).
 */
#include "sema.h"

#define MAX_READERS (1 << 30)

#define READER_COUNT(m) (&(m)->_reader._word)
#define READER_WAIT(m) (&(m)->_writer._word)

void goro_rwmutex_rlock(goro_rwmutex *m) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  if (unlikely(add_fetch_seq(READER_COUNT(m), 1) < 0))
    goro__semacquire(&m->_reader, false, "sync.RWMutex.RLock");
  goro__hb_acquire(&m->_reader);
}

int goro_rwmutex_tryrlock(goro_rwmutex *m) {
  int32_t c = load_seq(READER_COUNT(m));
  while (c >= 0)
    if (cas_seq(READER_COUNT(m), &c, c + 1)) {
      goro__hb_acquire(&m->_reader);
      return 1;
    }
  return 0;
}

static GORO_NOINLINE void runlock_slow(goro_rwmutex *m, int32_t r) {
  if (r + 1 == 0 || r + 1 == -MAX_READERS)
    goro__fatal("sync: RUnlock of unlocked RWMutex");
  /* A writer is pending: the last reader it waits for wakes it. */
  if (add_fetch_seq(READER_WAIT(m), -1) == 0)
    goro__semrelease(&m->_writer, 0);
}

void goro_rwmutex_runlock(goro_rwmutex *m) {
  goro__hb_release(&m->_writer);
  int32_t r = add_fetch_seq(READER_COUNT(m), -1);
  if (unlikely(r < 0))
    runlock_slow(m, r);
}

void goro_rwmutex_lock(goro_rwmutex *m) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  goro__mutex_lock_as(&m->_w, "sync.RWMutex.Lock");
  /* Announce the writer; r is the number of readers inside. */
  int32_t r = add_fetch_seq(READER_COUNT(m), -MAX_READERS) + MAX_READERS;
  if (r != 0 && add_fetch_seq(READER_WAIT(m), r) != 0)
    goro__semacquire(&m->_writer, false, "sync.RWMutex.Lock");
  goro__hb_acquire(&m->_reader);
  goro__hb_acquire(&m->_writer);
}

int goro_rwmutex_trylock(goro_rwmutex *m) {
  if (!goro_mutex_trylock(&m->_w))
    return 0;
  int32_t zero = 0;
  if (!cas_seq(READER_COUNT(m), &zero, -MAX_READERS)) {
    goro_mutex_unlock(&m->_w);
    return 0;
  }
  goro__hb_acquire(&m->_reader);
  goro__hb_acquire(&m->_writer);
  return 1;
}

void goro_rwmutex_unlock(goro_rwmutex *m) {
  goro__hb_release(&m->_reader);
  /* Announce to readers there is no active writer. */
  int32_t r = add_fetch_seq(READER_COUNT(m), MAX_READERS);
  if (unlikely(r >= MAX_READERS))
    goro__fatal("sync: Unlock of unlocked RWMutex");
  /* Unblock the readers that arrived while the writer held the lock. */
  for (int32_t i = 0; i < r; i++)
    goro__semrelease(&m->_reader, 0);
  goro_mutex_unlock(&m->_w);
}
