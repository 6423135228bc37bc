/*
 * goro.h: Go's concurrency model for C.
 *
 * Goroutines are stackful coroutines, a few KiB each, multiplexed by an
 * M:N work-stealing scheduler onto GORO_MAXPROCS worker threads. The names
 * follow Go: goro_go is the go statement, goro_wg_* is sync.WaitGroup, and
 * so on. See README.md for a tour and ../docs for the design.
 *
 * Conventions (the same for every function below):
 *  - A function that can fail returns an int (or int64_t): >= 0 is success,
 *    a negative value is -errno (-EINVAL, -ENOMEM, -EAGAIN, -EPIPE, ...).
 *    goro_strerror() names it. Nothing is reported through errno.
 *  - Durations and deadlines are int64_t nanoseconds; deadlines are
 *    absolute on the monotonic clock of goro_now().
 *  - Any thread may call any function. A blocking call made by a thread
 *    that is not a goroutine blocks that thread until it can go on, so a
 *    plain C main() can spawn goroutines and wait for them.
 *  - Misuse that no caller could recover from (a negative WaitGroup counter,
 *    a goroutine's stack overflow, a deadlock) prints Go's message prefixed
 *    "fatal error: ", a dump of every goroutine, and exits with status 2.
 *  - errno is saved when a goroutine is suspended and restored when it
 *    resumes, possibly on another thread. C libraries declare errno's
 *    location function "const", so an optimising compiler may keep the old
 *    thread's &errno across a call that suspends: this header therefore
 *    redefines errno as a call the compiler must repeat (define
 *    GORO_NO_ERRNO_OVERRIDE before including it to keep your C library's
 *    definition). The same holds for your own thread-locals: never keep
 *    their addresses across a call that may suspend.
 *
 * Environment:
 *  GORO_MAXPROCS    number of processors (default: the CPUs this process
 *                   may run on, cgroup CPU quota included)
 *  GORO_STACK_SIZE  bytes reserved per goroutine stack, e.g. 256K (the
 *                   default), 1M. Pages are committed only when touched.
 */
#ifndef GORO_H
#define GORO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GORO_API __attribute__((visibility("default")))
#else
#define GORO_API
#endif

/* ========================================================================
 * Runtime
 * ===================================================================== */

/* The calling thread's errno, found afresh on every call (see above). */
GORO_API int *goro_errno_location(void);
#if !defined(GORO_NO_ERRNO_OVERRIDE)
#undef errno
#define errno (*goro_errno_location())
#endif

/* A name for any value returned by this API: goro_strerror(-EPIPE) is
 * "broken pipe (channel closed)". Never NULL. */
GORO_API const char *goro_strerror(int err);

/* Start fn(arg) in a new goroutine (the go statement).
 * Returns the new goroutine's id (> 0), or
 *   -EINVAL  fn is NULL;
 *   -ENOMEM  no memory for its stack (printed once on stderr);
 *   -EAGAIN  a resource limit was hit: the mapping budget from
 *            vm.max_map_count (printed once on stderr, naming the sysctl).
 * Never aborts for lack of memory or mappings. Called from a goroutine, the
 * new one runs next on the same processor (Go's runnext), unless another
 * processor takes it first.
 *
 * goro_go is also a macro that records the caller's file and line, which
 * goroutine dumps print as "created at". Call goro_go_at to pass your own,
 * or (goro_go)(fn, arg) to call the function itself. */
GORO_API int64_t goro_go(void (*fn)(void *arg), void *arg);
GORO_API int64_t goro_go_at(void (*fn)(void *arg), void *arg,
                            const char *file, int line);
#define goro_go(fn, arg) goro_go_at((fn), (arg), __FILE__, __LINE__)

/* Go's program model: run main_fn(arg) as the main goroutine and return
 * when it returns. Goroutines still alive then are abandoned: they are never
 * resumed (as when a Go program's main returns; the process does not exit).
 * Returns 0, or a negative error if the runtime could not start
 * (-ENOMEM, -EAGAIN, -EINVAL for a NULL main_fn). */
GORO_API int goro_run(void (*main_fn)(void *arg), void *arg);

/* runtime.Gosched: let other goroutines run; the caller stays runnable.
 * On a thread that is not a goroutine, sched_yield(). */
GORO_API void goro_yield(void);

/* runtime.Goexit: end the calling goroutine at once (nothing on its stack
 * runs any further). On a thread that is not a goroutine, ends the thread
 * (pthread_exit). */
GORO_API void goro_exit(void);

/* The id of the calling goroutine, 0 on a thread that is not a goroutine. */
GORO_API int64_t goro_self(void);

/* runtime.GOMAXPROCS: n > 0 sets the number of processors (taking effect at
 * each processor's next scheduling point); n <= 0 only queries. Returns the
 * previous value. Values above 1024 are clamped. */
GORO_API int goro_maxprocs(int n);

/* The index (0 .. maxprocs-1) of the processor running the calling
 * goroutine, or -1 on a thread that is not a goroutine. A goroutine may
 * move between processors at any call that can suspend it. */
GORO_API int goro_proc(void);

/* runtime.NumGoroutine: goroutines that exist now (running, runnable or
 * waiting). */
GORO_API int64_t goro_count(void);

/* Monotonic clock, in nanoseconds. */
GORO_API int64_t goro_now(void);

/* time.Sleep: suspend the calling goroutine (or thread) for at least ns
 * nanoseconds. ns <= 0 returns at once. */
GORO_API void goro_sleep(int64_t ns);

/* ---- blocking calls (Go's entersyscall / exitsyscall) ---------------------
 * A goroutine about to call something that may block its thread (file I/O
 * on a slow disk, a database client, getaddrinfo) marks the call, so that
 * its processor can pass to another thread while it blocks and the other
 * goroutines keep running. fn must not call goro functions itself. On a
 * thread that is not a goroutine these simply call fn / do nothing. */
GORO_API void goro_blocking(void (*fn)(void *arg), void *arg);
GORO_API void goro_blocking_begin(void);
GORO_API void goro_blocking_end(void);

/* ========================================================================
 * sync.WaitGroup
 *
 * Each sync type has a static initializer, needs no allocation, and must
 * not be copied after first use. Members are private.
 * ===================================================================== */

typedef struct goro_wg {
  uint64_t _state; /* counter << 32 | number of waiters */
  uint32_t _lock;
  uint32_t _pad;
  void *_head, *_tail;
} goro_wg;
#define GORO_WG_INIT {0, 0, 0, 0, 0}

/* Adds delta (which may be negative) to the counter. When it reaches zero,
 * every goroutine and thread blocked in goro_wg_wait is released. A
 * negative counter is fatal: "sync: negative WaitGroup counter". */
GORO_API void goro_wg_add(goro_wg *wg, int64_t delta);
/* goro_wg_add(wg, -1). */
GORO_API void goro_wg_done(goro_wg *wg);
/* Blocks until the counter is zero. */
GORO_API void goro_wg_wait(goro_wg *wg);

/* ========================================================================
 * Channels and select  (section owned by the channels work)
 * ===================================================================== */

/* ---- end of channels and select ---- */

/* ========================================================================
 * Sync, timers and cancellation  (section owned by the sync/time work)
 * ===================================================================== */

/* ---- end of sync, timers and cancellation ---- */

/* ========================================================================
 * I/O  (section owned by the I/O work)
 * ===================================================================== */

/* ---- end of I/O ---- */

#ifdef __cplusplus
}
#endif

#endif /* GORO_H */
