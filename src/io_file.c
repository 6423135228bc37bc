/*
 * io_file.c: reads and writes on regular files without blocking a
 * processor.
 *
 * The problem. A regular file is always "ready" to epoll (the kernel refuses
 * to register it), yet a read that misses the page cache blocks the thread
 * for a disk access. Go simply blocks the M inside a system call and lets
 * sysmon hand its P to another thread. Here the goroutine parks instead,
 * and the call runs elsewhere:
 *
 *  1. io_uring, where the kernel allows it (Linux >= 5.6 with
 *     IORING_FEAT_RW_CUR_POS, not disabled by sysctl or seccomp, not under
 *     qemu-user). Set up with raw system calls, as libuv does, so there is
 *     no build dependency. One ring for the process, guarded by ring.lock.
 *     A reader fills a submission entry (user_data = its request, on its
 *     stack) and submits it. A read served from the page cache completes
 *     inside io_uring_enter, so the submitter reaps the completion queue at
 *     once and usually returns without parking. Otherwise it parks, the
 *     ring lock released only once its context is saved. Completions that
 *     happen later (in the kernel's io-wq workers) signal an eventfd,
 *     registered with IORING_REGISTER_EVENTFD_ASYNC (so inline completions
 *     do not signal) and sitting in the epoll set (epoll.c); the poller
 *     reaps the queue under ring.lock and wakes the owners like any I/O
 *     waiter. Every reaper (submitter or poller) completes every entry it
 *     finds, for whoever owns it.
 *
 *  2. Otherwise a thread pool of up to GORO_IO_THREADS threads (default 4,
 *     started on demand). A goroutine queues its request under pool.lock and
 *     parks; a worker takes it only after the lock is released, which is
 *     after the goroutine's context is saved, makes the system call and
 *     wakes the goroutine (goro__wake from a thread: the global run queue).
 *
 * Either way the goroutine counts in goro__netpoll_waiters while it waits:
 * completion comes from outside the scheduler, so the deadlock detector
 * must not call the program dead, and the idle M must sleep in the poller.
 *
 * A thread that is not a goroutine simply makes the system call: blocking
 * it is what it asked for.
 *
 * GORO_IO_URING=0 in the environment forces the thread pool (tests run both
 * paths).
 *
 * Lock order: ring.lock or pool.lock -> sched.lock (goro__wake). Neither is
 * held while waking from the poller: woken waiters go back on a list.
 */
#define _GNU_SOURCE
#include "io.h"
#include "../include/goro.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/io_uring.h>) && defined(__NR_io_uring_setup)
#include <linux/io_uring.h>
#define HAVE_URING 1
#endif
#endif

/* One request, on the waiting goroutine's stack. */
typedef struct file_req {
  int op;
  int fd;
  void *buf;
  size_t n;
  int64_t off;
  int64_t res;          /* bytes or -errno [ring.lock / pool: the worker] */
  bool done;            /* [ring.lock] */
  bool parked;          /* the owner is parked on w [ring.lock] */
  goro__waiter w;
  struct file_req *next; /* pool queue [pool.lock] */
} file_req;

static int64_t do_syscall(file_req *r) {
  ssize_t x;
  switch (r->op) {
  case GORO__FILE_READ:
    x = r->off < 0 ? read(r->fd, r->buf, r->n)
                   : pread(r->fd, r->buf, r->n, (off_t)r->off);
    break;
  case GORO__FILE_WRITE:
    x = r->off < 0 ? write(r->fd, r->buf, r->n)
                   : pwrite(r->fd, r->buf, r->n, (off_t)r->off);
    break;
  case GORO__FILE_READV:
    x = readv(r->fd, r->buf, (int)r->n);
    break;
  case GORO__FILE_WRITEV:
    x = writev(r->fd, r->buf, (int)r->n);
    break;
  default:
    errno = EINVAL;
    x = -1;
  }
  return x >= 0 ? x : -errno;
}

/* ======================================================================
 * io_uring
 * ==================================================================== */

#ifdef HAVE_URING
static struct {
  goro__lock lock;
  int fd;
  int efd;
  /* submission ring */
  uint32_t *sq_head, *sq_tail, *sq_array;
  uint32_t sq_mask, sq_entries;
  struct io_uring_sqe *sqes;
  /* completion ring */
  uint32_t *cq_head, *cq_tail;
  uint32_t cq_mask;
  struct io_uring_cqe *cqes;
} ring = {.lock = GORO__LOCK_INIT, .fd = -1, .efd = -1};

static int sys_uring_setup(unsigned entries, struct io_uring_params *p) {
  return (int)syscall(__NR_io_uring_setup, entries, p);
}
static int sys_uring_enter(int fd, unsigned to_submit, unsigned min_complete,
                           unsigned flags) {
  return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags,
                      NULL, 0);
}
static int sys_uring_register(int fd, unsigned op, void *arg, unsigned n) {
  return (int)syscall(__NR_io_uring_register, fd, op, arg, n);
}

static int uring_reap(goro__waiter **list);

