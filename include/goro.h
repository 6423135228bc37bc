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

/* The types in this section are complete, so that they can live on the
 * stack or inside a struct, but their members are private: use the
 * functions. Each sync type has a static initializer, needs no allocation,
 * and must not be copied after first use. Every function may be called from
 * a goroutine or from a plain thread (which then blocks the thread); they
 * mix freely. Goroutine dumps name what a goroutine waits for:
 * "sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock",
 * "sync.Cond.Wait", "sync.Once.Do", "semaphore.Acquire", "sleep",
 * "context.Done", ... */

struct goro_chan; /* the channel type, goro_chan (see Channels) */

/* Private: a runtime semaphore (Go's runtime sema): a count, the number of
 * waiters, a lock and a queue of waiters. _word is a spare word that the
 * object embedding it uses (a mutex keeps its state there). */
typedef struct goro__semq {
  uint32_t _count;
  uint32_t _nwait;
  uint32_t _lock;
  int32_t _word;
  void *_head, *_tail;
} goro__semq;
#define GORO__SEMQ_INIT {0, 0, 0, 0, 0, 0}

/* ---- sync.Mutex ----------------------------------------------------------
 * Go's design: the fast path is one compare-and-swap. A contender spins
 * briefly while the holder runs on another processor, then sleeps in a
 * FIFO queue. A waiter that has waited more than 1 ms switches the mutex to
 * starvation mode, where Unlock hands it straight to the first waiter, so
 * nobody starves. Not reentrant; any goroutine or thread may unlock a
 * mutex locked by another (as in Go). */
typedef struct goro_mutex {
  goro__semq _s; /* _s._word: locked | woken | starving | waiters << 3 */
} goro_mutex;
#define GORO_MUTEX_INIT {GORO__SEMQ_INIT}

/* Locks m, blocking until it is free. */
GORO_API void goro_mutex_lock(goro_mutex *m);
/* Tries to lock m without blocking.
 * Returns
 *   1  m is now locked by the caller;
 *   0  m is locked (or handed over in starvation mode); nothing changed. */
GORO_API int goro_mutex_trylock(goro_mutex *m);
/* Unlocks m. Unlocking an unlocked mutex is fatal:
 * "fatal error: sync: unlock of unlocked mutex". */
GORO_API void goro_mutex_unlock(goro_mutex *m);

/* Private: what the inline fast paths below call when the one atomic
 * operation is not enough (the lock is held, or there are waiters). */
GORO_API void goro__mutex_lock_slow(goro_mutex *m);
GORO_API void goro__mutex_unlock_slow(goro_mutex *m, int32_t state);

/* As in Go, Lock's and Unlock's fast paths (one compare-and-swap, one
 * atomic add) are inlined into the caller; the functions above do the same
 * and remain callable as (goro_mutex_lock)(m), or everywhere with
 * GORO_NO_INLINE defined before including this header. */
#if defined(__GNUC__) && !defined(GORO_NO_INLINE)
static inline void goro__mutex_lock_inline(goro_mutex *m) {
  int32_t unlocked = 0;
  if (__builtin_expect(!__atomic_compare_exchange_n(&m->_s._word, &unlocked,
                                                    1, 0, __ATOMIC_SEQ_CST,
                                                    __ATOMIC_RELAXED),
                       0))
    goro__mutex_lock_slow(m);
}
static inline void goro__mutex_unlock_inline(goro_mutex *m) {
  int32_t state = __atomic_sub_fetch(&m->_s._word, 1, __ATOMIC_SEQ_CST);
  if (__builtin_expect(state != 0, 0))
    goro__mutex_unlock_slow(m, state);
}
#define goro_mutex_lock(m) goro__mutex_lock_inline(m)
#define goro_mutex_unlock(m) goro__mutex_unlock_inline(m)
#endif

/* ---- sync.RWMutex --------------------------------------------------------
 * Any number of readers or one writer. A writer waiting in Lock holds back
 * readers that arrive after it, so a stream of readers cannot starve it.
 * A reader must not take the read lock again while holding it if a writer
 * may be waiting (it would wait behind the writer, which waits for it). */
