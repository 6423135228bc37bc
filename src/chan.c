/*
 * chan.c: Go's channels (make, send, receive, close, len, cap) on the
 * runtime's one wait primitive (sched/park.h). select is in select.c; the
 * object, its invariants and the locked operations both files share are in
 * chan.h. docs/channels.md tells the same story with the measurements.
 *
 * ---------------------------------------------------------------------------
 * The design (Go's runtime/chan.go, in C)
 * ---------------------------------------------------------------------------
 * A channel is one lock, a ring of dataqsiz values, and two FIFO queues of
 * waiters: goroutines (or threads) blocked sending and blocked receiving.
 * Every operation that can change the channel takes the lock exactly once:
 *
 *   send  closed?            -> -EPIPE
 *         a waiting receiver -> copy the value straight into the
 *                               receiver's memory, wake it
 *         room in the ring   -> copy into the ring
 *         otherwise          -> enqueue a waiter pointing at the value,
 *                               block; the partner copies
 *   recv  a waiting sender   -> unbuffered: copy straight from the sender's
 *                               memory; buffered (the ring is then full):
 *                               take the head, put the sender's value at
 *                               the tail; wake the sender
 *         a value in the ring-> take it
 *         closed             -> zero out, return 0
 *         otherwise          -> enqueue a waiter pointing at out, block
 *   close                    -> mark closed, take every waiter off both
 *                               queues (receivers get a zeroed value and
 *                               ok == 0, senders -EPIPE), wake them all
 *
 * So an unbuffered value is never stored in the channel: it goes from the
 * sender's memory to the receiver's, by whichever of the two arrives second.
 * A waiter lives on its owner's stack (or the thread's) for the length of
 * the wait; nothing is allocated per operation.
 *
 * Alternatives rejected. A lock-free ring (Vyukov's bounded queue) makes
 * the buffered fast path cheaper under contention but not the waiting,
 * closing and select paths, which need every state change of the channel
 * ordered against the queues; two mechanisms would have to agree (and a
 * lock-free sender could overtake a queued one, breaking FIFO service).
 * Go chose one lock for the same reasons. Spinning before parking was
 * tried in select (up to 64 rounds of peeks while other processors run):
 * it parked just as often and was no faster, because the partner usually
 * waits to run on this same processor (runnext) until we park.
 *
 * The lock itself is not a goro__lock: see "the channel lock" in chan.h.
 *
 * ---------------------------------------------------------------------------
 * The waiter protocol (park.h's contract, as channels use it)
 * ---------------------------------------------------------------------------
 *  - The blocker holds c->lock, fills a goro__waiter (elem: its value or
 *    its destination; for select also selectdone, index, waitlink),
 *    appends it to sendq or recvq, and calls goro__block with
 *    goro__chan_unlock: the lock is released only once the goroutine's
 *    context is saved, so a partner who finds the waiter may wake it at
 *    once.
 *  - A waker holds c->lock, takes the waiter off the queue
 *    (goro__chan_dequeue, which also decides a select's race with its
 *    selectdone CAS), copies the value and writes `result` (send: 0 or
 *    -EPIPE; receive: 1 or 0), releases the lock, and calls goro__wake once
 *    (goro__chan_wake). It never touches the waiter after that.
 *  - The blocker, resumed, reads `result`. Waking a goroutine from a
 *    goroutine puts it in the waker's runnext slot, so a ping-pong pair
 *    stays on one core.
 *
 * Lock order: a channel lock is an object lock (internal.h: object locks,
 * then sched.lock, then the stack pool lock). Channel operations hold one
 * channel lock at a time; only select's step 1b holds several, taken in
 * increasing address order with duplicates taken once (select.c), so two
 * selects never wait for each other. goro__block, for a thread, takes
 * sched.lock below the channel lock(s), which the order allows; wakes
 * happen after the channel lock is released. No channel lock is held while
 * calling user code.
 *
 * ---------------------------------------------------------------------------
 * Fast paths (no lock), Go's reasoning
 * ---------------------------------------------------------------------------
 * trysend and tryrecv return -EAGAIN without the lock when the channel is
 * observably not ready, which is what a non-blocking select on one channel
 * spends its time doing:
 *  - trysend: if the channel reads full (no waiting receiver / qcount ==
 *    dataqsiz; load-acquire, so the next read cannot move before it) and
 *    then closed reads 0, it was open and full at the first read, since a
 *    channel never reopens: return -EAGAIN as if observed at that moment.
 *    (Go reads closed first; this order makes the argument one line.)
 *  - tryrecv: if the channel reads empty (no waiting sender / qcount == 0,
 *    load-acquire so the next read cannot move before it) and then closed
 *    reads 0, it was open and empty at the first read: -EAGAIN. If closed
 *    reads 1 (load-acquire, pairs with the store-release in close, so every
 *    send that happened before the close is visible), read empty again: a
 *    closed channel only drains, so empty now means closed and drained:
 *    return 0.
 * qcount and closed are written with atomic stores under the lock (relaxed,
 * and release), so these reads are well defined. The queue heads are
 * written by park.h's plain pointer stores; the fast paths read them with
 * atomic loads, as Go does, relying on an aligned pointer store never
 * being torn: the value read is one the head really held.
 */