static bool uring_init(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof(p));
  int fd = sys_uring_setup(256, &p);
  if (fd < 0)
    return false;
  uint32_t need = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP |
                  IORING_FEAT_RW_CUR_POS;
  if ((p.features & need) != need) {
    close(fd);
    return false;
  }
  size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t rsz = sq_sz > cq_sz ? sq_sz : cq_sz;
  char *rp = mmap(NULL, rsz, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (rp == MAP_FAILED) {
    close(fd);
    return false;
  }
  struct io_uring_sqe *sqes =
      mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
           PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
           IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    munmap(rp, rsz);
    close(fd);
    return false;
  }
  /* Raw, as the poller's: not a user fd to ThreadSanitizer (epoll.c). */
  int efd = (int)syscall(SYS_eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC);
  const goro__pollops *ops = goro__pollops_get();
  if (efd < 0 || !ops ||
      (sys_uring_register(fd, IORING_REGISTER_EVENTFD_ASYNC, &efd, 1) != 0 &&
       sys_uring_register(fd, IORING_REGISTER_EVENTFD, &efd, 1) != 0)) {
    if (efd >= 0)
      close(efd);
    munmap(sqes, p.sq_entries * sizeof(struct io_uring_sqe));
    munmap(rp, rsz);
    close(fd);
    return false;
  }
  ring.fd = fd;
  ring.efd = efd;
  ring.sq_head = (uint32_t *)(rp + p.sq_off.head);
  ring.sq_tail = (uint32_t *)(rp + p.sq_off.tail);
  ring.sq_array = (uint32_t *)(rp + p.sq_off.array);
  ring.sq_mask = *(uint32_t *)(rp + p.sq_off.ring_mask);
  ring.sq_entries = p.sq_entries;
  ring.sqes = sqes;
  ring.cq_head = (uint32_t *)(rp + p.cq_off.head);
  ring.cq_tail = (uint32_t *)(rp + p.cq_off.tail);
  ring.cq_mask = *(uint32_t *)(rp + p.cq_off.ring_mask);
  ring.cqes = (struct io_uring_cqe *)(rp + p.cq_off.cqes);
  if (ops->add_completion_fd(efd, uring_reap) != 0)
    return false; /* keep the ring mapped: harmless; use the pool */
  return true;
}

/* Completes every entry in the completion queue. ring.lock held. Parked
 * owners go on *list (their waiter count already dropped). */
static int reap_locked(goro__waiter **list) {
  int n = 0;
  uint32_t head = *ring.cq_head;
  /* Acquire: pairs with the kernel's release of the tail, so the entry is
   * complete when we read it. */
  uint32_t tail = load_acq(ring.cq_tail);
  while (head != tail) {
    struct io_uring_cqe *cqe = &ring.cqes[head & ring.cq_mask];
    file_req *r = (file_req *)(uintptr_t)cqe->user_data;
    r->res = cqe->res;
    r->done = true;
    if (r->parked) {
      r->parked = false;
      r->w.next = *list;
      *list = &r->w;
      n++;
    }
    head++;
  }
  /* Release: we are done with the entries before the kernel reuses them. */
  store_rel(ring.cq_head, head);
  return n; /* still counted as I/O waiters until woken (io.h) */
}

static int uring_reap(goro__waiter **list) {
  uint64_t v;
  ssize_t x = (ssize_t)syscall(SYS_read, ring.efd, &v, sizeof(v));
  (void)x;
  goro__lock_acquire(&ring.lock);
  int n = reap_locked(list);
  goro__lock_release(&ring.lock);
  return n;
}

static void unlock_ring(void *arg) { goro__lock_release(&ring.lock); }

/* false: the ring could not take it (the caller uses the pool). */
static bool uring_submit(file_req *r) {
  goro__lock_acquire(&ring.lock);
  uint32_t tail = *ring.sq_tail;
  /* Acquire: the kernel's release of head frees slots. */
  if (tail - load_acq(ring.sq_head) >= ring.sq_entries) {
    goro__lock_release(&ring.lock);
    return false;
  }
  uint32_t idx = tail & ring.sq_mask;
  struct io_uring_sqe *sqe = &ring.sqes[idx];
  memset(sqe, 0, sizeof(*sqe));
  switch (r->op) {
  case GORO__FILE_READ:
    sqe->opcode = IORING_OP_READ;
    break;
  case GORO__FILE_WRITE:
    sqe->opcode = IORING_OP_WRITE;
    break;
  case GORO__FILE_READV:
    sqe->opcode = IORING_OP_READV;
    break;
  default:
    sqe->opcode = IORING_OP_WRITEV;
    break;
  }
  sqe->fd = r->fd;
  sqe->addr = (uint64_t)(uintptr_t)r->buf;
  sqe->len = (uint32_t)(r->n > 0x7ffff000 ? 0x7ffff000 : r->n);
  sqe->off = r->off < 0 ? (uint64_t)-1 : (uint64_t)r->off;
  sqe->user_data = (uint64_t)(uintptr_t)r;
  ring.sq_array[idx] = idx;
  /* Release: the entry before the kernel may see the new tail. */
  store_rel(ring.sq_tail, tail + 1);
  int s;
  do
    s = sys_uring_enter(ring.fd, 1, 0, 0);
  while (s < 0 && errno == EINTR);
  if (s < 1) {
    /* Not consumed: take the entry back. */
    store_rel(ring.sq_tail, tail);
    goro__lock_release(&ring.lock);
    return false;
  }
  /* Reap: a page-cache hit has completed already. Others' completions
   * found on the way are woken with the lock released, before we publish
   * ourselves as parked (the poller may reap ours meanwhile: then done). */
  goro__waiter *list = NULL;
  int n = reap_locked(&list);
  while (list) {
    goro__lock_release(&ring.lock);
    goro__pd_wake_list(list);
    goro__io_waiters_done(n);
    list = NULL;
    goro__lock_acquire(&ring.lock);
    n = reap_locked(&list);
  }
  if (r->done) {
    goro__lock_release(&ring.lock);
    return true;
  }
  r->parked = true;
  goro__io_waiters_add(1);
  goro__block(&r->w, unlock_ring, NULL, "IO wait (file)");
  return true;
}
#endif /* HAVE_URING */