typedef struct goro_rwmutex {
  goro_mutex _w;      /* taken by writers among themselves */
  goro__semq _writer; /* the writer waits for departing readers; _word:
                         readers still to depart */
  goro__semq _reader; /* readers wait for the writer; _word: reader count,
                         minus 2^30 while a writer is pending */
} goro_rwmutex;
#define GORO_RWMUTEX_INIT {GORO_MUTEX_INIT, GORO__SEMQ_INIT, GORO__SEMQ_INIT}

/* Takes a read lock; blocks while a writer holds or waits for the lock. */
GORO_API void goro_rwmutex_rlock(goro_rwmutex *m);
/* Tries to take a read lock without blocking.
 * Returns 1 read-locked; 0 a writer holds or waits for the lock. */
GORO_API int goro_rwmutex_tryrlock(goro_rwmutex *m);
/* Releases a read lock. Without one: "fatal error: sync: RUnlock of
 * unlocked RWMutex". */
GORO_API void goro_rwmutex_runlock(goro_rwmutex *m);
/* Takes the write lock: waits for other writers, then for every reader to
 * leave. */
GORO_API void goro_rwmutex_lock(goro_rwmutex *m);
/* Tries to take the write lock without blocking.
 * Returns 1 write-locked; 0 a reader or writer holds it. */
GORO_API int goro_rwmutex_trylock(goro_rwmutex *m);
/* Releases the write lock. Without it: "fatal error: sync: Unlock of
 * unlocked RWMutex". */
GORO_API void goro_rwmutex_unlock(goro_rwmutex *m);

/* ---- sync.Once -----------------------------------------------------------*/
typedef struct goro_once {
  uint32_t _done; /* 1 once fn has returned */
  uint32_t _pad;
  goro_mutex _m;
} goro_once;
#define GORO_ONCE_INIT {0, 0, GORO_MUTEX_INIT}

/* Calls fn(arg) if and only if no call of goro_once_do on o has called its
 * fn before. Every call returns only after that one fn has returned, so
 * what fn did is visible to all of them. fn must not call goro_once_do on
 * the same o (it would wait for itself forever), nor end its goroutine
 * with goro_exit (o would stay locked). */
GORO_API void goro_once_do(goro_once *o, void (*fn)(void *arg), void *arg);

/* ---- sync.Cond -----------------------------------------------------------
 * A condition variable used with a goro_mutex. Waiters are woken in the
 * order they started waiting. */
typedef struct goro_cond {
  uint32_t _wait; /* waiters queued */
  uint32_t _lock;
  void *_head, *_tail;
} goro_cond;
#define GORO_COND_INIT {0, 0, 0, 0}

/* Unlocks m, waits for goro_cond_signal or goro_cond_broadcast, and locks
 * m again before returning. The caller must hold m. As in Go, a wake-up
 * does not mean the condition holds: wait in a loop. */
GORO_API void goro_cond_wait(goro_cond *c, goro_mutex *m);
/* goro_cond_wait with a deadline (absolute, goro_now() clock).
 * Returns
 *   0           woken by signal or broadcast;
 *   -ETIMEDOUT  the deadline passed first.
 * Either way m is locked again on return. */
GORO_API int goro_cond_wait_until(goro_cond *c, goro_mutex *m,
                                  int64_t deadline);
/* Wakes the longest-waiting waiter, if any. Holding m is allowed, not
 * required. */
GORO_API void goro_cond_signal(goro_cond *c);
/* Wakes every waiter. */
GORO_API void goro_cond_broadcast(goro_cond *c);

/* ---- Timers (package time) -----------------------------------------------
 * Timers live in per-processor heaps that the scheduler fires; a processor
 * with nothing to run sleeps until its next timer. Channel values are
 * int64_t: goro_now() when the timer fired. */

/* time.After: a channel (int64_t values, capacity 1) that receives one
 * value after ns nanoseconds (at once if ns <= 0). The caller holds one
 * reference and releases it with goro_chan_release; releasing it before
 * it fires cancels the timer (nobody can receive its value; until the
 * channel layer reports the release, docs/timers.md, the timer's memory
 * goes when it would have fired). Returns NULL without memory. */
