/*
 * io.h: the I/O layer's internal interfaces (Go's netpoll.go pollDesc and
 * internal/poll.FD, reduced to what C needs).
 *
 * Three layers, each in its own file, nothing below reaching up:
 *
 *   io.c, net.c       the public calls (goro_read, goro_accept, goro_dial..):
 *                     try the system call, and on EAGAIN wait on the fd's
 *                     poll descriptor, then retry.
 *   io_file.c         regular files, which never return EAGAIN: io_uring,
 *                     or a small thread pool where io_uring is unavailable.
 *   netpoll/pd.c      poll descriptors: one per fd number, the readiness
 *                     protocol (waiting, edge events, deadlines, close).
 *   netpoll/epoll.c   the backend: edge-triggered epoll plus an eventfd to
 *                     interrupt it. It implements goro__poller (netpoll.h)
 *                     for the scheduler and goro__pollops below for pd.c.
 *
 * Glossary
 *   pd      a poll descriptor (goro__pd): the runtime's record for an fd
 *           number, allocated on first use and never freed.
 *   kind    how an fd is driven: PD_POLL (registered with the backend,
 *           O_NONBLOCK: sockets, pipes, ttys, eventfds...), PD_FILE (the
 *           backend refuses it: regular files, block devices; io_file.c),
 *           PD_BLOCK (a standard stream, fd 0-2, that was blocking when we
 *           met it: we do not flip O_NONBLOCK on a file description shared
 *           with the parent shell, so its calls block the thread inside
 *           goro_blocking, as Go does for os.Stdin).
 *   seq     a pd's generation: bumped at every goro_close, carried in the
 *           backend's registration, so an event that the kernel queued for
 *           an earlier file at the same fd number is recognised and ignored.
 *   evseq   per-direction counters of readiness edges. An operation reads
 *           them before its system call; if they moved by the time it is
 *           about to park, an edge arrived during the call, and it retries
 *           instead of sleeping (the role of Go's pdReady).
 */
#ifndef GORO_IO_H
#define GORO_IO_H

#include "sched/park.h"

#include <stddef.h>

/* Directions (also the interest mask of a waiter, in w->index), and, in
 * the mode the backend passes to goro__pd_event only, GORO__PD_HUP: the
 * event reported hang-up, error or urgent data (EPOLLRDHUP, EPOLLHUP,
 * EPOLLERR, EPOLLPRI), which ends the drained hint for good (io.c). */
enum { GORO__PD_R = 1, GORO__PD_W = 2, GORO__PD_HUP = 4 };

enum {
  PD_NONE = 0, /* never used, or closed: decided at the next use */
  PD_POLL,     /* registered with the backend, O_NONBLOCK */
  PD_FILE,     /* not pollable: io_file.c */
  PD_BLOCK,    /* a blocking standard stream: goro_blocking */
};

#define PD_CLOSING 0x80000000u /* in goro__pd.refs */

/* goro__pd.sock bits. */
enum {
  GORO__PD_SOCK = 1,         /* a socket: writes use MSG_NOSIGNAL */
  GORO__PD_TCP_LISTENER = 2, /* accepted connections get TCP_NODELAY */
  GORO__PD_TCP = 4,          /* a TCP stream (or a listener of them): the
                                drained hint applies (io.c) */
};

/* One cache line, so neighbouring fds served by different processors do
 * not share one. */
typedef struct goro__pd {
  goro__lock lock;
  uint32_t refs;   /* operations in progress | PD_CLOSING [atomic: RMW
                      seq_cst; see pd.c "closing"] */
  uint32_t seq;    /* generation [lock] */
  uint8_t kind;    /* PD_* [written under lock, read with acquire] */
  uint8_t sock;    /* GORO__PD_SOCK... [as kind] */
  uint8_t hup;     /* an event reported GORO__PD_HUP [written under lock
                      before evseq's release store; read relaxed after
                      evseq's acquire load] */
  uint8_t pad;
  uint64_t evseq;  /* read edges (low 32 bits) | write edges (high 32)
                      [atomic: stored with release under lock, loaded with
                      acquire by an operation before its system call] */
  goro__waitq q;   /* goroutines waiting; w->index: interest mask, w->ticket:
                      1 while queued, w->result: set by the waker [lock] */
  goro__waiter *closer; /* goro_close waiting for refs to drain [lock] */
  uint64_t rdrained; /* TCP: (read-edge count << 1 | 1) when a read found
                        the socket drained after that count was read, else
                        0 (io.c) [atomic relaxed: a hint checked against
                        evseq] */
} GORO_ALIGNED_CL goro__pd;

/* ---- descriptors (pd.c) -------------------------------------------------- */

/* The pd of fd, allocated on first use; NULL if fd < 0, fd is beyond the
 * table's reach (GORO__PD_MAX), or there is no memory. */
#define GORO__PD_MAX (1 << 22)
GORO_HIDDEN goro__pd *goro__pd_get(int fd);
/* The pd of fd if it was ever allocated, else NULL. Never allocates. */
GORO_HIDDEN goro__pd *goro__pd_lookup(int fd);

