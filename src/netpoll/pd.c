/*
 * pd.c: poll descriptors, the backend-neutral half of the netpoller (Go's
 * runtime/netpoll.go plus the fdMutex of internal/poll).
 *
 * ---------------------------------------------------------------------------
 * The problem
 * ---------------------------------------------------------------------------
 * A goroutine that reads a socket with nothing to read must give up its
 * processor and sleep until the kernel says "readable", and must not miss
 * that word if it comes at any moment: during the read that returned
 * EAGAIN, just before it goes to sleep, or after. Several goroutines may
 * wait on one fd (two acceptors on a listener, a reader and a writer), a
 * wait may have a deadline, and goro_close(fd) must wake every waiter with
 * an error and must never let an operation's system call land on a later
 * file that happens to get the same fd number.
 *
 * ---------------------------------------------------------------------------
 * The record
 * ---------------------------------------------------------------------------
 * One goro__pd per fd number (io.h), in a table of 1024-entry chunks that
 * are allocated on first use and never freed, so a pointer to a pd stays
 * valid for the life of the process and an event for a closed fd can still
 * be looked up and ignored. The backend registers each fd once,
 * edge-triggered, for both directions, with (fd, seq) as the event's data.
 *
 * ---------------------------------------------------------------------------
 * Waiting for an edge: the evseq protocol
 * ---------------------------------------------------------------------------
 * Edge-triggered epoll reports a change once. Go keeps a one-slot token per
 * direction (pdReady) because it allows one waiter per direction; here any
 * number may wait, so the token is a counter per direction (evseq):
 *
 *   operation                            backend (pd_event)
 *   snap = evseq      (acquire)          lock
 *   system call -> EAGAIN                evseq += edges   (release)
 *   lock                                 take every waiter whose interest
 *   evseq moved in our direction?          meets the edges; set its result
 *     yes: unlock, retry the call        unlock
 *     no:  queue, park (unlock after     wake them (after a P is found)
 *          the context is saved)
 *
 * An edge harvested before the snapshot is older than the call, which
 * therefore saw its data. An edge harvested after the snapshot either
 * finds us queued (the lock orders it after our check) and wakes us, or
 * moved evseq before our check, and we retry. So no edge is lost, and a
 * goroutine that arrives after an edge does not sleep. Every woken waiter
 * retries its call; with two readers on one socket one of them may find
 * EAGAIN again and park again, which is correct and rare.
 *
 * ---------------------------------------------------------------------------
 * Closing: refs and seq
 * ---------------------------------------------------------------------------
 * Every operation holds a reference from its start to its end (refs, low 31
 * bits), across its system calls and its waits. goro_close:
 *   1. sets PD_CLOSING in refs (seq_cst RMW): from here every new operation
 *      fails with -EBADF (its increment sees the bit and undoes itself);
 *   2. under the lock, takes every waiter and wakes it with -EBADF;
 *   3. parks until refs drops to 0 (the last operation's decrement sees
 *      exactly PD_CLOSING and wakes pd->closer, under the lock);
 *   4. unregisters the fd from the backend, bumps seq (so an event already
 *      queued for this registration is ignored), marks the pd PD_NONE;
 *   5. clears PD_CLOSING and only then calls close(2): until close(2)
 *      returns, the number cannot be given to a new file, so no new file
 *      can ever see this pd in a half-closed state.
 * A thread (not a goroutine) polls in slices of SLICE_NS and checks for
 * PD_CLOSING between slices, so step 3 waits at most one slice for it.
 * Blocking standard streams (PD_BLOCK) skip step 3: their system call may
 * block for ever, and Go does not wait for it either.
 *
 * Known limit: an fd closed with close(2) instead of goro_close keeps its
 * record. If a later file gets the same number from outside the runtime
 * (socket(2), open(2)) the record still says "registered" and waits on it
 * would never see an edge. Files the runtime creates (goro_accept,
 * goro_socket, goro_listen, goro_dial) re-register their number, and
 * goro.h tells users to close with goro_close.
 *
 * ---------------------------------------------------------------------------
 * Deadlines
 * ---------------------------------------------------------------------------
 * A wait with a deadline parks through goro__block_until (sync/deadline.h),
 * which arms a runtime timer. When it fires, pd_cancel takes the lock; if
 * the waiter is still queued (w->ticket == 1) it removes it, and the
 * waiter wakes with -ETIMEDOUT; otherwise a waker (an event, a close)
 * already owns the wake-up. Before the wait returns the timer is deleted,
 * waiting for a timer function still running, so nothing touches the
 * waiter's stack afterwards.
 *
 * ---------------------------------------------------------------------------
 * Counting waiters
 * ---------------------------------------------------------------------------
 * goro__netpoll_waiters (netpoll.h) is exactly the number of goroutines
 * queued on a pd plus those waiting for a file completion: +1 under the pd
 * lock before parking, -1 by whoever removes the waiter (event, close,
 * timer), before waking it. The deadlock detector reads it: a goroutine
 * that waits on a socket can always be woken by a peer.
 *
 * Lock order: pd lock -> timer heap lock (arming a deadline) -> sched.lock
 * (goro__wake under the lock is avoided: waiters are woken after unlock).
 * The backend takes no lock of its own around pd_event.
 */
