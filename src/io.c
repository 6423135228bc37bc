/*
 * io.c: goro_read, goro_write and friends on any fd (Go's internal/poll.FD
 * Read/Write loops).
 *
 * Every call has the same shape, the loop of Go's FD.Read:
 *
 *   goro__pd_begin(fd)         reference the fd's poll descriptor (a closed
 *                              or closing fd fails here with -EBADF), and
 *                              register it on first use
 *   deadline already passed?   -ETIMEDOUT before any system call (Go's
 *                              prepareRead)
 *   loop:
 *     snap = evseq             the edge counters (pd.c)
 *     system call              nonblocking
 *     EAGAIN -> goro__pd_wait(snap, deadline); retry unless it failed
 *   goro__pd_end
 *
 * How an fd is driven depends on its kind (io.h): PD_POLL as above;
 * PD_FILE (regular files) through io_file.c, which never blocks the
 * processor; PD_BLOCK (a blocking standard stream) inside goro_blocking, so
 * the processor passes to another thread while the call blocks.
 *
 * Writes write everything, as Go's Write does: they loop over short writes
 * and return n, or, if an error or the deadline stops them after some bytes
 * went out, that shorter count (the next call reports the error). Writes to
 * sockets use send/sendmsg with MSG_NOSIGNAL, so a peer that went away
 * gives -EPIPE rather than a SIGPIPE that kills the process (Go ignores
 * SIGPIPE on sockets for the same reason).
 *
 * The drained hint (TCP reads from goroutines). Go's read loop pays a
 * system call that returns EAGAIN before every park: in a request-response
 * exchange that is one read in three. TCP tells us more: a read that
 * returns fewer bytes than asked for (or EAGAIN) has emptied the receive
 * queue, and any byte that arrives afterwards makes the kernel queue an
 * epoll event for the fd, which will move the read-edge counter (pd.c).
 * So if the last read found the socket drained after edge count S was
 * read, and the counter still says S, a read now would return EAGAIN: park
 * at once. Not quite: a FIN (or an error, or urgent data) that arrived
 * before the last harvest is "readable" too, yet a read that returns data
 * says nothing about it, and its event may have been merged into the
 * harvest that produced S. Such an event is reported with EPOLLRDHUP,
 * EPOLLHUP, EPOLLERR or EPOLLPRI, which sets pd->hup for good (before the
 * release of evseq, so a reader that sees S sees hup): from then on every
 * read makes its system call. The hint is one atomic word, (S << 1 | 1), written after each
 * read (0 after a full read, EOF or an error), so concurrent readers can
 * only make it stale, and a stale hint only costs a system call. Limits
 * that keep it exact: only TCP (a short read on a datagram, a Unix socket
 * with SO_PASSCRED or a tty does not mean "drained"), with the fd
 * registered for EPOLLPRI (urgent data stops a read short and has its own
 * edge), only without MSG_PEEK-like flags, and only for goroutines: a
 * thread polls with poll(2) and nobody may be harvesting edges for it.
 *
 * errno: every entry point saves the caller's errno and restores it before
 * returning; results travel only as return values (API.md).
 */
#define _GNU_SOURCE
#include "io.h"
#include "../include/goro.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- the shared loop ------------------------------------------------------ */

typedef int64_t (*io_call)(int fd, void *ctx);

/* A blocking standard stream: wait for readiness (with the deadline) and
 * make the call, both inside goro_blocking. */
typedef struct blk_call {
  io_call call;
  int fd;
  void *ctx;
  int mode;
  int64_t deadline;
  int64_t r;
} blk_call;

static void blk_fn(void *arg) {
  blk_call *b = arg;
  /* Wait for readiness first, so a deadline can end the wait. */
  for (;;) {
    int ms = -1;
    if (b->deadline != INT64_MAX) {
      int64_t left = b->deadline - goro__nanotime();
      if (left <= 0) {
        b->r = -ETIMEDOUT;
        return;
      }
      ms = left > (int64_t)INT_MAX / 2 * 1000000
               ? INT_MAX / 2
               : (int)((left + 999999) / 1000000);
    }
    struct pollfd p = {.fd = b->fd,
                       .events = (short)((b->mode & GORO__PD_R ? POLLIN : 0) |
                                         (b->mode & GORO__PD_W ? POLLOUT : 0)),
                       .revents = 0};
    int r = poll(&p, 1, ms);
    if (r > 0)
      break;
    if (r < 0 && errno != EINTR) {
      b->r = -errno;
      return;
    }
  }
  do
    b->r = b->call(b->fd, b->ctx);
  while (b->r == -EINTR);
}

