/*
 * os_linux.c: the thin layer over Linux that the rest of the runtime uses:
 * futexes, clocks, errno access that survives thread migration, and the
 * runtime lock's slow paths.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void goro__futex_wait(uint32_t *addr, uint32_t val, int64_t deadline) {
  struct timespec ts, *tsp = NULL;
  if (deadline >= 0) {
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so a
     * spurious wake-up does not stretch the wait. */
    ts.tv_sec = deadline / 1000000000;
    ts.tv_nsec = deadline % 1000000000;
    tsp = &ts;
  }
  /* The runtime never changes the caller's errno (EAGAIN, ETIMEDOUT and
   * EINTR are expected here): a goroutine's errno is saved only when it
   * parks, after the locks on the way there were taken. */
  int e = errno;
  syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, val, tsp,
          NULL, FUTEX_BITSET_MATCH_ANY);
  errno = e;
}

void goro__futex_wake(uint32_t *addr, int n) {
  int e = errno;
  syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
  errno = e;
}

int64_t goro__nanotime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t goro__nanotime_coarse(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *goro__proc_stat_field(const char *path, char *buf, size_t cap,
                                  int field) {
  int e = errno;
  const char *q = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n > 0) {
      buf[n] = 0;
      /* "pid (comm) S ...": comm may hold spaces and parentheses. Field 3
       * starts two characters after the last ')'. */
      q = strrchr(buf, ')');
      if (q && q[1] == ' ')
        q += 2;
      else
        q = NULL;
      for (int f = 3; f < field && q; f++)
        if ((q = strchr(q, ' ')) != NULL)
          q++;
    }
  }
  errno = e;
  return q && *q ? q : NULL;
}

char goro__thread_sample(pid_t tid, int64_t *cpu_ns) {
  if (tid <= 0)
    return 0;
  char path[48], buf[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  const char *f = goro__proc_stat_field(path, buf, sizeof buf, 3);
  char st = f ? *f : 0;
  /* The kernel's per-thread CPU clock: ~tid << 3 | CPUCLOCK_PERTHREAD_MASK
   * | CPUCLOCK_SCHED, as glibc's pthread_getcpuclockid builds it. */
  struct timespec ts;
  if (st && clock_gettime((clockid_t)((~(unsigned)tid << 3) | 6), &ts) == 0)
    *cpu_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  else
    st = 0;
  return st;
}

/* ---- the runtime lock ---------------------------------------------------
 * state: 0 free, 1 held, 2 held and someone may sleep on it. A holder that
 * finds 2 on release wakes one sleeper. */
void goro__lock_slow(goro__lock *l) {
  for (int spin = 0; spin < 100; spin++) {
    uint32_t z = 0;
    if (load_relaxed(&l->state) == 0 && cas_acq_rel(&l->state, &z, 1))
      return;
    cpu_relax();
  }
  /* From here on take it as 2, so our release wakes any other sleeper. */
  while (xchg_acq_rel(&l->state, 2) != 0)
    goro__futex_wait(&l->state, 2, -1);
}

void goro__unlock_slow(goro__lock *l) { goro__futex_wake(&l->state, 1); }

size_t goro__parse_size(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s)
    return 0;
  switch (*end) {
  case 'k': case 'K': v <<= 10; end++; break;
  case 'm': case 'M': v <<= 20; end++; break;
  case 'g': case 'G': v <<= 30; end++; break;
  default: break;
  }
  if (*end == 'i' || *end == 'I')
    end++;
  if (*end == 'b' || *end == 'B')
    end++;
  return *end ? 0 : (size_t)v;
}

/* ---- fault injection ------------------------------------------------------ */

bool goro__fault_on;
static int64_t fault_at[GORO_FAULT_KINDS]; /* 0: never */
static int64_t fault_run[GORO_FAULT_KINDS]; /* calls in a row that fail */
static int64_t fault_calls[GORO_FAULT_KINDS];

__attribute__((constructor)) static void fault_init(void) {
  const char *e = getenv("GORO_FAULT");
  if (!e)
    return;
  static const char *names[GORO_FAULT_KINDS] = {"malloc", "mmap", "thread"};
  for (int k = 0; k < GORO_FAULT_KINDS; k++) {
    const char *at = strstr(e, names[k]);
    if (at && at[strlen(names[k])] == ':') {
      char *end;
      fault_at[k] = strtoll(at + strlen(names[k]) + 1, &end, 10);
      fault_run[k] = *end == 'x' ? strtoll(end + 1, NULL, 10) : 1;
      goro__fault_on = true;
    }
  }
}

bool goro__fault_hit(int kind) {
  int64_t n = __atomic_add_fetch(&fault_calls[kind], 1, __ATOMIC_RELAXED);
  return fault_at[kind] && n >= fault_at[kind] &&
         n < fault_at[kind] + fault_run[kind];
}

void *goro__malloc(size_t n) {
  return goro__fault(GORO_FAULT_MALLOC) ? NULL : malloc(n);
}
void *goro__calloc(size_t n, size_t size) {
  return goro__fault(GORO_FAULT_MALLOC) ? NULL : calloc(n, size);
}
void *goro__realloc(void *p, size_t n) {
  return goro__fault(GORO_FAULT_MALLOC) ? NULL : realloc(p, n);
}
void *goro__aligned_alloc(size_t align, size_t n) {
  return goro__fault(GORO_FAULT_MALLOC) ? NULL : aligned_alloc(align, n);
}