#define _GNU_SOURCE
#include "../io.h"
#include "../../include/goro.h"
#include "../sync/deadline.h"
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_SHIFT 10
#define CHUNK (1 << CHUNK_SHIFT)
#define SLICE_NS 50000000 /* a thread's poll(2) slice: close latency bound */

/* chunks[i] covers fds [i*CHUNK, (i+1)*CHUNK) [atomic: release store under
 * grow_lock, acquire load anywhere]. */
static goro__pd *chunks[GORO__PD_MAX / CHUNK];
static goro__lock grow_lock = GORO__LOCK_INIT;

goro__pd *goro__pd_lookup(int fd) {
  if ((unsigned)fd >= GORO__PD_MAX)
    return NULL;
  goro__pd *c = load_acq(&chunks[(unsigned)fd >> CHUNK_SHIFT]);
  return c ? &c[fd & (CHUNK - 1)] : NULL;
}

goro__pd *goro__pd_get(int fd) {
  goro__pd *pd = goro__pd_lookup(fd);
  if (likely(pd != NULL) || (unsigned)fd >= GORO__PD_MAX)
    return pd;
  unsigned i = (unsigned)fd >> CHUNK_SHIFT;
  goro__lock_acquire(&grow_lock);
  goro__pd *c = chunks[i];
  if (!c) {
    c = aligned_alloc(GORO_CACHELINE, CHUNK * sizeof(goro__pd));
    if (c) {
      memset(c, 0, CHUNK * sizeof(goro__pd));
      /* Release: the zeroed records before the pointer (pd_lookup). */
      store_rel(&chunks[i], c);
    }
  }
  goro__lock_release(&grow_lock);
  return c ? &c[fd & (CHUNK - 1)] : NULL;
}

void goro__io_waiters_add(int32_t n) {
  /* seq_cst: the deadlock check and the idle M read it under sched.lock
   * after every P went idle; the RMW is ordered before the park. */
  fetch_add_seq(&goro__netpoll_waiters, n);
}

void goro__io_waiters_done(int32_t n) {
  if (n == 0)
    return;
  /* After the wake, never before: a waiter counts as waiting on I/O until
   * its goroutine is runnable, so the deadlock check (which reads this
   * first) never sees it in neither state. Done by a thread without a P
   * (the poller, the file pool), the last one may have made the runtime
   * idle: that thread checks for a deadlock then, since the Ms that went
   * idle meanwhile saw a waiter and said nothing. */
  if (add_fetch_seq(&goro__netpoll_waiters, -n) == 0)
    goro__checkdead_idle();
}

static void unlock_pd(void *arg) { goro__lock_release(&((goro__pd *)arg)->lock); }

/* ---- references --------------------------------------------------------- */

static GORO_NOINLINE void last_ref(goro__pd *pd) {
  goro__lock_acquire(&pd->lock);
  goro__waiter *w = pd->closer;
  pd->closer = NULL;
  goro__lock_release(&pd->lock);
  if (w)
    goro__wake(w);
}

void goro__pd_end(goro__pd *pd) {
  /* ThreadSanitizer: operations on one fd are ordered through its
   * references, as Go's fdMutex orders them (atomics synchronize in Go's
   * race detector); the close acquires them all before close(2). */
  goro__hb_release(&pd->refs);
  /* seq_cst: pairs with the fetch_or of PD_CLOSING and the closer's load of
   * refs under the lock (step 3 above). */
  if (unlikely(add_fetch_seq(&pd->refs, (uint32_t)-1) == PD_CLOSING))
    last_ref(pd);
}