/* Begins an operation on fd: takes a reference (so goro_close waits for the
 * operation's system call to end before the number can be reused) and makes
 * sure the fd has a kind (registering it with the backend on first use).
 * Returns the pd, or NULL with *err set: -EBADF (fd closed, closing, or not
 * open), -ENOMEM. Pair with goro__pd_end. */
GORO_HIDDEN goro__pd *goro__pd_begin(int fd, int *err);
GORO_HIDDEN void goro__pd_end(goro__pd *pd);

/* A socket the runtime just created (accept, socket, dial): nonblocking
 * already, and any earlier record for the number is stale. Registers it
 * with GORO__PD_* bits `sock`. Returns 0 or -errno. */
GORO_HIDDEN int goro__pd_open_socket(int fd, int sock);

/* The edge counters, read before the system call whose EAGAIN leads to
 * goro__pd_wait. [acquire; pairs with the release store in pd_event] */
static inline uint64_t goro__pd_snap(goro__pd *pd) {
  return load_acq(&pd->evseq);
}

/* Waits, after a system call on pd's fd returned EAGAIN, until an edge in
 * direction mode (GORO__PD_R / _W / both) arrived after `snap` was taken,
 * the deadline passed, or the fd was closed. On a thread that is not a
 * goroutine, polls the fd instead (poll(2), in slices, so that a close is
 * noticed).
 * Returns
 *   > 0          retry the call (for goro_wait_fd: the directions seen);
 *   -ETIMEDOUT   deadline (absolute, goro_now(); INT64_MAX: none) passed;
 *   -EBADF       goro_close was called on the fd. */
GORO_HIDDEN int goro__pd_wait(goro__pd *pd, int fd, int mode, uint64_t snap,
                              int64_t deadline);

/* Called by the backend for each event: the edges seen on (fd, seq) in
 * directions mode. Waiters to wake are pushed on *list (linked through
 * w->next) for the backend to wake once it has a P (netpoll.h). Returns how
 * many were added; they stay counted as I/O waiters until the backend has
 * woken them and calls goro__io_waiters_done. */
GORO_HIDDEN int goro__pd_event(int fd, uint32_t seq, int mode,
                               goro__waiter **list);

/* goro_close's work: wakes waiters with -EBADF, waits for operations in
 * flight, unregisters, then close(2). Returns 0 or -errno. */
GORO_HIDDEN int goro__pd_close(int fd);

/* Counts a goroutine waiting for something only the outside world can
 * bring (readiness, a file completion): goro__netpoll_waiters, which the
 * deadlock detector and the idle M read. */
GORO_HIDDEN void goro__io_waiters_add(int32_t n);
/* Uncounts n waiters once they have been woken (see pd.c). */
GORO_HIDDEN void goro__io_waiters_done(int32_t n);

/* ---- the backend (epoll.c) ------------------------------------------------ */

typedef struct goro__pollops {
  /* Registers fd (edge-triggered, both directions) with (fd, seq) as its
   * event data. 0, -EPERM (not pollable), or -errno. */
  int (*arm)(int fd, uint32_t seq);
  /* Re-registers an fd already in the set (EEXIST from arm) with a new
   * seq. */
  int (*rearm)(int fd, uint32_t seq);
  /* Unregisters fd (before close). */
  void (*disarm)(int fd);
  /* Adds an eventfd whose readability means "file completions are ready":
   * the backend calls fn() when it fires, from poll(). */
  int (*add_completion_fd)(int efd, int (*fn)(goro__waiter **list));
} goro__pollops;

/* The backend, initialised and registered with the scheduler on first use;
 * NULL if it cannot start (no epoll: then every fd is driven as PD_BLOCK). */
GORO_HIDDEN const goro__pollops *goro__pollops_get(void);

/* Wakes a list built by goro__pd_event (linked through w->next). */
GORO_HIDDEN void goro__pd_wake_list(goro__waiter *list);

/* ---- reads on TCP streams (io.c) --------------------------------------------- */

/* read(2) on a TCP socket (PD_POLL, GORO__PD_TCP) from a goroutine, with
 * the drained hint: when the last read found the socket drained and no
 * read edge was harvested since, the read parks at once instead of making
 * a system call that would say EAGAIN. flags: recv(2)'s. The caller holds
 * a reference. */
GORO_HIDDEN int64_t goro__tcp_read(goro__pd *pd, int fd, void *buf, size_t n,
                                   int flags, int64_t deadline);

/* ---- regular files (io_file.c) --------------------------------------------- */

enum { GORO__FILE_READ, GORO__FILE_WRITE, GORO__FILE_READV, GORO__FILE_WRITEV };

/* Runs one read or write on a PD_FILE fd without blocking the caller's
 * processor: io_uring where the kernel allows it, else the thread pool.
 * off < 0 uses (and advances) the file position. From a thread that is not
 * a goroutine, simply makes the system call. Returns bytes or -errno. */
GORO_HIDDEN int64_t goro__file_io(int op, int fd, void *buf, size_t n,
                                  int64_t off);

/* Saturating now + ns for deadlines. */
static inline int64_t goro__deadline_after(int64_t now, int64_t ns) {
  if (ns <= 0)
    return now;
  return now > INT64_MAX - ns ? INT64_MAX : now + ns;
}

#endif
