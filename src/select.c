/*
 * select.c: Go's select statement (runtime/select.go, in C).
 *
 * goro_select(cases, n, flags) waits until one case can proceed, runs
 * exactly that one, and returns its index. The protocol, in four passes:
 *
 *  0. Orders. pollorder is a uniformly random permutation of the cases
 *     whose channel is not NULL (an inside-out Fisher-Yates shuffle, its
 *     draws cut from the thread's fast random numbers); NULL cases are
 *     never chosen.
 *     lockorder (built only when step 1b needs it) is the same cases
 *     sorted by channel address: insertion sort for small selects, heap
 *     sort beyond (no recursion, no allocation, O(n log n)).
 *  1. Find a ready case, in two steps.
 *     1a. Visit the cases in pollorder, peeking at each channel without
 *         its lock (sel_peek: a waiting partner, a value or room in the
 *         ring, or closed). At the first that looks ready, take that one
 *         channel's lock, run the case with the same locked operations as
 *         goro_chan_send/recv (chan.h), unlock, wake the partner, return.
 *         If the peek was stale (the case is not ready under the lock),
 *         go on with the next case.
 *     1b. Nothing looked ready: lock every channel in lockorder, each
 *         distinct channel once (duplicates are adjacent in lockorder),
 *         and visit the cases in pollorder again, as Go's pass 1 does.
 *         Run the first ready case, or with GORO_NONBLOCK and none ready
 *         unlock and return -EAGAIN (the default case).
 *     Because pollorder is a uniform permutation, the case chosen is
 *     uniform among the ready ones. Step 1a departs from Go, which always
 *     locks every channel first: a case run in 1a was ready under its own
 *     lock at the moment it ran, which is all a select promises about the
 *     case it picks (the select is linearized at that moment); only the
 *     answers "none is ready" (default, or block) need every lock held at
 *     once, and those only come out of 1b. The gain: a select that finds
 *     a ready case takes one lock instead of n, and writes to no other
 *     channel's cache line, which is most of its cost when the producers
 *     run on other processors. The uniformity holds as in Go when the set
 *     of ready cases does not change during the scan; a case that turns
 *     ready during the scan, after it was peeked, may lose to a later one,
 *     as it would have in Go had it turned ready a moment later.
 *  2. Still holding every lock (from 1b): put one waiter per case on its
 *     channel's queue (in lockorder). All of them point at one goro__selstate
 * on this stack (chan.h): `done` is the word whose CAS from 0 decides which
 * waker wins. Then goro__block, whose unlock function releases the locks once
 * this goroutine's context is saved (park.h, rule 2).
 *  3. Woken: the winning waker has taken its waiter off its queue, written
 *     the outcome (copied the value, result) and stored index + 1 in
 *     `done`. Every other waiter may still sit on its queue, and a waker
 *     that lost the CAS on another channel may still be looking at it
 *     under that channel's lock. So lock each distinct channel in turn
 *     (one at a time: only one lock is needed to unlink from one queue,
 *     and holding one never deadlocks), unlink this select's waiters that
 *     are still queued (goro__chan_unlink), unlock. After that no other
 *     thread can reach any of the waiters, and the frame may go.
 *
 * Lock order, and why no deadlock: whoever holds more than one channel lock
 * (step 1b, and the unlock function of step 2) took them in increasing
 * address order; everyone else (channel operations, steps 1a and 3) holds
 * one at a time. So no cycle of waiting lock holders can form. Below the
 * channel locks come sched.lock and the stack pool lock (internal.h),
 * which goro__block and goro__wake may take.
 *
 * The unlock function runs after this goroutine's context is saved, maybe
 * while another thread already resumed it (a waker took the first lock it
 * released). It must not read this frame after its last unlock, because the
 * frame may be gone then. It unlocks in decreasing lockorder and reads the
 * frame only while it still holds the lowest channel's lock, which it
 * releases last. Before the selector can return, either pass 3 takes that
 * same lock, or the select was won on that channel, whose waker needed the
 * lock too; so the frame outlives every read (Go's selunlock does the
 * same).
 *
 * Memory: pollorder, lockorder and the waiters live on the caller's stack
 * for up to SEL_SMALL cases; larger selects allocate one block (and
 * return -ENOMEM if they cannot), freed before return.
 *
 * A select with one non-NULL case and GORO_NONBLOCK is a plain
 * trysend/tryrecv, with their lock-free fast paths (Go's compiler makes the
 * same rewrite).
 */