/* Decides the fd's kind on first use. pd lock held. */
static int pd_init(goro__pd *pd, int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) != 0)
    return -errno;
  if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode)) {
    store_rel(&pd->kind, PD_FILE);
    return 0;
  }
  int sock = 0;
  if (S_ISSOCK(st.st_mode)) {
    sock = GORO__PD_SOCK;
    int type = 0, domain = 0;
    socklen_t l1 = sizeof(type), l2 = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l2) == 0 &&
        type == SOCK_STREAM && (domain == AF_INET || domain == AF_INET6))
      sock |= GORO__PD_TCP;
  }
  const goro__pollops *ops = goro__pollops_get();
  if (!ops || (fd <= 2 && !(fl & O_NONBLOCK) && !sock)) {
    store_rel(&pd->kind, PD_BLOCK);
    return 0;
  }
  int err = ops->arm(fd, pd->seq);
  if (err == -EEXIST)
    err = ops->rearm(fd, pd->seq);
  if (err == -EPERM) {
    store_rel(&pd->kind, PD_FILE);
    return 0;
  }
  if (err)
    return err;
  if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
    err = -errno;
    ops->disarm(fd);
    return err;
  }
  pd->sock = (uint8_t)sock;
  store_relaxed(&pd->rdrained, 0);
  store_relaxed(&pd->hup, 0);
  /* Release: sock and the registration before kind (goro__pd_begin's
   * acquire load). */
  store_rel(&pd->kind, PD_POLL);
  return 0;
}

goro__pd *goro__pd_begin(int fd, int *err) {
  goro__pd *pd = goro__pd_get(fd);
  if (unlikely(!pd)) {
    *err = (unsigned)fd >= GORO__PD_MAX ? -EBADF : -ENOMEM;
    return NULL;
  }
  /* seq_cst: see goro__pd_end. */
  if (unlikely(fetch_add_seq(&pd->refs, 1) & PD_CLOSING)) {
    goro__pd_end(pd);
    *err = -EBADF;
    return NULL;
  }
  goro__hb_acquire(&pd->refs); /* see goro__pd_end */
  /* Acquire: pairs with the release store of kind in pd_init. */
  if (likely(load_acq(&pd->kind) != PD_NONE))
    return pd;
  goro__lock_acquire(&pd->lock);
  int e = pd->kind == PD_NONE ? pd_init(pd, fd) : 0;
  goro__lock_release(&pd->lock);
  if (e) {
    goro__pd_end(pd);
    *err = e;
    return NULL;
  }
  return pd;
}

int goro__pd_open_socket(int fd, int sock) {
  goro__pd *pd = goro__pd_get(fd);
  if (!pd)
    return (unsigned)fd >= GORO__PD_MAX ? -EBADF : -ENOMEM;
  const goro__pollops *ops = goro__pollops_get();
  goro__lock_acquire(&pd->lock);
  /* The number is fresh from the kernel: whatever the record says belongs
   * to an earlier file. A new generation makes its queued events stale. */
  pd->seq++;
  store_relaxed(&pd->rdrained, 0);
  store_relaxed(&pd->hup, 0);
  int err = 0;
  if (!ops) {
    pd->sock = (uint8_t)sock;
    store_rel(&pd->kind, PD_BLOCK);
  } else {
    err = ops->arm(fd, pd->seq);
    if (err == -EEXIST)
      err = ops->rearm(fd, pd->seq);
    if (err == 0) {
      pd->sock = (uint8_t)sock;
      store_rel(&pd->kind, PD_POLL);
    } else {
      store_rel(&pd->kind, PD_NONE);
    }
  }
  goro__lock_release(&pd->lock);
  return err;
}

/* ---- waiting -------------------------------------------------------------- */

static const char *reason_of(int mode) {
  switch (mode) {
  case GORO__PD_R:
    return "IO wait (read)";
  case GORO__PD_W:
    return "IO wait (write)";
  default:
    return "IO wait";
  }
}