GORO_API struct goro_chan *goro_after(int64_t ns);

/* time.Tick: a channel (int64_t values, capacity 1) that receives a value
 * every period_ns; ticks a slow receiver misses are dropped, as in Go.
 * Releasing the channel is meant to stop the ticker; until the channel
 * layer reports the release (docs/timers.md), a released ticker keeps
 * ticking for the life of the process, as time.Tick did before Go 1.23:
 * use goro_ticker_* for a ticker you stop. Returns NULL if period_ns <= 0
 * or without memory. */
GORO_API struct goro_chan *goro_tick(int64_t period_ns);

/* time.Timer: a stoppable, resettable one-shot timer. */
typedef struct goro_timer goro_timer;

/* time.NewTimer: fires once after ns (at once if ns <= 0), sending
 * goro_now() on its channel. Returns NULL without memory. */
GORO_API goro_timer *goro_timer_new(int64_t ns);
/* time.AfterFunc: after ns, runs fn(arg) in a goroutine of its own. The
 * timer has no channel (goro_timer_chan returns NULL). Returns NULL if fn
 * is NULL or without memory. */
GORO_API goro_timer *goro_timer_func(int64_t ns, void (*fn)(void *arg),
                                     void *arg);
/* The timer's channel (t.C): int64_t values, capacity 1. Borrowed: valid
 * until goro_timer_free (retain it to keep it longer). */
GORO_API struct goro_chan *goro_timer_chan(goro_timer *t);
/* t.Stop (Go 1.23 semantics: once it returns, no value sent before the
 * call can still be received from the channel).
 * Returns
 *   1  the timer was pending and will not fire;
 *   0  it had already fired or been stopped. */
GORO_API int goro_timer_stop(goro_timer *t);
/* t.Reset: stops the timer, drops an unreceived value, and arms it to fire
 * after ns.
 * Returns
 *   1  the timer was pending;
 *   0  it had already fired or been stopped. */
GORO_API int goro_timer_reset(goro_timer *t, int64_t ns);
/* Stops the timer, waits for a goro_timer_func function already started
 * by it to be spawned, releases its channel reference and frees it. */
GORO_API void goro_timer_free(goro_timer *t);

/* time.Ticker. */
typedef struct goro_ticker goro_ticker;

/* time.NewTicker: sends goro_now() on its channel every period_ns;
 * missed ticks are dropped. Returns NULL if period_ns <= 0 or without
 * memory. */
GORO_API goro_ticker *goro_ticker_new(int64_t period_ns);
/* The ticker's channel: borrowed, valid until goro_ticker_free. */
GORO_API struct goro_chan *goro_ticker_chan(goro_ticker *t);
/* Stops the ticker and drops an unreceived tick; it can be reset. */
GORO_API void goro_ticker_stop(goro_ticker *t);
/* Stops the ticker, drops an unreceived tick, and restarts it with a new
 * period (first tick after period_ns).
 * Returns 0; -EINVAL if period_ns <= 0 (nothing changed). */
GORO_API int goro_ticker_reset(goro_ticker *t, int64_t period_ns);
/* Stops the ticker, releases its channel reference and frees it. */
GORO_API void goro_ticker_free(goro_ticker *t);

/* ---- Contexts (package context) ------------------------------------------
 * A tree of cancellation scopes. Canceling a context cancels its whole
 * subtree; a deadline cancels it when it passes. A context is reference
 * counted: each constructor returns one reference, goro_ctx_retain adds
 * one, goro_ctx_release drops one. Dropping the last reference cancels the
 * context (Go's `defer cancel()`), detaches it from its parent and frees
 * it; a context keeps its parent alive. Any goroutine that uses a context
 * should hold a reference for as long as it does.
 *
 * Errors (goro_ctx_err): 0 while the context is live, then -ECANCELED
 * (context.Canceled) or -ETIMEDOUT (context.DeadlineExceeded). */
typedef struct goro_ctx goro_ctx;

/* context.Background: never canceled, no deadline, no values. A static
 * object: retain and release do nothing. NULL is accepted wherever a
 * context is expected and means the same. */