/* Runs call on pd's fd until it does not return -EAGAIN, waiting for edges
 * in direction mode between tries. The caller holds a reference. */
static inline __attribute__((always_inline)) int64_t
io_loop(goro__pd *pd, int fd, int mode, int64_t deadline, io_call call,
        void *ctx) {
  if (deadline != INT64_MAX && goro__nanotime() >= deadline)
    return -ETIMEDOUT;
  uint8_t kind = load_relaxed(&pd->kind);
  if (unlikely(kind == PD_BLOCK)) {
    blk_call b = {call, fd, ctx, mode, deadline, 0};
    goro_blocking(blk_fn, &b);
    return b.r;
  }
  for (;;) {
    uint64_t snap = goro__pd_snap(pd);
    int64_t r = call(fd, ctx);
    if (likely(r != -EAGAIN) || kind != PD_POLL) {
      if (unlikely(r == -EINTR))
        continue;
      return r;
    }
    int w = goro__pd_wait(pd, fd, mode, snap, deadline);
    if (w < 0)
      return w;
  }
}

/* ---- system calls, as io_call ----------------------------------------------- */

typedef struct rw_ctx {
  void *buf;
  size_t n;
  int flags;
  int64_t off;
} rw_ctx;

static int64_t call_read(int fd, void *ctx) {
  rw_ctx *c = ctx;
  ssize_t r = read(fd, c->buf, c->n);
  return r >= 0 ? r : -errno;
}

static int64_t call_write(int fd, void *ctx) {
  rw_ctx *c = ctx;
  ssize_t r = c->flags ? send(fd, c->buf, c->n, MSG_NOSIGNAL)
                       : write(fd, c->buf, c->n);
  return r >= 0 ? r : -errno;
}

static int64_t call_pread(int fd, void *ctx) {
  rw_ctx *c = ctx;
  ssize_t r = pread(fd, c->buf, c->n, (off_t)c->off);
  return r >= 0 ? r : -errno;
}

static int64_t call_pwrite(int fd, void *ctx) {
  rw_ctx *c = ctx;
  ssize_t r = pwrite(fd, c->buf, c->n, (off_t)c->off);
  return r >= 0 ? r : -errno;
}

typedef struct iov_ctx {
  struct iovec *iov;
  int cnt;
  int sock;
} iov_ctx;

static int64_t call_readv(int fd, void *ctx) {
  iov_ctx *c = ctx;
  ssize_t r = readv(fd, c->iov, c->cnt);
  return r >= 0 ? r : -errno;
}

static int64_t call_writev(int fd, void *ctx) {
  iov_ctx *c = ctx;
  ssize_t r;
  if (c->sock) {
    struct msghdr m = {0};
    m.msg_iov = c->iov;
    m.msg_iovlen = (size_t)c->cnt;
    r = sendmsg(fd, &m, MSG_NOSIGNAL);
  } else {
    r = writev(fd, c->iov, c->cnt);
  }
  return r >= 0 ? r : -errno;
}

/* ---- TCP reads with the drained hint ------------------------------------------ */

static inline uint64_t drained_at(uint64_t snap) {
  return (uint64_t)(uint32_t)snap << 1 | 1;
}

int64_t goro__tcp_read(goro__pd *pd, int fd, void *buf, size_t n, int flags,
                       int64_t deadline) {
  if (deadline != INT64_MAX && goro__nanotime() >= deadline)
    return -ETIMEDOUT;
  for (;;) {
    uint64_t snap = goro__pd_snap(pd);
    if (load_relaxed(&pd->rdrained) == drained_at(snap) && n > 0 &&
        !load_relaxed(&pd->hup)) {
      /* Drained since `snap`, no read edge since: EAGAIN for sure. */
      int w = goro__pd_wait(pd, fd, GORO__PD_R, snap, deadline);
      if (w < 0)
        return w;
      continue;
    }
    ssize_t r = recv(fd, buf, n, flags);
    if (r > 0) {
      store_relaxed(&pd->rdrained, (size_t)r < n ? drained_at(snap) : 0);
      return r;
    }
    if (r == 0) {
      store_relaxed(&pd->rdrained, 0); /* EOF stays readable */
      return 0;
    }
    int e = errno;
    if (e == EINTR)
      continue;
    if (e != EAGAIN) {
      store_relaxed(&pd->rdrained, 0);
      return -e;
    }
    store_relaxed(&pd->rdrained, drained_at(snap));
    int w = goro__pd_wait(pd, fd, GORO__PD_R, snap, deadline);
    if (w < 0)
      return w;
  }
}

/* ---- read / write ------------------------------------------------------------ */

