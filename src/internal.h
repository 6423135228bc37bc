/*
 * internal.h: the few things every file of the library shares.
 *
 * - Atomics are GCC __atomic builtins on plain types, wrapped in helpers
 *   named by their memory order (load_acq, store_rel, cas_acq_rel, ...), so
 *   a reader sees the ordering at the call site. Every use says in a comment
 *   what it pairs with.
 * - goro__lock: a small futex mutex for runtime-internal critical sections
 *   (a few dozen instructions long). It never parks a goroutine; it blocks
 *   the thread, like Go's runtime lock.
 * - goro__fatal: Go's "fatal error: ..." plus a goroutine dump, exit 2.
 * - GORO_ASSERT: checked in debug builds (GORO_DEBUG), free otherwise.
 *
 * Lock order (a lock may only be taken while holding locks above it):
 *   1. object locks (channel, WaitGroup, mutex wait queues, timers)
 *   2. sched.lock           (idle P and M lists, global run queue)
 *   3. stack pool lock      (stack.c)
 * No object lock is ever taken while sched.lock is held.
 */
#ifndef GORO_INTERNAL_H
#define GORO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GORO_HIDDEN __attribute__((visibility("hidden")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define GORO_NOINLINE __attribute__((noinline))
#define GORO_NORETURN __attribute__((noreturn))
#define GORO_CACHELINE 64
#define GORO_ALIGNED_CL __attribute__((aligned(GORO_CACHELINE)))

/* ---- atomics, named by memory order ---------------------------------- */
#define load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define load_acq(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define load_seq(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define store_rel(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define store_seq(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define xchg_acq_rel(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
#define xchg_seq(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define fetch_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define fetch_add_seq(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define add_fetch_seq(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define cas_acq_rel(p, expp, v)                                                \
  __atomic_compare_exchange_n((p), (expp), (v), false, __ATOMIC_ACQ_REL,       \
                              __ATOMIC_ACQUIRE)
#define cas_rel(p, expp, v)                                                    \
  __atomic_compare_exchange_n((p), (expp), (v), false, __ATOMIC_RELEASE,       \
                              __ATOMIC_RELAXED)
#define cas_seq(p, expp, v)                                                    \
  __atomic_compare_exchange_n((p), (expp), (v), false, __ATOMIC_SEQ_CST,       \
                              __ATOMIC_SEQ_CST)