GORO_API goro_ctx *goro_ctx_background(void);
/* context.WithCancel. Returns NULL without memory. */
GORO_API goro_ctx *goro_ctx_with_cancel(goro_ctx *parent);
/* context.WithDeadline: also canceled with -ETIMEDOUT at deadline
 * (absolute, goro_now() clock); at once if it has passed. A parent's
 * earlier deadline applies as it is. Returns NULL without memory. */
GORO_API goro_ctx *goro_ctx_with_deadline(goro_ctx *parent,
                                          int64_t deadline);
/* context.WithTimeout: goro_ctx_with_deadline(parent, goro_now() + ns). */
GORO_API goro_ctx *goro_ctx_with_timeout(goro_ctx *parent, int64_t ns);
/* context.WithValue: a child that carries key -> value and otherwise
 * behaves as its parent (it is canceled only with it). Keys compare by
 * address. Returns NULL without memory. */
GORO_API goro_ctx *goro_ctx_with_value(goro_ctx *parent, const void *key,
                                       void *value);
/* ctx.Value: the value of the nearest context on the path to the root
 * that carries key, or NULL. */
GORO_API void *goro_ctx_value(goro_ctx *ctx, const void *key);

/* Cancels ctx and its subtree with -ECANCELED (the first cancellation
 * wins; later ones change nothing). Does nothing to the background or to
 * a value context (cancel the context it was derived from instead). */
GORO_API void goro_ctx_cancel(goro_ctx *ctx);
/* context.WithCancelCause's cancel: as goro_ctx_cancel, and records cause
 * (a negative error; 0 means -ECANCELED) for goro_ctx_cause. */
GORO_API void goro_ctx_cancel_cause(goro_ctx *ctx, int cause);

/* ctx.Err.
 * Returns
 *   0           not canceled;
 *   -ECANCELED  canceled (by goro_ctx_cancel, or through its parent);
 *   -ETIMEDOUT  its deadline (or an ancestor's) passed. */
GORO_API int goro_ctx_err(goro_ctx *ctx);
/* context.Cause: the cause given to goro_ctx_cancel_cause on ctx or on the
 * ancestor whose cancellation reached it; otherwise goro_ctx_err(ctx). */
GORO_API int goro_ctx_cause(goro_ctx *ctx);
/* ctx.Done: a channel (element size 0) closed when ctx is canceled, for
 * goro_chan_recv or a GORO_RECV case of goro_select. NULL for the
 * background (a nil channel: never ready). Borrowed: valid while the
 * caller holds its reference to ctx; do not release it or close it.
 * Returns NULL if the runtime is out of memory (the first call makes it). */
GORO_API struct goro_chan *goro_ctx_done(goro_ctx *ctx);
/* ctx.Deadline: the deadline (goro_now() clock) that applies to ctx, its
 * own or an ancestor's; INT64_MAX if none. */
GORO_API int64_t goro_ctx_deadline(goro_ctx *ctx);
/* <-ctx.Done() without a channel: blocks until ctx is canceled.
 * Returns its error, -ECANCELED or -ETIMEDOUT. Waiting on the background
 * blocks forever. */
GORO_API int goro_ctx_wait(goro_ctx *ctx);

/* Adds a reference. NULL and the background are ignored. */
GORO_API void goro_ctx_retain(goro_ctx *ctx);
/* Drops a reference; the last one cancels ctx, detaches it from its
 * parent, stops its timer and frees it. NULL and the background are
 * ignored. */
GORO_API void goro_ctx_release(goro_ctx *ctx);

/* ---- semaphore.Weighted (golang.org/x/sync/semaphore) --------------------
 * A counting semaphore of a fixed size; each acquire takes a weight. Waiters
 * are served in FIFO order: a large request at the head holds back smaller
 * ones behind it, so it cannot starve. */
typedef struct goro_sema {
  int64_t _size; /* capacity */
  int64_t _cur;  /* held now */
  uint32_t _lock;
  uint32_t _pad;
  void *_head, *_tail;
} goro_sema;
#define GORO_SEMA_INIT(size) {(size), 0, 0, 0, 0, 0}

