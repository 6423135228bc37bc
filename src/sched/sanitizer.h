/*
 * sanitizer.h: telling AddressSanitizer, ThreadSanitizer and valgrind about
 * goroutine stacks and switches. Every hook compiles to nothing unless the
 * library is built with the matching CMake option (GORO_SANITIZE=address,
 * GORO_SANITIZE=thread, GORO_VALGRIND=ON).
 *
 * ASan: each context switch is bracketed by __sanitizer_start_switch_fiber
 * (with the target stack's bounds; NULL fake-stack slot when the leaving
 * goroutine is dead) and __sanitizer_finish_switch_fiber on arrival. Pooled
 * stacks are unpoisoned before a new goroutine's first frame is laid out.
 *
 * TSan: the library itself is built without TSan's instrumentation (with
 * GORO_TSAN_HOOKS, as Go's runtime is not race-instrumented): its own
 * hand-offs between goroutines on one thread are not user races, and only
 * the explicit edges below are what user code may rely on.
 * Every goroutine is a TSan fiber, created at its first run and
 * destroyed after it exits; switches pass __tsan_switch_to_fiber_no_sync,
 * so two goroutines that run back to back on one thread are NOT ordered by
 * the switch itself (which would hide their races). The happens-before
 * edges Go defines come from the objects: go statement -> goroutine start
 * here (release at spawn, acquire at start); channels, close, WaitGroup,
 * mutexes, Once and Cond in their own files (goro__hb_release/acquire).
 *
 * valgrind: every stack slot is registered once, when its chunk is armed
 * (stack.c).
 */
#ifndef GORO_SANITIZER_H
#define GORO_SANITIZER_H

#include "../internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define GORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORO_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(GORO_TSAN_HOOKS)
#define GORO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORO_TSAN 1
#endif
#endif

#ifdef GORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#ifdef GORO_TSAN
#include <sanitizer/tsan_interface.h>
#include <sys/mman.h>
#endif
#ifdef GORO_VALGRIND
#include <valgrind/valgrind.h>
#endif

/* ---- runtime-internal regions ----------------------------------------------
 * The library is not instrumented, but libc calls it makes (memcpy,
 * realloc, qsort) are intercepted by TSan, which cannot see the runtime
 * lock that orders them. Such regions are bracketed by ignore_begin/end. */
#ifdef GORO_TSAN
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
#endif
static inline void goro__san_ignore_begin(void) {
#ifdef GORO_TSAN
  __tsan_ignore_thread_begin();
#endif
}
static inline void goro__san_ignore_end(void) {
#ifdef GORO_TSAN
  __tsan_ignore_thread_end();
#endif
}

/* ---- happens-before edges, for objects built on the park primitive ------ */
static inline void goro__hb_release(const void *addr) {
#ifdef GORO_TSAN
  __tsan_release((void *)addr);
#else
  (void)addr;
#endif
}
static inline void goro__hb_acquire(const void *addr) {
#ifdef GORO_TSAN
  __tsan_acquire((void *)addr);
#else
  (void)addr;
#endif
}

/* ---- accesses in the user's name ------------------------------------------
 * Go's racereadpc/racewritepc: the runtime reads or writes an object on
 * behalf of the user code at pc (a return address into it), so that
 * operations that conflict without order are reported as a data race, as
 * a send and a close of one channel are. */
#ifdef GORO_TSAN
void __tsan_read1_pc(void *addr, void *pc);
void __tsan_write1_pc(void *addr, void *pc);
#endif
static inline void goro__race_read(const void *addr, void *pc) {
#ifdef GORO_TSAN
  __tsan_read1_pc((void *)addr, pc);
#else
  (void)addr, (void)pc;
#endif
}
static inline void goro__race_write(const void *addr, void *pc) {
#ifdef GORO_TSAN
  __tsan_write1_pc((void *)addr, pc);
#else
  (void)addr, (void)pc;
#endif
}
#define GORO__CALLER_PC() __builtin_return_address(0)

/* ---- fibers ----------------------------------------------------------------
 * A switch from `from` (fake-stack slot *fake, NULL when the leaver is
 * dying) to a context whose stack is [to_lo, to_lo + to_size), whose TSan
 * fiber is to_fiber. */
static inline void goro__san_switch(void **fake, const void *to_lo,
                                    size_t to_size, void *to_fiber) {
#ifdef GORO_ASAN
  __sanitizer_start_switch_fiber(fake, to_lo, to_size);
#else
  (void)fake, (void)to_lo, (void)to_size;
#endif
#ifdef GORO_TSAN
  __tsan_switch_to_fiber(to_fiber, __tsan_switch_to_fiber_no_sync);
#else
  (void)to_fiber;
#endif
}

/* On arrival in a context; fake is what its own start_switch saved. */
static inline void goro__san_arrived(void *fake) {
#ifdef GORO_ASAN
  __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
  (void)fake;
#endif
}

#ifdef GORO_TSAN
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
#endif
/* Around the creation of the runtime's own threads (workers, the monitor,
 * the file pool): a thread created in a goroutine's name would inherit
 * that goroutine's clock and hand it to every goroutine it later wakes,
 * hiding races. Created with sync ignored, it starts with no history. */
static inline void goro__san_sync_ignore_begin(void) {
#ifdef GORO_TSAN
  AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
#endif
}
static inline void goro__san_sync_ignore_end(void) {
#ifdef GORO_TSAN
  AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
#endif
}
/* A goroutine's fiber, created at its first run on whatever context was
 * running. __tsan_create_fiber would give it that context's clock, making
 * everything the previous goroutine did happen before the new one starts
 * (hiding their races); created with sync ignored, its only history is the
 * go statement's edge (acquired at start). */
static inline void *goro__san_fiber_new(void) {
#ifdef GORO_TSAN
  AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
  void *f = __tsan_create_fiber(0);
  AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
  return f;
#else
  return NULL;
#endif
}
static inline void *goro__san_fiber_current(void) {
#ifdef GORO_TSAN
  return __tsan_get_current_fiber();
#else
  return NULL;
#endif
}
static inline void goro__san_fiber_free(void *f) {
#ifdef GORO_TSAN
  if (f)
    __tsan_destroy_fiber(f);
#else
  (void)f;
#endif
}

/* A pooled stack is about to carry a new goroutine: to the sanitizers its
 * memory is new, with no history from the goroutine that used it before
 * (for TSan that is no happens-before edge between the two either). */
static inline void goro__san_stack_reuse(void *lo, size_t size) {
#ifdef GORO_ASAN
  __asan_unpoison_memory_region(lo, size);
#endif
#ifdef GORO_TSAN
  /* Fresh pages over the old ones: TSan's mmap interceptor forgets the
   * range's history (its annotation for that is a no-op in some versions). */
  mmap(lo, size, PROT_READ | PROT_WRITE,
       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED | MAP_STACK, -1,
       0);
#endif
  (void)lo, (void)size;
}

#endif