#include "chan.h"

#include <stdlib.h>

#define SEL_SMALL 8 /* cases handled with no allocation */
#define SEL_INSERTION 16

static inline goro_chan *chan_of(const goro_case *cases, uint32_t i) {
  return cases[i].chan;
}

/* ---- lock order ------------------------------------------------------------
 */

static void sort_insertion(const goro_case *cases, uint32_t *a, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    uint32_t x = a[i];
    uintptr_t key = (uintptr_t)chan_of(cases, x);
    uint32_t j = i;
    for (; j > 0 && (uintptr_t)chan_of(cases, a[j - 1]) > key; j--)
      a[j] = a[j - 1];
    a[j] = x;
  }
}

static void sift(const goro_case *cases, uint32_t *a, uint32_t root,
                 uint32_t n) {
  for (;;) {
    uint32_t child = 2 * root + 1;
    if (child >= n)
      return;
    if (child + 1 < n && (uintptr_t)chan_of(cases, a[child]) <
                             (uintptr_t)chan_of(cases, a[child + 1]))
      child++;
    if ((uintptr_t)chan_of(cases, a[root]) >=
        (uintptr_t)chan_of(cases, a[child]))
      return;
    uint32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

static void sort_lockorder(const goro_case *cases, uint32_t *a, uint32_t n) {
  if (n <= SEL_INSERTION) {
    sort_insertion(cases, a, n);
    return;
  }
  for (uint32_t i = n / 2; i-- > 0;)
    sift(cases, a, i, n);
  for (uint32_t end = n; end-- > 1;) {
    uint32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift(cases, a, 0, end);
  }
}

static void sellock(const goro_case *cases, const uint32_t *lockorder,
                    uint32_t n) {
  goro_chan *prev = NULL;
  for (uint32_t i = 0; i < n; i++) {
    goro_chan *c = chan_of(cases, lockorder[i]);
    if (c != prev) {
      chan_lock(c);
      prev = c;
    }
  }
}

/* Unlocks in decreasing lockorder; see the top of the file for why it must
 * not read the arrays after its last unlock. */
static void selunlock(const goro_case *cases, const uint32_t *lockorder,
                      uint32_t n) {
  for (uint32_t i = n; i-- > 0;) {
    goro_chan *c = chan_of(cases, lockorder[i]);
    if (i > 0 && c == chan_of(cases, lockorder[i - 1]))
      continue; /* unlocked at its first occurrence */
    chan_unlock(c);
  }
}

typedef struct selunlock_arg {
  const goro_case *cases;
  const uint32_t *lockorder;
  uint32_t n;
} selunlock_arg;

static void selunlock_cb(void *arg) {
  /* Copy the argument out of the parked frame while we still hold every
   * lock, so the loop never reads the frame after its last unlock. */
  selunlock_arg a = *(selunlock_arg *)arg;
  selunlock(a.cases, a.lockorder, a.n);
}

/* ---- pass 1: run a ready case -----------------------------------------------
 */

/* Runs cases[i] if it can proceed. Returns -EAGAIN if not; otherwise the
 * select's result (i, or -EPIPE for a send on a closed channel). */
static inline int sel_try(goro_case *cs, uint32_t i, goro__waiter **wake) {
  int r;
  if (cs->op == GORO_RECV) {
    r = goro__chan_recv_locked(cs->chan, cs->elem, wake);
    if (r == -EAGAIN)
      return r;
    cs->ok = r;
    return (int)i;
  }
  r = goro__chan_send_locked(cs->chan, cs->elem, wake);
  if (r == -EAGAIN)
    return r;
  cs->ok = r == 0;
  return r == 0 ? (int)i : r;
}

/* Whether cases[i] looks ready, read without its lock (relaxed loads of
 * fields written under the lock; a hint only: sel_try decides). */
static inline bool sel_peek(const goro_case *cs) {
  goro_chan *c = cs->chan;
  if (cs->op == GORO_RECV)
    return load_relaxed(&c->sendq.head) != NULL ||
           load_relaxed(&c->qcount) != 0 || load_relaxed(&c->closed);
  return load_relaxed(&c->recvq.head) != NULL ||
         load_relaxed(&c->qcount) < c->dataqsiz || load_relaxed(&c->closed);
}

/* ---- passes 2 and 3: wait on every channel
 * ----------------------------------- */

static GORO_NOINLINE int select_block(goro_case *cases,
                                      const uint32_t *lockorder, uint32_t n,
                                      goro__waiter *big) {
  goro__waiter small[SEL_SMALL];
  goro__waiter *ws = big ? big : small;
  goro__selstate st = {.done = 0, .primary = &ws[0]};
  goro__g *g = goro__g_get();
  if (!g)
    (void)goro__runtime_init(); /* a thread counts for deadlocks */

  /* Pass 2: enqueue on every channel, in lockorder, every lock held. */
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = lockorder[k];
    goro_case *cs = &cases[i];
    goro__waiter *w = &ws[k];
    w->g = g;
    w->futex = 0;
    w->result = 0;
    w->obj = cs->chan;
    w->elem = cs->elem;
    w->waitlink = k + 1 < n ? &ws[k + 1] : NULL;
    w->selectdone = &st.done;
    w->index = (int)i;
    w->ticket = 0;
    goro__waitq_push(cs->op == GORO_RECV ? &cs->chan->recvq : &cs->chan->sendq,
                     w);
  }
  if (g)
    g->waiting = &ws[0];
  goro__chan_hb_park(&ws[0]); /* ThreadSanitizer: chan.h */
  selunlock_arg ua = {cases, lockorder, n};
  goro__block(&ws[0], selunlock_cb, &ua, "select");
  goro__chan_hb_woken(&ws[0]);

  /* Woken. Acquire: pairs with the winner's CAS; the goro__wake that
   * resumed us already ordered its writes before this point. */
  uint32_t won = load_acq(&st.done) - 1;
  if (g)
    g->waiting = NULL;

  /* Pass 3: unlink the losers, one channel lock at a time (a channel's
   * cases are adjacent in lockorder). The winner's channel needs no lock
   * when the winner is our only waiter on it: its waker took it off the
   * queue and will never look at it again. The lowest channel is then
   * either locked here or the winner's, whose waker needed the lock the
   * unlock function releases last: either way that function is done with
   * this frame before we return (see the top of the file). */
  goro__waiter *winner = NULL;
  for (uint32_t k = 0; k < n;) {
    goro_chan *c = cases[lockorder[k]].chan;
    uint32_t end = k + 1;
    while (end < n && cases[lockorder[end]].chan == c)
      end++;
    if (end == k + 1 && lockorder[k] == won) {
      winner = &ws[k];
      k = end;
      continue;
    }
    chan_lock(c);
    for (; k < end; k++) {
      uint32_t i = lockorder[k];
      if (i == won)
        winner = &ws[k]; /* its waker already took it off the queue */
      else
        goro__chan_unlink(cases[i].op == GORO_RECV ? &c->recvq : &c->sendq,
                          &ws[k]);
    }
    chan_unlock(c);
  }

  GORO_ASSERT(winner != NULL);
  goro_case *cs = &cases[won];
  if (cs->op == GORO_RECV) {
    cs->ok = winner->result; /* 1 a value, 0 closed (elem zeroed) */
    return (int)won;
  }
  if (winner->result != 0) { /* closed while we waited */
    cs->ok = 0;
    return -EPIPE;
  }
  cs->ok = 1;
  return (int)won;
}

/* ---- goro_select
 * ---------------------------------------------------------------- */

int goro_select(goro_case *cases, size_t n, int flags) {
  goro__sched_point(); /* GORO_SEED: may switch here (sched.h) */
  bool block = !(flags & GORO_NONBLOCK);
  if (n > 0 && !cases)
    return -EINVAL;
  if (n > (size_t)INT32_MAX)
    return -EINVAL;
#ifdef GORO_TSAN
  /* Go's selectgo reads each send case's channel in the user's name
   * (chan.h, goro__chan_raceaddr). */
  for (size_t i = 0; i < n; i++)
    if (cases[i].op == GORO_SEND && cases[i].chan)
      goro__race_read(goro__chan_raceaddr(cases[i].chan), GORO__CALLER_PC());
#endif

  uint32_t orders[2 * SEL_SMALL];
  uint32_t *pollorder = orders, *lockorder = orders + SEL_SMALL;
  goro__waiter *big = NULL;
  if (unlikely(n > SEL_SMALL)) {
    /* One block: the waiters (needed only if we block, but allocated now
     * so the blocking path never fails), then both orders. */
    big = malloc(n * (sizeof(goro__waiter) + 2 * sizeof(uint32_t)));
    if (!big)
      return -ENOMEM;
    pollorder = (uint32_t *)(big + n);
    lockorder = pollorder + n;
  }

  /* Pass 0: the random poll order, without the NULL cases. Each step
   * needs a uniform j in [0, norder]: take it as the integer part of
   * x * (norder + 1), where x is a 64-bit random fraction, and keep the
   * fractional part as the next x. A fresh x is drawn once the ranges used
   * multiply past 2^32, so every draw still has 32 random bits under it
   * (bias below 2^-32), and a small select costs one random number instead
   * of one per case. */
  uint32_t norder = 0;
  uint64_t x = 0, used = UINT64_MAX;
  for (uint32_t i = 0; i < (uint32_t)n; i++) {
    if (unlikely(cases[i].op != GORO_RECV && cases[i].op != GORO_SEND)) {
      free(big);
      return -EINVAL;
    }
    if (!cases[i].chan)
      continue;
    if (used > ((uint64_t)1 << 32) / (norder + 1)) {
      x = goro__fastrand();
      used = 1;
    }
    used *= norder + 1;
    __uint128_t t = (__uint128_t)x * (norder + 1);
    uint32_t j = (uint32_t)(t >> 64);
    x = (uint64_t)t;
    pollorder[norder] = pollorder[j];
    pollorder[j] = i;
    norder++;
  }

  if (norder == 0) {
    free(big);
    if (!block)
      return -EAGAIN;
    goro__chan_block_forever(n == 0 ? "select (no cases)" : "select");
  }

  if (norder == 1 && !block) {
    /* One channel and a default: Go's selectnbsend / selectnbrecv. */
    uint32_t i = pollorder[0];
    goro_case *cs = &cases[i];
    free(big);
    int r;
    if (cs->op == GORO_RECV) {
      r = goro_chan_tryrecv(cs->chan, cs->elem);
      if (r == -EAGAIN)
        return r;
      cs->ok = r;
      return (int)i;
    }
    r = goro__chan_trysend(cs->chan, cs->elem);
    if (r == -EAGAIN)
      return r;
    cs->ok = r == 0;
    return r == 0 ? (int)i : r;
  }

  /* Pass 1a: the first case in poll order that looks ready (racy peek),
   * run under its own lock alone. */
  for (uint32_t k = 0; k < norder; k++) {
    uint32_t i = pollorder[k];
    goro_case *cs = &cases[i];
    if (!sel_peek(cs))
      continue;
    goro__waiter *wake;
    chan_lock(cs->chan);
    int r = sel_try(cs, i, &wake);
    chan_unlock(cs->chan);
    if (r != -EAGAIN) {
      if (wake)
        goro__chan_wake(wake);
      free(big);
      return r;
    }
  }

  /* Pass 1b: nothing looked ready. Lock every channel and look again: the
   * default case and blocking both need one moment at which no case is
   * ready, and only holding every lock gives it. */
  for (uint32_t k = 0; k < norder; k++)
    lockorder[k] = pollorder[k];
  sort_lockorder(cases, lockorder, norder);
  sellock(cases, lockorder, norder);
  for (uint32_t k = 0; k < norder; k++) {
    uint32_t i = pollorder[k];
    goro__waiter *wake;
    int r = sel_try(&cases[i], i, &wake);
    if (r != -EAGAIN) {
      selunlock(cases, lockorder, norder);
      if (wake)
        goro__chan_wake(wake);
      free(big);
      return r;
    }
  }
  if (!block) {
    selunlock(cases, lockorder, norder);
    free(big);
    return -EAGAIN;
  }

  int r = select_block(cases, lockorder, norder, big);
  free(big);
  return r;
}