#include "chan.h"

#include <sched.h>
#include <stdlib.h>

void goro__chan_unlock(void *c) { chan_unlock((goro_chan *)c); }

/* Contended: the holder is running on another CPU (it never blocks with
 * the lock), or was preempted by the kernel. Spin briefly, then yield the
 * CPU to it, then poll with short sleeps so a long preemption costs no CPU.
 * Nobody ever wakes the futex word: the sleep is a timed poll. The spin
 * backs off (1, 2, 4, ... then 64 pauses between looks): a waiter that
 * keeps pulling the line away slows the holder, and letting one side run
 * a few operations in a row moves the line less often. ChanProdCons1024
 * at 2 processors went from 1.2x Go's cost to 0.75x with a cap of 8
 * pauses; on the machine measured now, where a line takes about 230 ns
 * to cross between the CPUs, a cap of 64 took it from 62 to 46 ns per
 * value (medians of 11 interleaved runs; Go 102), with the unbuffered,
 * capacity-1 and select rows unchanged. */
void goro__chan_lock_slow(goro_chan *c) {
  for (int i = 0;; i++) {
    uint32_t z = 0;
    if (load_relaxed(&c->lock) == 0 && cas_acq_rel(&c->lock, &z, 1))
      return;
    if (i < 40) /* about 2,200 pauses in all, tens of microseconds */
      for (int k = 0, n = i < 6 ? 1 << i : 64; k < n; k++)
        cpu_relax();
    else if (i < 60)
      sched_yield();
    else
      goro__futex_wait(&c->lock, 1, goro__nanotime() + 50000);
  }
}

void goro__chan_block_forever(const char *reason) {
  goro__waiter w;
  goro__waiter_init(&w);
  if (!w.g)
    (void)goro__runtime_init(); /* so a thread counts for deadlocks */
  /* Published nowhere: nobody can ever wake it. */
  for (;;)
    goro__block(&w, NULL, NULL, reason);
}

/* ---- make, references --------------------------------------------------- */

goro_chan *goro_chan_make(size_t elem_size, size_t cap) {
  size_t hdr = GORO__CHAN_HDR;
  if (elem_size && cap > (SIZE_MAX / 2 - hdr) / elem_size)
    return NULL;
  size_t size = hdr + elem_size * cap;
  size = (size + GORO_CACHELINE - 1) & ~(size_t)(GORO_CACHELINE - 1);
  /* Cache-line aligned, so the header's first line (chan.h) holds
   * everything an unbuffered operation touches and no other object shares
   * it; the ring starts on a line of its own, aligned for any type. */
  goro_chan *c = goro__aligned_alloc(GORO_CACHELINE, size);
  if (!c)
    return NULL;
  memset(c, 0, sizeof(*c));
  c->dataqsiz = cap;
  c->elemsize = elem_size;
  c->refs = 1;
  return c;
}

void goro_chan_retain(goro_chan *c) {
  if (c)
    fetch_add_relaxed(&c->refs, 1); /* the caller already holds one */
}

void goro_chan_release(goro_chan *c) {
  if (!c)
    return;
  /* acq_rel: our earlier uses of c happen before the decrement (release);
   * the last decrementer sees everyone's uses before it frees (acquire).
   * The same edge for ThreadSanitizer, which sees free() as a write. */
  goro__hb_release(&c->refs);
  uint32_t old = __atomic_fetch_sub(&c->refs, 1, __ATOMIC_ACQ_REL);
  if (old > 1)
    return;
  goro__hb_acquire(&c->refs);
  if (unlikely(old == 0))
    goro__fatal("goro_chan_release: reference count went negative "
                "(a channel released more often than retained)");
  chan_lock(c);
  bool waiters = c->recvq.head || c->sendq.head;
  chan_unlock(c);
  if (unlikely(waiters))
    goro__fatal("goro_chan_release: last reference released while "
                "goroutines wait on the channel");
  if (c->fin)
    c->fin(c->fin_arg);
  free(c);
}

void goro__chan_set_finalizer(goro_chan *c, void (*fn)(void *), void *arg) {
  c->fin = fn;
  c->fin_arg = arg;
}

/* ---- send -----------------------------------------------------------------
 */

static GORO_NOINLINE int send_block(goro_chan *c, const void *elem,
                                    const char *reason) {
  goro__waiter w;
  goro__waiter_init(&w);
  if (!w.g)
    (void)goro__runtime_init();
  w.obj = c;
  w.elem = (void *)elem;
  goro__waitq_push(&c->sendq, &w);
  goro__chan_hb_park(&w);
  goro__block(&w, goro__chan_unlock, c, reason);
  goro__chan_hb_woken(&w);
  /* A receiver took the value (0), or close woke us (-EPIPE). */
  return w.result;
}

