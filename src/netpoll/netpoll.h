/*
 * netpoll.h: the interface between the scheduler and an I/O poller (Go's
 * netpoll.go). The scheduler knows nothing of fds; a backend (epoll.c here,
 * io_uring or kqueue later) implements this table and registers it the
 * first time a goroutine waits for an fd.
 *
 * What the scheduler does with it (proc.c):
 *  - An M that finds no work polls without blocking (poll(0)) before it
 *    gives up its P.
 *  - The one idle M that sleeps with a deadline, the poll M, sleeps in
 *    poll(delay) instead of on its futex whenever a poller is registered,
 *    with the delay to the next timer (or forever). Adding an earlier timer,
 *    or any reason to re-evaluate, calls brk().
 *  - The monitor thread polls without blocking when nobody has for a while,
 *    so I/O readiness is noticed while every P is busy.
 *  - Deadlock detection treats goroutines waiting on fds (waiters > 0) as
 *    wakeable: a peer may always write.
 *
 * The contract of poll(delay):
 *  - delay < 0 blocks until an event or brk(); 0 never blocks; > 0 blocks
 *    at most delay ns. Spurious returns are allowed.
 *  - For each ready fd it wakes the waiters with goro__wake (park.h). If the
 *    calling M holds no P and has something to wake, it first calls
 *    goro__sched_try_acquire_p(), so the woken goroutines land on that P's
 *    queue and this M runs them, instead of waking yet another thread.
 *  - Returns the number of waiters it woke.
 *  - It may be called by several Ms at once (one blocking, others with 0).
 */
#ifndef GORO_NETPOLL_H
#define GORO_NETPOLL_H

#include "../internal.h"

typedef struct goro__poller {
  const char *name;
  int (*poll)(int64_t delay);
  void (*brk)(void);
} goro__poller;

/* The registered poller, NULL until the first fd wait [atomic: release
 * store by the backend, acquire loads by the scheduler]. */
GORO_HIDDEN extern const goro__poller *goro__netpoll_active;

/* Goroutines parked on an fd right now [atomic], kept by the backend.
 * Every I/O wait writes it, so it fills a cache line of its own (it used
 * to share one with the TLS offsets that every switch reads). */
typedef struct {
  int32_t n;
} GORO_ALIGNED_CL goro__netpoll_count;
GORO_HIDDEN extern goro__netpoll_count goro__netpoll_waiters_line;
#define goro__netpoll_waiters (goro__netpoll_waiters_line.n)

/* Registers p as the poller (once; later calls are ignored). */
GORO_HIDDEN void goro__netpoll_register(const goro__poller *p);

/* For a backend's poll: gives the calling M an idle P if it has none and
 * one is free. Returns true if the M holds a P afterwards. */
GORO_HIDDEN bool goro__sched_try_acquire_p(void);

#endif