/* Which of the directions in mode saw an edge since snap. */
static inline int moved(uint64_t now, uint64_t snap, int mode) {
  int m = 0;
  if ((mode & GORO__PD_R) && (uint32_t)now != (uint32_t)snap)
    m |= GORO__PD_R;
  if ((mode & GORO__PD_W) && (uint32_t)(now >> 32) != (uint32_t)(snap >> 32))
    m |= GORO__PD_W;
  return m;
}

/* Removes w from pd's queue. pd lock held, w queued. */
static inline void dequeue(goro__pd *pd, goro__waiter *w) {
  goro__waitq_remove(&pd->q, w);
  w->ticket = 0;
}

/* goro__block_until's cancel function: the deadline passed. If w is still
 * queued, nobody else will wake it: take it out (and say so); otherwise a
 * waker (event, close) owns the wake-up. */
static bool pd_cancel(void *arg, goro__waiter *w) {
  goro__pd *pd = arg;
  goro__lock_acquire(&pd->lock);
  bool queued = w->ticket != 0;
  if (queued)
    dequeue(pd, w);
  goro__lock_release(&pd->lock);
  if (queued)
    goro__io_waiters_add(-1);
  return queued;
}

/* Parks the goroutine queued as w on pd until a waker or the deadline.
 * pd lock held on entry (released once parked). Returns w->result, or
 * -ETIMEDOUT. */
static int pd_block(goro__pd *pd, goro__waiter *w, int64_t deadline,
                    const char *reason) {
  if (deadline == INT64_MAX) {
    goro__block(w, unlock_pd, pd, reason);
    return w->result;
  }
  int e = goro__block_until(w, unlock_pd, pd, reason, deadline, NULL,
                            pd_cancel, pd);
  return e ? e : w->result;
}

/* A thread that is not a goroutine: poll(2) the fd in slices. The
 * operation's reference is held, so goro_close waits for the slice. */
static int wait_thread(goro__pd *pd, int fd, int mode, int64_t deadline) {
  for (;;) {
    if (load_seq(&pd->refs) & PD_CLOSING)
      return -EBADF;
    int64_t now = goro__nanotime();
    if (deadline != INT64_MAX && now >= deadline)
      return -ETIMEDOUT;
    int64_t left = deadline == INT64_MAX ? SLICE_NS : deadline - now;
    if (left > SLICE_NS)
      left = SLICE_NS;
    /* Rounded up: never return before the deadline. */
    int ms = (int)((left + 999999) / 1000000);
    struct pollfd p = {.fd = fd, .events = 0, .revents = 0};
    if (mode & GORO__PD_R)
      p.events |= POLLIN | POLLRDHUP;
    if (mode & GORO__PD_W)
      p.events |= POLLOUT;
    int r = poll(&p, 1, ms);
    if (r > 0) {
      if (p.revents & POLLNVAL)
        return -EBADF;
      int m = 0;
      if (p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))
        m |= GORO__PD_R;
      if (p.revents & (POLLOUT | POLLHUP | POLLERR))
        m |= GORO__PD_W;
      m &= mode;
      return m ? m : mode;
    }
    if (r < 0 && errno != EINTR && errno != EAGAIN)
      return -errno;
  }
}

int goro__pd_wait(goro__pd *pd, int fd, int mode, uint64_t snap,
                  int64_t deadline) {
  if (!goro__g_get())
    return wait_thread(pd, fd, mode, deadline);
  goro__waiter w;
  goro__waiter_init(&w);
  w.index = mode;
  w.obj = pd;
  goro__lock_acquire(&pd->lock);
  if (load_relaxed(&pd->refs) & PD_CLOSING) {
    goro__lock_release(&pd->lock);
    return -EBADF;
  }
  int m = moved(load_relaxed(&pd->evseq), snap, mode);
  if (m) {
    goro__lock_release(&pd->lock);
    return m;
  }
  if (deadline != INT64_MAX && goro__nanotime() >= deadline) {
    goro__lock_release(&pd->lock);
    return -ETIMEDOUT;
  }
  goro__waitq_push(&pd->q, &w);
  w.ticket = 1;
  goro__io_waiters_add(1);
  return pd_block(pd, &w, deadline, reason_of(mode));
}

/* ---- events --------------------------------------------------------------- */