int goro_chan_send(goro_chan *c, const void *elem) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  if (unlikely(!c))
    goro__chan_block_forever("chan send (nil chan)");
  goro__race_read(goro__chan_raceaddr(c), GORO__CALLER_PC());
  goro__waiter *wake;
  chan_lock(c);
  int r = goro__chan_send_locked(c, elem, &wake);
  if (likely(r != -EAGAIN)) {
    chan_unlock(c);
    if (wake)
      goro__chan_wake(wake);
    return r;
  }
  return send_block(c, elem, "chan send");
}

static inline bool chan_full(goro_chan *c) {
  /* Acquire: the caller's following read of closed stays after this. */
  return c->dataqsiz == 0 ? load_acq(&c->recvq.head) == NULL
                          : load_acq(&c->qcount) == c->dataqsiz;
}

int goro_chan_trysend(goro_chan *c, const void *elem) {
  if (c)
    goro__race_read(goro__chan_raceaddr(c), GORO__CALLER_PC());
  return goro__chan_trysend(c, elem);
}

int goro__chan_trysend(goro_chan *c, const void *elem) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  if (!c)
    return -EAGAIN;
  /* Fast path, see the top of the file. */
  if (chan_full(c) && !load_acq(&c->closed))
    return -EAGAIN;
  goro__waiter *wake;
  chan_lock(c);
  int r = goro__chan_send_locked(c, elem, &wake);
  chan_unlock(c);
  if (wake)
    goro__chan_wake(wake);
  return r;
}

/* ---- receive --------------------------------------------------------------
 */

static GORO_NOINLINE int recv_block(goro_chan *c, void *out,
                                    const char *reason) {
  goro__waiter w;
  goro__waiter_init(&w);
  if (!w.g)
    (void)goro__runtime_init();
  w.obj = c;
  w.elem = out;
  goro__waitq_push(&c->recvq, &w);
  goro__chan_hb_park(&w);
  goro__block(&w, goro__chan_unlock, c, reason);
  goro__chan_hb_woken(&w);
  /* A sender copied a value into out (1), or close zeroed it (0). */
  return w.result;
}

int goro_chan_recv(goro_chan *c, void *out) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  if (unlikely(!c))
    goro__chan_block_forever("chan receive (nil chan)");
  goro__waiter *wake;
  chan_lock(c);
  int r = goro__chan_recv_locked(c, out, &wake);
  if (likely(r != -EAGAIN)) {
    chan_unlock(c);
    if (wake)
      goro__chan_wake(wake);
    return r;
  }
  return recv_block(c, out, "chan receive");
}

static inline bool chan_empty(goro_chan *c) {
  /* Acquire: the caller's following read of closed stays after this. */
  return c->dataqsiz == 0 ? load_acq(&c->sendq.head) == NULL
                          : load_acq(&c->qcount) == 0;
}

int goro_chan_tryrecv(goro_chan *c, void *out) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  if (!c)
    return -EAGAIN;
  if (chan_empty(c)) {
    /* Acquire pairs with the store-release of closed in goro_chan_close. */
    if (!load_acq(&c->closed))
      return -EAGAIN;
    if (chan_empty(c)) {
      goro__hb_acquire(c); /* the close happened before (chan.h) */
      goro__elem_zero(out, c->elemsize);
      return 0;
    }
  }
  goro__waiter *wake;
  chan_lock(c);
  int r = goro__chan_recv_locked(c, out, &wake);
  chan_unlock(c);
  if (wake)
    goro__chan_wake(wake);
  return r;
}

/* ---- close ----------------------------------------------------------------
 */

int goro_chan_close(goro_chan *c) {
  if (c)
    goro__race_write(goro__chan_raceaddr(c), GORO__CALLER_PC());
  return goro__chan_close(c);
}

int goro__chan_close(goro_chan *c) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  if (!c)
    return -EINVAL;
  chan_lock(c);
  if (c->closed) {
    chan_unlock(c);
    return -EPIPE;
  }
  goro__hb_release(c); /* to the receives that see the close (chan.h) */
  /* Release: pairs with the load-acquire in tryrecv's fast path. */
  store_rel(&c->closed, 1);
  /* Collect every waiter that is ours to wake, linked through `next`
   * (free once off the queue): receivers first, then senders, each in
   * FIFO order, as Go does. */
  goro__waiter *list = NULL, **tail = &list, *w;
  while ((w = goro__chan_dequeue(&c->recvq)) != NULL) {
    goro__elem_zero(w->elem, c->elemsize);
    w->result = 0;
    *tail = w;
    tail = &w->next;
  }
  while ((w = goro__chan_dequeue(&c->sendq)) != NULL) {
    w->result = -EPIPE;
    *tail = w;
    tail = &w->next;
  }
  *tail = NULL;
  chan_unlock(c);
  while (list) {
    w = list;
    list = w->next; /* read before the wake: w may vanish after it */
    goro__chan_wake(w);
  }
  return 0;
}

/* ---- len, cap -------------------------------------------------------------
 */

size_t goro_chan_len(goro_chan *c) { return c ? load_relaxed(&c->qcount) : 0; }

size_t goro_chan_cap(goro_chan *c) { return c ? c->dataqsiz : 0; }