/* Initialises s with capacity size (>= 0), like GORO_SEMA_INIT(size). */
GORO_API void goro_sema_init(goro_sema *s, int64_t size);
/* Acquires n, blocking until it is available.
 * Returns
 *   0        acquired;
 *   -EINVAL  n < 0, or n is larger than the capacity (it never could be). */
GORO_API int goro_sema_acquire(goro_sema *s, int64_t n);
/* Acquires n, or gives up when ctx is canceled. If ctx is already done it
 * may still succeed without blocking (as in Go).
 * Returns
 *   0                        acquired;
 *   -ECANCELED, -ETIMEDOUT   ctx ended first (goro_ctx_err); nothing held;
 *   -EINVAL                  n < 0. */
GORO_API int goro_sema_acquire_ctx(goro_sema *s, goro_ctx *ctx, int64_t n);
/* Acquires n without blocking.
 * Returns 1 acquired; 0 not available now (or waiters are queued). */
GORO_API int goro_sema_tryacquire(goro_sema *s, int64_t n);
/* Releases n. Releasing more than is held is fatal:
 * "fatal error: semaphore: released more than held". */
GORO_API void goro_sema_release(goro_sema *s, int64_t n);

/* ---- errgroup.Group (golang.org/x/sync/errgroup) -------------------------
 * Goroutines working on subtasks of one task: goro_group_go starts them,
 * goro_group_wait waits for all and returns the first error. The group's
 * context is canceled at the first error and when goro_group_wait
 * returns. */
typedef struct goro_group goro_group;

/* errgroup.WithContext: a group whose context derives from parent (NULL:
 * the background). Returns NULL without memory. */
GORO_API goro_group *goro_group_new(goro_ctx *parent);
/* The group's context, passed to every function the group runs. Borrowed:
 * valid until goro_group_free. */
GORO_API goro_ctx *goro_group_ctx(goro_group *g);
/* g.SetLimit: at most n goroutines of the group active at once; n < 0
 * removes the limit.
 * Returns
 *   0       done;
 *   -EBUSY  goroutines of the group are active (Go panics). */
GORO_API int goro_group_setlimit(goro_group *g, int n);
/* g.Go: runs fn(ctx, arg) in a new goroutine, first waiting while the
 * limit is reached. fn returns 0 or a negative error; the first error
 * (in time) is kept and cancels the group's context.
 * Returns
 *   0        started;
 *   -EINVAL  fn is NULL;
 *   -ENOMEM, -EAGAIN  the goroutine could not be started (goro_go). */
GORO_API int goro_group_go(goro_group *g, int (*fn)(goro_ctx *ctx, void *arg),
                           void *arg);
/* g.TryGo: as goro_group_go, but never waits.
 * Returns 0 started; -EAGAIN the limit is reached; or goro_group_go's. */
GORO_API int goro_group_trygo(goro_group *g,
                              int (*fn)(goro_ctx *ctx, void *arg), void *arg);
/* g.Wait: blocks until every function started has returned, cancels the
 * group's context, and returns the first error, or 0. */
GORO_API int goro_group_wait(goro_group *g);
/* Frees the group (call goro_group_wait first: freeing a group whose
 * goroutines still run is fatal). */
GORO_API void goro_group_free(goro_group *g);

/* ---- end of sync, timers and cancellation ---- */

/* ========================================================================
 * I/O  (section owned by the I/O work)
 * ===================================================================== */

