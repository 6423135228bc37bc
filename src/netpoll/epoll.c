/*
 * epoll.c: the Linux backend of the netpoller (Go's netpoll_epoll.go).
 *
 * One epoll instance for the process. Every pollable fd is added once,
 * EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET (EPOLLPRI: TCP urgent
 * data stops a read short, and its edge must count as a read edge; see the
 * drained hint in io.c), with its poll descriptor's
 * (fd, seq) as the event data (pd.c explains seq and what an edge means to
 * the waiters). Edge-triggered, so an fd that stays readable costs nothing
 * after its first event, and a registration is never modified per wait:
 * waiting costs no system call beyond the one that returned EAGAIN.
 *
 * Two more fds live in the set:
 *  - brk_fd, an eventfd, level-triggered: brk() writes it so that a thread
 *    asleep in epoll_wait returns (a timer was added that fires earlier, or
 *    the scheduler wants the poll M back). brk_pending (Go's netpollWakeSig)
 *    keeps a burst of brk() calls to one write: set by the writer with a
 *    CAS, cleared by the blocking poller that reads the eventfd. A poller
 *    called with delay 0 leaves the event alone, so it cannot steal the
 *    wake-up meant for the one that sleeps (the eventfd stays readable, and
 *    epoll wakes the sleeper when the level-triggered item is re-queued).
 *  - one "completion" eventfd (io_file.c's io_uring or thread pool), edge-
 *    triggered, whose handler collects finished file operations.
 *
 * poll(delay) gathers the waiters to wake from every event first, then, if
 * it has any, makes sure the calling M holds a P (goro__sched_try_acquire_p)
 * and wakes them: they land on that P's run queue and this M runs them,
 * instead of waking another thread (netpoll.h's contract).
 *
 * Timeouts: epoll_pwait2 takes nanoseconds; where the kernel (or qemu-user)
 * lacks it, epoll_wait's milliseconds are rounded up, never down, so the
 * poll M does not wake before the timer it sleeps for.
 *
 * Timers: a poll with delay < 0 (no deadline) first asks the timer heaps
 * for their earliest timer and sleeps no longer than that. The scheduler
 * normally passes the right delay; this is a safety net for the poll M
 * sleeping "forever" while a timer is pending, which a race in the idle
 * path can cause (a deadline computed while no goroutine waited on an fd,
 * used after one started to: later timers that do not lower the global
 * minimum never poke it). A spurious return is allowed by the contract.
 *
 * The runtime never changes the caller's errno: every function here saves
 * and restores it around its system calls.
 */
#define _GNU_SOURCE
#include "../io.h"
#include "../../include/goro.h"
#include "../sched/sched.h" /* goro__timers_next */
#include "netpoll.h"

#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TAG_BRK UINT64_MAX
#define TAG_COMP (UINT64_MAX - 1)
#define MAX_EVENTS 128

static int ep_fd = -1;  /* [immutable after init] */
static int brk_fd = -1; /* [immutable after init] */
static uint32_t brk_pending; /* [atomic] 1 while a brk write is unread */
static int (*comp_fn)(goro__waiter **list); /* [release store, acquire
                                               load; set once] */
static bool have_pwait2 = true; /* [relaxed: cleared once on ENOSYS] */

static int ep_poll(int64_t delay);
static void ep_brk(void);

static const goro__poller poller = {.name = "epoll", .poll = ep_poll,
                                    .brk = ep_brk};

/* The poller's own system calls are made raw, as Go's runtime makes them:
 * ThreadSanitizer intercepts the libc wrappers, and would take the
 * runtime's epoll and eventfd for user fds (ordering the threads that use
 * them, and reporting the first epoll_wait as racing with epoll_create). */
static int sys_epoll_ctl(int op, int fd, struct epoll_event *ev) {
  return (int)syscall(SYS_epoll_ctl, ep_fd, op, fd, ev);
}
static ssize_t sys_rw(long nr, int fd, void *buf, size_t n) {
  return (ssize_t)syscall(nr, fd, buf, n);
}