#define fence_seq() __atomic_thread_fence(__ATOMIC_SEQ_CST)

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* ---- debug assertions ------------------------------------------------- */
#ifdef GORO_DEBUG
#define GORO_ASSERT(cond)                                                      \
  do {                                                                         \
    if (unlikely(!(cond)))                                                     \
      goro__fatal_at(__FILE__, __LINE__, "assertion failed: " #cond);          \
  } while (0)
#else
#define GORO_ASSERT(cond) ((void)0)
#endif

/* ---- fatal errors and diagnostics ------------------------------------- */

/* Prints "fatal error: <msg>", a dump of every goroutine, exits with 2. */
GORO_HIDDEN GORO_NORETURN void goro__fatal(const char *msg);
GORO_HIDDEN GORO_NORETURN void goro__fatal_at(const char *file, int line,
                                              const char *msg);
/* Prints a runtime notice to stderr (async-signal-safe formatting). */
GORO_HIDDEN void goro__printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* ---- futex helpers ------------------------------------------------------ */
/* Blocks while *addr == val, until woken or until the absolute monotonic
 * deadline (ns; < 0 means none). Spurious returns are allowed. */
GORO_HIDDEN void goro__futex_wait(uint32_t *addr, uint32_t val,
                                  int64_t deadline);
GORO_HIDDEN void goro__futex_wake(uint32_t *addr, int n);

/* ---- the runtime lock ----------------------------------------------------
 * 0 unlocked, 1 locked, 2 locked with sleepers (Drepper's futex mutex).
 * Spins briefly before it sleeps, because its holders never block. */
typedef struct goro__lock {
  uint32_t state;
} goro__lock;
#define GORO__LOCK_INIT {0}

GORO_HIDDEN void goro__lock_slow(goro__lock *l);
GORO_HIDDEN void goro__unlock_slow(goro__lock *l);

static inline void goro__lock_acquire(goro__lock *l) {
  uint32_t z = 0;
  /* Acquire pairs with the release in goro__lock_release. */
  if (likely(cas_acq_rel(&l->state, &z, 1)))
    return;
  goro__lock_slow(l);
}
static inline void goro__lock_release(goro__lock *l) {
  if (likely(xchg_acq_rel(&l->state, 0) == 1))
    return;
  goro__unlock_slow(l);
}

/* ---- time ---------------------------------------------------------------- */
GORO_HIDDEN int64_t goro__nanotime(void);        /* CLOCK_MONOTONIC */
GORO_HIDDEN int64_t goro__nanotime_coarse(void); /* CLOCK_MONOTONIC_COARSE */

/* Field `field` (1-based, as proc(5) numbers them: 3 is the state) of the
 * /proc stat file at path, read into buf; NULL if it cannot be read. */
GORO_HIDDEN const char *goro__proc_stat_field(const char *path, char *buf,
                                              size_t cap, int field);

/* Another thread of this process as the kernel sees it: its state letter
 * from /proc ('R' running or waiting for a CPU, 'S' or 'D' asleep, ...)
 * and in *cpu_ns the CPU time it has used. 0 when it cannot be read. A
 * system call or two; the monitor uses it, never a hot path. */
GORO_HIDDEN char goro__thread_sample(pid_t tid, int64_t *cpu_ns);

/* ---- errno across switches -----------------------------------------------
 * glibc declares __errno_location() const, so a compiler may keep &errno in
 * a register across a call that switches threads. The runtime reaches errno
 * through the thread pointer and errno's constant offset from it (errno is
 * initial-exec TLS), read with a volatile asm; see sched.h. */
GORO_HIDDEN extern intptr_t goro__errno_off;

/* ---- fast per-thread random numbers (wyrand) ---------------------------- */
static inline uint64_t goro__rand_next(uint64_t *state) {
  *state += 0xa0761d6478bd642fULL;
  __uint128_t t = (__uint128_t)*state * (*state ^ 0xe7037ed1a0b428dbULL);
  return (uint64_t)(t >> 64) ^ (uint64_t)t;
}
/* Uniform in [0, n) without modulo bias worth caring about (n < 2^32). */
static inline uint32_t goro__rand_n(uint64_t *state, uint32_t n) {
  return (uint32_t)(((goro__rand_next(state) >> 32) * (uint64_t)n) >> 32);
}

/* ---- fault injection (tests) --------------------------------------------
 * GORO_FAULT="malloc:N,mmap:N,thread:N" makes the N-th call of that kind
 * (counting from 1) fail, once per kind; "kind:NxK" makes K calls in a row
 * fail from the N-th (a failure the runtime would absorb by retrying,
 * such as a smaller stack region, then surfaces). So tests can check that each
 * failure becomes -ENOMEM / -EAGAIN with nothing leaked. The runtime's own
 * allocations go through goro__malloc and friends for this reason. */
enum { GORO_FAULT_MALLOC, GORO_FAULT_MMAP, GORO_FAULT_THREAD, GORO_FAULT_KINDS };
GORO_HIDDEN extern bool goro__fault_on;
GORO_HIDDEN bool goro__fault_hit(int kind);
static inline bool goro__fault(int kind) {
  return unlikely(goro__fault_on) && goro__fault_hit(kind);
}
GORO_HIDDEN void *goro__malloc(size_t n);
GORO_HIDDEN void *goro__calloc(size_t n, size_t size);
GORO_HIDDEN void *goro__realloc(void *p, size_t n);
GORO_HIDDEN void *goro__aligned_alloc(size_t align, size_t n);

/* Parses a size such as "256K", "1M", "65536"; returns 0 on error. */
GORO_HIDDEN size_t goro__parse_size(const char *s);

#endif