/* Goroutines do blocking I/O in Go's style: a call that would block parks
 * the calling goroutine only, and the netpoller (edge-triggered epoll)
 * makes it runnable again when the fd is ready. The same calls work on a
 * thread that is not a goroutine, where they simply block that thread.
 *
 * Conventions of this section
 *  - Every blocking call has a deadline variant, name_until(..., deadline),
 *    with deadline absolute on the goro_now() clock (GORO_NO_DEADLINE:
 *    none). A deadline already past fails at once with -ETIMEDOUT, before
 *    any system call (as Go's SetDeadline does).
 *  - Results are counts or fds (>= 0) or -errno. Besides the system call's
 *    own errors: -ETIMEDOUT (deadline), -EBADF (fd not open, or closed by
 *    goro_close while the call waited).
 *  - fds: the runtime sets O_NONBLOCK on an fd the first time a call here
 *    uses it, and registers it with the poller. Standard streams (fd 0-2)
 *    that are blocking are left alone: calls on them block inside
 *    goro_blocking. Regular files are read and written through io_uring or
 *    a thread pool (GORO_IO_THREADS, default 4), never blocking the
 *    processor; deadlines on them are checked only before the call.
 *  - Close with goro_close, not close(2): it wakes waiters and retires the
 *    runtime's record of the fd. (An fd closed with close(2) whose number
 *    is then reused by a socket or file opened outside this API keeps a
 *    stale record, and waits on it would never wake.)
 *  - Writes write everything, as Go's Write does: they return n, or a
 *    shorter count if an error or the deadline stopped them after some
 *    bytes went out (the next call reports the error). Writes on sockets
 *    never raise SIGPIPE (-EPIPE instead).
 *  - Reads return as soon as some bytes are there: a count > 0, 0 at end of
 *    file, or an error. */

#include <sys/socket.h> /* struct sockaddr, socklen_t */
#include <sys/uio.h>    /* struct iovec */

#define GORO_NO_DEADLINE INT64_MAX

/* Readiness, for goro_wait_fd. */
enum { GORO_READABLE = 1, GORO_WRITABLE = 2 };

/* read(2): up to n bytes into buf; waits until some are available.
 * Returns the count (> 0 unless n == 0), 0 at end of file, or -errno. */
GORO_API int64_t goro_read(int fd, void *buf, size_t n);
GORO_API int64_t goro_read_until(int fd, void *buf, size_t n,
                                 int64_t deadline);

/* write(2), looping until all n bytes are written (see above). */
GORO_API int64_t goro_write(int fd, const void *buf, size_t n);
GORO_API int64_t goro_write_until(int fd, const void *buf, size_t n,
                                  int64_t deadline);

/* readv(2) / writev(2); writev writes every byte of every buffer. The
 * caller's iov array is never modified. -EINVAL for iovcnt outside
 * 0..IOV_MAX. */
GORO_API int64_t goro_readv(int fd, const struct iovec *iov, int iovcnt);
GORO_API int64_t goro_readv_until(int fd, const struct iovec *iov, int iovcnt,
                                  int64_t deadline);
GORO_API int64_t goro_writev(int fd, const struct iovec *iov, int iovcnt);
GORO_API int64_t goro_writev_until(int fd, const struct iovec *iov,
                                   int iovcnt, int64_t deadline);

/* pread(2) / pwrite(2) at offset off (>= 0, else -EINVAL); on regular
 * files they go through io_uring or the thread pool. pwrite writes all.
 * No deadline variants: they apply to files, where deadlines do not (as
 * in Go); on a pipe or socket they fail with -ESPIPE. */
GORO_API int64_t goro_pread(int fd, void *buf, size_t n, int64_t off);
GORO_API int64_t goro_pwrite(int fd, const void *buf, size_t n, int64_t off);

/* Waits until fd is ready for any of events (GORO_READABLE |
 * GORO_WRITABLE), for code that makes its own nonblocking calls (a TLS or
 * database library): call it after such a call returned EAGAIN.
 * Returns the ready subset of events (> 0; readiness includes end of file,
 * hang-up and errors, which the next call reports), -ETIMEDOUT, -EBADF,
 * -EINVAL (no event asked for). Regular files are always ready. */
GORO_API int goro_wait_fd(int fd, int events, int64_t deadline);

/* close(2) for fds used with this API. Goroutines waiting on fd wake with
 * -EBADF; calls in progress on it finish first (threads blocked on it are
 * noticed within 50 ms), so their system calls never touch a later file
 * that gets the same number. Returns 0, or -errno (-EBADF: not open, or
 * another goro_close of it is under way). Any fd may be passed. */
GORO_API int goro_close(int fd);

/* ---- sockets ----------------------------------------------------------- */

/* socket(2), nonblocking and close-on-exec, registered with the poller.
 * Returns the fd or -errno. */
GORO_API int goro_socket(int domain, int type, int protocol);