static int ep_arm(int fd, uint32_t seq) {
  struct epoll_event ev = {
      .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET,
      .data.u64 = (uint64_t)seq << 32 | (uint32_t)fd};
  return sys_epoll_ctl(EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

static int ep_rearm(int fd, uint32_t seq) {
  struct epoll_event ev = {
      .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET,
      .data.u64 = (uint64_t)seq << 32 | (uint32_t)fd};
  return sys_epoll_ctl(EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
}

static void ep_disarm(int fd) {
  struct epoll_event ev = {0};
  int e = errno;
  sys_epoll_ctl(EPOLL_CTL_DEL, fd, &ev);
  errno = e;
}

static int ep_add_completion_fd(int efd, int (*fn)(goro__waiter **list)) {
  /* Release: fn before the fd can report an event. */
  store_rel(&comp_fn, fn);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = TAG_COMP};
  return sys_epoll_ctl(EPOLL_CTL_ADD, efd, &ev) == 0 ? 0 : -errno;
}

static const goro__pollops ops = {.arm = ep_arm,
                                  .rearm = ep_rearm,
                                  .disarm = ep_disarm,
                                  .add_completion_fd = ep_add_completion_fd};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool ready; /* [written once under init_once] */

static void ep_init(void) {
  int e = errno;
  ep_fd = (int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
  if (ep_fd >= 0) {
    brk_fd = (int)syscall(SYS_eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_BRK};
    if (brk_fd >= 0 && sys_epoll_ctl(EPOLL_CTL_ADD, brk_fd, &ev) == 0) {
      ready = true;
      goro__netpoll_register(&poller);
    }
  }
  errno = e;
}

const goro__pollops *goro__pollops_get(void) {
  pthread_once(&init_once, ep_init);
  return ready ? &ops : NULL;
}

static void ep_brk(void) {
  uint32_t zero = 0;
  /* acq_rel: pairs with the poller's release store of 0 after its read. */
  if (!cas_acq_rel(&brk_pending, &zero, 1))
    return; /* a wake-up is already on its way */
  uint64_t one = 1;
  int e = errno;
  ssize_t r = sys_rw(SYS_write, brk_fd, &one, sizeof(one));
  (void)r;
  errno = e;
}

static int ep_wait(struct epoll_event *evs, int64_t delay) {
  if (delay > 0 && load_relaxed(&have_pwait2)) {
#ifdef SYS_epoll_pwait2
    struct timespec ts = {.tv_sec = delay / 1000000000,
                          .tv_nsec = delay % 1000000000};
    long n = syscall(SYS_epoll_pwait2, ep_fd, evs, MAX_EVENTS, &ts, NULL, 0);
    if (n >= 0 || errno != ENOSYS)
      return (int)n;
#endif
    store_relaxed(&have_pwait2, false);
  }
  int ms;
  if (delay < 0)
    ms = -1;
  else if (delay == 0)
    ms = 0;
  else if (delay >= (int64_t)1000000 * 1000000000)
    ms = 1000000000;
  else
    ms = (int)((delay + 999999) / 1000000);
  return (int)syscall(SYS_epoll_pwait, ep_fd, evs, MAX_EVENTS, ms, NULL, 0);
}

static int ep_poll(int64_t delay) {
  if (!ready)
    return 0;
  int e = errno;
  if (delay < 0) {
    /* Safety net: never sleep past a pending timer, whatever the caller
     * computed (see "Timers" at the top). */
    int64_t next = goro__timers_next();
    if (next != INT64_MAX) {
      int64_t now = goro__nanotime();
      delay = next > now ? next - now : 0;
    }
  }
  struct epoll_event evs[MAX_EVENTS];
  int n = ep_wait(evs, delay);
  if (n <= 0) {
    errno = e;
    return 0;
  }
  goro__waiter *list = NULL;
  int woken = 0;
  for (int i = 0; i < n; i++) {
    uint64_t data = evs[i].data.u64;
    if (data == TAG_BRK) {
      if (delay != 0) {
        uint64_t v;
        ssize_t r = sys_rw(SYS_read, brk_fd, &v, sizeof(v));
        (void)r;
        /* Release: the read before a new brk may write again. */
        store_rel(&brk_pending, 0);
      }
      continue;
    }
    if (data == TAG_COMP) {
      int (*fn)(goro__waiter **) = load_acq(&comp_fn);
      if (fn)
        woken += fn(&list);
      continue;
    }
    uint32_t ev = evs[i].events;
    int mode = 0;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLPRI | EPOLLHUP | EPOLLERR))
      mode |= GORO__PD_R;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
      mode |= GORO__PD_W;
    if (ev & (EPOLLRDHUP | EPOLLPRI | EPOLLHUP | EPOLLERR))
      mode |= GORO__PD_HUP;
    woken += goro__pd_event((int)(uint32_t)data, (uint32_t)(data >> 32), mode,
                            &list);
  }
  if (woken) {
    goro__sched_try_acquire_p();
    goro__pd_wake_list(list);
    goro__io_waiters_done(woken);
  }
  errno = e;
  return woken;
}