int goro__pd_event(int fd, uint32_t seq, int mode, goro__waiter **list) {
  goro__pd *pd = goro__pd_lookup(fd);
  if (!pd)
    return 0;
  goro__lock_acquire(&pd->lock);
  if (pd->seq != seq || pd->kind != PD_POLL) {
    goro__lock_release(&pd->lock); /* an earlier file's event: stale */
    return 0;
  }
  if (mode & GORO__PD_HUP)
    store_relaxed(&pd->hup, 1); /* before the release store of evseq */
  uint64_t ev = pd->evseq;
  uint32_t r = (uint32_t)ev + ((mode & GORO__PD_R) ? 1 : 0);
  uint32_t wr = (uint32_t)(ev >> 32) + ((mode & GORO__PD_W) ? 1 : 0);
  /* Release: pairs with the acquire in goro__pd_snap (hup and the edge
   * counts before a reader can see the new counts). */
  store_rel(&pd->evseq, (uint64_t)wr << 32 | r);
  int n = 0;
  goro__waiter *w = pd->q.head;
  while (w) {
    goro__waiter *next = w->next;
    if (w->index & mode) {
      dequeue(pd, w);
      w->result = w->index & mode & (GORO__PD_R | GORO__PD_W);
      w->next = *list;
      *list = w;
      n++;
    }
    w = next;
  }
  goro__lock_release(&pd->lock);
  return n; /* still counted: the backend uncounts them once woken */
}

void goro__pd_wake_list(goro__waiter *list) {
  /* The list was built by prepending: reverse it, so that goroutines are
   * readied in the order their events came (the fairest order: the run
   * queue is FIFO but for runnext, which the last one readied takes). */
  goro__waiter *rev = NULL;
  while (list) {
    goro__waiter *next = list->next;
    list->next = rev;
    rev = list;
    list = next;
  }
  list = rev;
  while (list) {
    goro__waiter *next = list->next; /* read before the owner may run */
    goro__wake(list);
    list = next;
  }
}

/* ---- close ---------------------------------------------------------------- */

static int sys_close(int fd) {
  /* Linux frees the number even when close(2) fails with EINTR: never
   * retry (another thread may already own the number). */
  if (close(fd) != 0 && errno != EINTR)
    return -errno;
  return 0;
}

int goro__pd_close(int fd) {
  goro__pd *pd = goro__pd_lookup(fd);
  if (!pd)
    return sys_close(fd);
  /* seq_cst: pairs with the increments in goro__pd_begin (step 1). */
  if (__atomic_fetch_or(&pd->refs, PD_CLOSING, __ATOMIC_SEQ_CST) & PD_CLOSING)
    return -EBADF; /* another goro_close of this fd is under way */

  /* Step 2: every waiter leaves with -EBADF. */
  goro__waiter *list = NULL;
  int n = 0;
  goro__lock_acquire(&pd->lock);
  goro__waiter *w;
  while ((w = pd->q.head) != NULL) {
    dequeue(pd, w);
    w->result = -EBADF;
    w->next = list;
    list = w;
    n++;
  }
  uint8_t kind = pd->kind;
  goro__lock_release(&pd->lock);
  goro__pd_wake_list(list);
  goro__io_waiters_done(n);

  /* Step 3: wait for the operations in flight. */
  if (kind != PD_BLOCK) {
    goro__waiter cw;
    goro__waiter_init(&cw);
    goro__lock_acquire(&pd->lock);
    if (load_seq(&pd->refs) != PD_CLOSING) {
      pd->closer = &cw;
      goro__block(&cw, unlock_pd, pd, "IO close (operations in flight)");
    } else {
      goro__lock_release(&pd->lock);
    }
  }

  /* Step 4. */
  if (kind == PD_POLL) {
    const goro__pollops *ops = goro__pollops_get();
    if (ops)
      ops->disarm(fd);
  }
  goro__lock_acquire(&pd->lock);
  pd->seq++;
  pd->sock = 0;
  store_relaxed(&pd->rdrained, 0);
  store_relaxed(&pd->hup, 0);
  store_rel(&pd->kind, PD_NONE);
  goro__lock_release(&pd->lock);

  /* Step 5. */
  goro__hb_acquire(&pd->refs); /* see goro__pd_end */
  __atomic_fetch_and(&pd->refs, ~PD_CLOSING, __ATOMIC_SEQ_CST);
  return sys_close(fd);
}
