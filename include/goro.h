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

/* A channel (Go's chan T): a FIFO of fixed-size values between goroutines
 * and threads. The type is opaque; values are copied in and out by
 * elem_size bytes. Every operation may be called from a goroutine or from
 * a plain thread (which then blocks the thread), in any mix.
 *
 * Lifetime: reference counted. goro_chan_make returns one reference;
 * goro_chan_retain adds one, goro_chan_release drops one and frees the
 * channel at the last. Each goroutine or thread that uses a channel should
 * hold its own reference for as long as it may use it (including while it
 * is blocked on it): releasing the last reference while someone waits on
 * the channel is fatal ("goro_chan_release: last reference released while
 * goroutines wait on the channel"), and any use after the last release is
 * a use after free. Closing is independent of references. */
typedef struct goro_chan goro_chan;

/* make(chan T, cap). elem_size may be 0 (chan struct{}: elem and out
 * pointers are then ignored and may be NULL). cap == 0 makes an unbuffered
 * channel: a send completes only when a receiver takes the value, which
 * goes straight from the sender's memory to the receiver's.
 * Returns the channel, holding one reference, or NULL if there is no memory
 * or elem_size * cap overflows (no errno promise). */
GORO_API goro_chan *goro_chan_make(size_t elem_size, size_t cap);
/* Adds a reference. NULL is ignored. */
GORO_API void goro_chan_retain(goro_chan *c);
/* Drops a reference; frees the channel at the last one. NULL is ignored. */
GORO_API void goro_chan_release(goro_chan *c);

/* c <- *elem: copies elem_size bytes from elem (NULL sends a zeroed value).
 * Blocks until a receiver takes the value (unbuffered) or there is room in
 * the buffer. Waiting senders are served in FIFO order.
 * Returns
 *   0       sent;
 *   -EPIPE  c is closed, or was closed while this send waited (Go panics;
 *           the value was not sent).
 * c == NULL blocks forever (Go's nil channel; dumps say "chan send (nil
 * chan)"). */
GORO_API int goro_chan_send(goro_chan *c, const void *elem);

/* *out = <-c: blocks until a value is available or c is closed and drained.
 * out may be NULL to discard the value. Waiting receivers are served in
 * FIFO order; buffered values are received before a close takes effect.
 * Returns
 *   1  a value was received into out (Go's ok == true);
 *   0  c is closed and drained; out is zeroed (ok == false).
 * c == NULL blocks forever ("chan receive (nil chan)").
 * for v := range c  is  while (goro_chan_recv(c, &v) == 1) { ... } */
GORO_API int goro_chan_recv(goro_chan *c, void *out);

/* select { case c <- *elem: ...; default: } without blocking.
 * Returns
 *   0        sent;
 *   -EPIPE   c is closed;
 *   -EAGAIN  no receiver waiting and no room (also for c == NULL). */
GORO_API int goro_chan_trysend(goro_chan *c, const void *elem);

/* select { case v, ok := <-c: ...; default: } without blocking.
 * Returns
 *   1        a value was received into out (out may be NULL);
 *   0        c is closed and drained; out is zeroed;
 *   -EAGAIN  nothing to receive (also for c == NULL). */
GORO_API int goro_chan_tryrecv(goro_chan *c, void *out);

/* close(c). Wakes every waiting receiver (they get ok == 0 and a zeroed
 * value) and every waiting sender (they get -EPIPE). Values already
 * buffered are still received, then receives return 0.
 * Returns
 *   0        closed;
 *   -EPIPE   c was already closed (Go panics);
 *   -EINVAL  c is NULL (Go panics). */
GORO_API int goro_chan_close(goro_chan *c);

/* len(c): values buffered now (a snapshot; 0 for unbuffered and NULL).
 * After close it still counts the values left to drain. */
GORO_API size_t goro_chan_len(goro_chan *c);
/* cap(c): the capacity given to goro_chan_make (0 for NULL). */
GORO_API size_t goro_chan_cap(goro_chan *c);

/* Typed conveniences. goro_chan_make_of(int64_t, 16) is
 * make(chan int64, 16). goro_chan_send_v(c, int64_t, x + 1) sends an
 * rvalue (a compound literal: C only). */
#define goro_chan_make_of(T, cap) goro_chan_make(sizeof(T), (cap))
#define goro_chan_send_v(c, T, v) goro_chan_send((c), (T[1]){(v)})

/* ---- select ------------------------------------------------------------ */

enum { GORO_RECV = 1, GORO_SEND = 2 };

/* One case of a select. */
typedef struct goro_case {
  goro_chan *chan; /* NULL: this case is never chosen (Go's nil channel) */
  int op;          /* GORO_RECV or GORO_SEND */
  void *elem;      /* send: the value (NULL: zero); recv: where to store
                      it (NULL: discard) */
  int ok;          /* set for the chosen case: recv 1 value, 0 closed;
                      send 1 sent, 0 closed (select returned -EPIPE) */
} goro_case;

#define GORO_NONBLOCK 1 /* flags: the select has a default case */

/* select { cases... }: waits until one case can proceed, runs exactly that
 * one and returns its index. Among several ready cases the choice is
 * uniformly random. Cases may repeat a channel, and may send and receive
 * on the same channel. A goroutine blocked here waits on every channel at
 * once ("select" in dumps) and is removed from all of them when one case
 * fires. Up to 8 cases need no allocation.
 * Returns
 *   i (>= 0)  case i ran; cases[i].ok tells how (see goro_case);
 *   -EAGAIN   GORO_NONBLOCK and no case was ready (the default case);
 *   -EPIPE    the chosen case was a send on a closed channel (its ok is
 *             set to 0, so the caller can find it);
 *   -EINVAL   an op other than GORO_RECV/GORO_SEND, or cases == NULL with
 *             n > 0 (nothing ran);
 *   -ENOMEM   more than 8 cases and no memory for the bookkeeping.
 * n == 0, or only NULL channels, without GORO_NONBLOCK blocks forever, as
 * Go's select {} ("select (no cases)" in dumps). */
GORO_API int goro_select(goro_case *cases, size_t n, int flags);

/* Case builders: goro_case cs[] = {goro_recv_case(c, &v),
 * goro_send_case(d, &x)}; */
static inline goro_case goro_recv_case(goro_chan *c, void *out) {
  goro_case k;
  k.chan = c;
  k.op = GORO_RECV;
  k.elem = out;
  k.ok = 0;
  return k;
}
static inline goro_case goro_send_case(goro_chan *c, const void *elem) {
  goro_case k;
  k.chan = c;
  k.op = GORO_SEND;
  k.elem = (void *)elem;
  k.ok = 0;
  return k;
}

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