int64_t goro_read_until(int fd, void *buf, size_t n, int64_t deadline) {
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (unlikely(!pd)) {
    errno = saved;
    return err;
  }
  int64_t r;
  uint8_t kind = load_relaxed(&pd->kind);
  if (likely(kind == PD_POLL && (pd->sock & GORO__PD_TCP)) && goro__g_get()) {
    r = goro__tcp_read(pd, fd, buf, n, 0, deadline);
  } else if (unlikely(kind == PD_FILE)) {
    r = deadline != INT64_MAX && goro__nanotime() >= deadline
            ? -ETIMEDOUT
            : goro__file_io(GORO__FILE_READ, fd, buf, n, -1);
  } else {
    rw_ctx c = {buf, n, 0, 0};
    r = io_loop(pd, fd, GORO__PD_R, deadline, call_read, &c);
  }
  goro__pd_end(pd);
  errno = saved;
  return r;
}

int64_t goro_read(int fd, void *buf, size_t n) {
  return goro_read_until(fd, buf, n, INT64_MAX);
}

int64_t goro_write_until(int fd, const void *buf, size_t n,
                         int64_t deadline) {
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (unlikely(!pd)) {
    errno = saved;
    return err;
  }
  bool file = load_relaxed(&pd->kind) == PD_FILE;
  rw_ctx c = {(void *)buf, n, pd->sock & GORO__PD_SOCK, 0};
  size_t done = 0;
  int64_t r;
  do {
    c.buf = (char *)buf + done;
    c.n = n - done;
    if (unlikely(file))
      r = deadline != INT64_MAX && goro__nanotime() >= deadline
              ? -ETIMEDOUT
              : goro__file_io(GORO__FILE_WRITE, fd, c.buf, c.n, -1);
    else
      r = io_loop(pd, fd, GORO__PD_W, deadline, call_write, &c);
    if (r < 0)
      break;
    done += (size_t)r;
  } while (done < n && r > 0);
  goro__pd_end(pd);
  errno = saved;
  return done > 0 || r >= 0 ? (int64_t)done : r;
}

int64_t goro_write(int fd, const void *buf, size_t n) {
  return goro_write_until(fd, buf, n, INT64_MAX);
}

/* ---- pread / pwrite ------------------------------------------------------------ */

int64_t goro_pread(int fd, void *buf, size_t n, int64_t off) {
  if (off < 0)
    return -EINVAL;
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  int64_t r;
  if (load_relaxed(&pd->kind) == PD_FILE) {
    r = goro__file_io(GORO__FILE_READ, fd, buf, n, off);
  } else {
    rw_ctx c = {buf, n, 0, off};
    r = io_loop(pd, fd, GORO__PD_R, INT64_MAX, call_pread, &c);
  }
  goro__pd_end(pd);
  errno = saved;
  return r;
}

int64_t goro_pwrite(int fd, const void *buf, size_t n, int64_t off) {
  if (off < 0)
    return -EINVAL;
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  bool file = load_relaxed(&pd->kind) == PD_FILE;
  size_t done = 0;
  int64_t r;
  do {
    void *p = (char *)buf + done;
    if (file) {
      r = goro__file_io(GORO__FILE_WRITE, fd, p, n - done,
                        off + (int64_t)done);
    } else {
      rw_ctx c = {p, n - done, 0, off + (int64_t)done};
      r = io_loop(pd, fd, GORO__PD_W, INT64_MAX, call_pwrite, &c);
    }
    if (r < 0)
      break;
    done += (size_t)r;
  } while (done < n && r > 0);
  goro__pd_end(pd);
  errno = saved;
  return done > 0 || r >= 0 ? (int64_t)done : r;
}

/* ---- readv / writev --------------------------------------------------------------- */

int64_t goro_readv_until(int fd, const struct iovec *iov, int iovcnt,
                         int64_t deadline) {
  if (iovcnt < 0 || iovcnt > IOV_MAX || (iovcnt > 0 && !iov))
    return -EINVAL;
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  int64_t r;
  if (load_relaxed(&pd->kind) == PD_FILE) {
    r = deadline != INT64_MAX && goro__nanotime() >= deadline
            ? -ETIMEDOUT
            : goro__file_io(GORO__FILE_READV, fd, (void *)iov, (size_t)iovcnt,
                            -1);
  } else {
    iov_ctx c = {(struct iovec *)iov, iovcnt, 0};
    r = io_loop(pd, fd, GORO__PD_R, deadline, call_readv, &c);
  }
  goro__pd_end(pd);
  errno = saved;
  return r;
}

int64_t goro_readv(int fd, const struct iovec *iov, int iovcnt) {
  return goro_readv_until(fd, iov, iovcnt, INT64_MAX);
}