/* ======================================================================
 * The thread pool
 * ==================================================================== */

static struct {
  goro__lock lock;
  file_req *head, *tail; /* [lock] */
  int nthreads, idle;    /* [lock] */
  int max;               /* [set once at init] */
  uint32_t futex;        /* bumped to wake an idle worker [atomic] */
} pool = {.lock = GORO__LOCK_INIT};

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    goro__lock_acquire(&pool.lock);
    file_req *r;
    while ((r = pool.head) == NULL) {
      uint32_t f = load_acq(&pool.futex);
      pool.idle++;
      goro__lock_release(&pool.lock);
      goro__futex_wait(&pool.futex, f, -1);
      goro__lock_acquire(&pool.lock);
      pool.idle--;
    }
    pool.head = r->next;
    if (!pool.head)
      pool.tail = NULL;
    goro__lock_release(&pool.lock);
    goro__hb_acquire(r); /* the submitter's buffer (pool_submit) */
    int64_t res;
    do
      res = do_syscall(r);
    while (res == -EINTR);
    r->res = res;
    goro__wake(&r->w); /* r is the owner's again from here */
    goro__io_waiters_done(1);
  }
  return NULL;
}

static void unlock_pool(void *arg) {
  bool wake = (bool)(uintptr_t)arg;
  if (wake)
    fetch_add_seq(&pool.futex, 1);
  goro__lock_release(&pool.lock);
  if (wake)
    goro__futex_wake(&pool.futex, 1);
}

static int64_t pool_submit(file_req *r) {
  goro__hb_release(r); /* ThreadSanitizer: the buffer, to the worker */
  goro__lock_acquire(&pool.lock);
  bool wake = pool.idle > 0;
  if (!wake && pool.nthreads < pool.max) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 64 * 1024);
    pthread_t th;
    goro__san_sync_ignore_begin();
    if (pthread_create(&th, &a, worker, NULL) == 0) {
      pool.nthreads++;
      /* Named before any goroutine can wait on it: the deadlock detector
       * knows the pool's threads by this name (proc.c, helper_task). */
      pthread_setname_np(th, "goro-io");
    }
    goro__san_sync_ignore_end();
    pthread_attr_destroy(&a);
    if (pool.nthreads == 0) {
      goro__lock_release(&pool.lock);
      /* No thread at all: block this one rather than fail. */
      return do_syscall(r);
    }
  }
  r->next = NULL;
  if (pool.tail)
    pool.tail->next = r;
  else
    pool.head = r;
  pool.tail = r;
  goro__io_waiters_add(1);
  goro__block(&r->w, unlock_pool, (void *)(uintptr_t)wake, "IO wait (file)");
  return r->res;
}

/* ======================================================================
 * Entry
 * ==================================================================== */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool use_uring; /* [set once under init_once] */

static void file_init(void) {
  int e = errno;
  const char *s = getenv("GORO_IO_THREADS");
  int n = s ? atoi(s) : 0;
  pool.max = n > 0 ? (n > 256 ? 256 : n) : 4;
#ifdef HAVE_URING
  const char *u = getenv("GORO_IO_URING");
  if (!(u && u[0] == '0'))
    use_uring = uring_init();
#endif
  errno = e;
}

int64_t goro__file_io(int op, int fd, void *buf, size_t n, int64_t off) {
  file_req r;
  r.op = op;
  r.fd = fd;
  r.buf = buf;
  r.n = n;
  r.off = off;
  r.res = 0;
  r.done = false;
  r.parked = false;
  r.next = NULL;
  if (!goro__g_get()) {
    int64_t x;
    do
      x = do_syscall(&r);
    while (x == -EINTR);
    return x;
  }
  pthread_once(&init_once, file_init);
  goro__waiter_init(&r.w);
  r.w.obj = &r;
#ifdef HAVE_URING
  if (use_uring && uring_submit(&r))
    return r.res;
#endif
  return pool_submit(&r);
}