/* accept(2): waits for a connection. The new fd is nonblocking and
 * close-on-exec; on a listener made by goro_listen("tcp"...) it also has
 * TCP_NODELAY (Go's default). addr/addrlen may be NULL.
 * Returns the new fd or -errno. -EMFILE / -ENFILE (out of descriptors) come
 * back at once, the connection stays queued and the listener stays usable:
 * back off (goro_sleep) and call again, rather than retrying in a loop. */
GORO_API int goro_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
GORO_API int goro_accept_until(int fd, struct sockaddr *addr,
                               socklen_t *addrlen, int64_t deadline);

/* connect(2): waits for the handshake. Returns 0 or -errno
 * (-ECONNREFUSED, -ETIMEDOUT, ...); after a failure the socket is unusable
 * (goro_close it). */
GORO_API int goro_connect(int fd, const struct sockaddr *addr,
                          socklen_t addrlen);
GORO_API int goro_connect_until(int fd, const struct sockaddr *addr,
                                socklen_t addrlen, int64_t deadline);

/* recv(2) / recvfrom(2): as goro_read, with flags (MSG_PEEK, ...). */
GORO_API int64_t goro_recv(int fd, void *buf, size_t n, int flags);
GORO_API int64_t goro_recv_until(int fd, void *buf, size_t n, int flags,
                                 int64_t deadline);
GORO_API int64_t goro_recvfrom(int fd, void *buf, size_t n, int flags,
                               struct sockaddr *from, socklen_t *fromlen);
GORO_API int64_t goro_recvfrom_until(int fd, void *buf, size_t n, int flags,
                                     struct sockaddr *from,
                                     socklen_t *fromlen, int64_t deadline);

/* send(2) / sendto(2): as goro_write (all n bytes; a datagram goes out
 * whole or not at all), with flags; MSG_NOSIGNAL is always added. */
GORO_API int64_t goro_send(int fd, const void *buf, size_t n, int flags);
GORO_API int64_t goro_send_until(int fd, const void *buf, size_t n, int flags,
                                 int64_t deadline);
GORO_API int64_t goro_sendto(int fd, const void *buf, size_t n, int flags,
                             const struct sockaddr *to, socklen_t tolen);
GORO_API int64_t goro_sendto_until(int fd, const void *buf, size_t n,
                                   int flags, const struct sockaddr *to,
                                   socklen_t tolen, int64_t deadline);

/* ---- net.Listen / net.Dial ----------------------------------------------
 * network: "tcp" (IPv4 or IPv6), "tcp4", "tcp6", or "unix".
 * address: "host:port", "[ipv6]:port", ":port" (listen: every interface;
 * dial: this machine), port 0 picks a free port (goro_local_addr tells
 * which); for "unix", a path, or "@name" for Linux's abstract namespace.
 * Host names are resolved with getaddrinfo inside goro_blocking; literal
 * addresses need no lookup. Errors: -errno of socket/bind/listen/connect,
 * -EAFNOSUPPORT (unknown network), -EINVAL (malformed address), -ENOENT (no
 * such host), -EAGAIN (the resolver failed temporarily). */

/* net.Listen: a listening socket (SO_REUSEADDR, backlog somaxconn).
 * Returns the fd or -errno. A Unix socket's path is not removed on close. */
GORO_API int goro_listen(const char *network, const char *address);

/* net.Dial: a connected socket (TCP_NODELAY for TCP). Tries each address
 * the host resolves to, in order. Returns the fd, or the first address's
 * error; -ETIMEDOUT if the deadline passed. The deadline bounds the
 * connects; a name lookup (getaddrinfo, which cannot be interrupted) is
 * checked against it only when it returns. */
GORO_API int goro_dial(const char *network, const char *address);
GORO_API int goro_dial_until(const char *network, const char *address,
                             int64_t deadline);

/* The local / remote address of a socket as text ("127.0.0.1:8080",
 * "[::1]:80", a Unix path or "@name"), NUL-terminated in buf.
 * Returns its length, -ENOSPC if cap is too small, or -errno. */
GORO_API int goro_local_addr(int fd, char *buf, size_t cap);
GORO_API int goro_remote_addr(int fd, char *buf, size_t cap);

/* ---- end of I/O ---- */

#ifdef __cplusplus
}
#endif

#endif /* GORO_H */