int64_t goro_writev_until(int fd, const struct iovec *iov, int iovcnt,
                          int64_t deadline) {
  if (iovcnt < 0 || iovcnt > IOV_MAX || (iovcnt > 0 && !iov))
    return -EINVAL;
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++)
    total += iov[i].iov_len;
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  bool file = load_relaxed(&pd->kind) == PD_FILE;
  /* The first try uses the caller's array; a short write copies the rest
   * so that it can be advanced. */
  struct iovec small[16];
  struct iovec *own = NULL;
  iov_ctx c = {(struct iovec *)iov, iovcnt, pd->sock & GORO__PD_SOCK};
  size_t done = 0;
  int64_t r;
  for (;;) {
    if (file)
      r = deadline != INT64_MAX && goro__nanotime() >= deadline
              ? -ETIMEDOUT
              : goro__file_io(GORO__FILE_WRITEV, fd, c.iov, (size_t)c.cnt, -1);
    else
      r = io_loop(pd, fd, GORO__PD_W, deadline, call_writev, &c);
    if (r < 0)
      break;
    done += (size_t)r;
    if (done >= total || r == 0)
      break;
    if (c.iov == iov) {
      own = iovcnt <= 16 ? small : malloc(sizeof(struct iovec) * (size_t)iovcnt);
      if (!own) {
        r = -ENOMEM;
        break;
      }
      memcpy(own, iov, sizeof(struct iovec) * (size_t)iovcnt);
      c.iov = own;
    }
    /* Skip what went out. */
    size_t k = (size_t)r;
    while (c.cnt > 0 && k >= c.iov->iov_len) {
      k -= c.iov->iov_len;
      c.iov++;
      c.cnt--;
    }
    if (c.cnt > 0) {
      c.iov->iov_base = (char *)c.iov->iov_base + k;
      c.iov->iov_len -= k;
    }
  }
  if (own && own != small)
    free(own);
  goro__pd_end(pd);
  errno = saved;
  return done > 0 || r >= 0 ? (int64_t)done : r;
}

int64_t goro_writev(int fd, const struct iovec *iov, int iovcnt) {
  return goro_writev_until(fd, iov, iovcnt, INT64_MAX);
}

/* ---- waiting for readiness ---------------------------------------------------------- */

typedef struct poll_ctx {
  short events;
} poll_ctx;

static int64_t call_poll0(int fd, void *ctx) {
  poll_ctx *c = ctx;
  struct pollfd p = {.fd = fd, .events = c->events, .revents = 0};
  int r = poll(&p, 1, 0);
  if (r < 0)
    return -errno;
  if (r == 0)
    return -EAGAIN;
  if (p.revents & POLLNVAL)
    return -EBADF;
  int m = 0;
  if (p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))
    m |= GORO_READABLE;
  if (p.revents & (POLLOUT | POLLHUP | POLLERR))
    m |= GORO_WRITABLE;
  return m;
}

int goro_wait_fd(int fd, int events, int64_t deadline) {
  events &= GORO_READABLE | GORO_WRITABLE;
  if (!events)
    return -EINVAL;
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  int mode = (events & GORO_READABLE ? GORO__PD_R : 0) |
             (events & GORO_WRITABLE ? GORO__PD_W : 0);
  poll_ctx c = {(short)((events & GORO_READABLE ? POLLIN | POLLRDHUP : 0) |
                        (events & GORO_WRITABLE ? POLLOUT : 0))};
  int64_t r;
  uint8_t kind = load_relaxed(&pd->kind);
  if (kind == PD_FILE) {
    r = events; /* regular files are always ready */
  } else if (deadline != INT64_MAX && goro__nanotime() >= deadline) {
    r = -ETIMEDOUT;
  } else if (kind == PD_BLOCK) {
    r = io_loop(pd, fd, mode, deadline, call_poll0, &c);
  } else {
    for (;;) {
      uint64_t snap = goro__pd_snap(pd);
      r = call_poll0(fd, &c);
      if (r != -EAGAIN && r != -EINTR)
        break;
      int w = goro__pd_wait(pd, fd, mode, snap, deadline);
      if (w < 0) {
        r = w;
        break;
      }
      /* An edge came: report it without another system call. */
      r = (w & GORO__PD_R ? GORO_READABLE : 0) |
          (w & GORO__PD_W ? GORO_WRITABLE : 0);
      break;
    }
  }
  goro__pd_end(pd);
  errno = saved;
  return (int)r;
}

int goro_close(int fd) {
  if (fd < 0)
    return -EBADF;
  int saved = errno;
  int r = goro__pd_close(fd);
  errno = saved;
  return r;
}
