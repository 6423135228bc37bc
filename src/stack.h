/*
 * stack.h: goroutine stacks. Reserve, guard, pool, give back.
 *
 * A stack lives in a *slot*: [guard | usable stack]. The usable part grows
 * down from the slot's top; the guard below it faults on overflow. Slots
 * come from large *regions* of address space reserved PROT_NONE with
 * MAP_NORESERVE; a region is carved into *chunks* of 64 slots, mapped
 * read-write (still MAP_NORESERVE: pages are committed only when touched,
 * or for a slot's top page when its chunk is first used (arm_chunk), so a
 * million 256 KiB stacks reserve 272 GiB of address space but commit
 * about one page each).
 *
 * Guards are installed with MADV_GUARD_INSTALL (Linux 6.13+), which puts a
 * marker in the page table and does not split the mapping: contiguous
 * chunks stay one VMA, so vm.max_map_count is no limit. Older kernels fall
 * back to mprotect(PROT_NONE), which costs two VMAs per stack; the runtime
 * budgets those against vm.max_map_count and fails goro_go with -EAGAIN
 * rather than letting mmap fail somewhere else in the program.
 *
 * The pool. Freed slots go to a per-processor cache (in the scheduler, as
 * dead goroutines), then in batches to this global pool, which keeps them
 * in two sets:
 *   dirty  a LIFO of slots whose pages may still be committed (warm);
 *   clean  per-chunk bitmaps of slots whose pages were given back.
 * goro__stack_get prefers dirty slots, then clean ones, then a new chunk.
 * goro__stack_scavenge gives back the pages of dirty slots beyond a small
 * reserve with MADV_DONTNEED (which keeps guard markers), coalescing
 * neighbouring slots into one call, and moves them to the clean set. So RSS
 * falls after a burst of goroutines ends: the monitor gives back, once a
 * second, the slots that sat unused for the whole second, and everything
 * beyond the reserve when the runtime goes idle. (Workers going idle used
 * to scavenge at once: at two processors a spawn loop paid for TLB
 * shootdowns and faulted its stacks back in.)
 *
 * Locking: one pool lock (stack.c), taken last in the lock order. The
 * region and chunk tables only grow; readers that walk them without the
 * lock (dumps, the SIGSEGV handler) see a consistent prefix through the
 * release store of the counts.
 */
#ifndef GORO_STACK_H
#define GORO_STACK_H

#include "internal.h"

/* Set by goro__stack_init; constant afterwards. */
GORO_HIDDEN extern size_t goro__stack_size;  /* usable bytes per stack */
GORO_HIDDEN extern size_t goro__stack_guard; /* guard bytes below it */
GORO_HIDDEN extern size_t goro__stack_slot;  /* guard + usable */

/* Reads GORO_STACK_SIZE, vm.max_map_count, and probes MADV_GUARD_INSTALL.
 * Test hooks (environment): GORO_MAP_BUDGET=n caps the mappings the pool
 * may create; GORO_STACK_GUARD=mprotect forces the fallback. Returns 0. */
GORO_HIDDEN int goro__stack_init(void);

/* Slot handles carry one tag bit: GORO__SLOT_GUARDED says the slot's guard
 * is installed. Guards go in lazily, when a slot is first run on
 * (goro__stack_arm), because a guard marker costs a page-table page and a
 * spawn-heavy burst reserves far more slots than it ever runs on. */
#define GORO__SLOT_GUARDED ((uintptr_t)1)
static inline void *goro__slot_addr(void *h) {
  return (void *)((uintptr_t)h & ~GORO__SLOT_GUARDED);
}

/* Installs h's guard if it has none; returns the (tagged) handle. If the
 * kernel refuses (out of mappings despite the budget), warns once and
 * returns h unguarded: the stack still works, overflow goes undetected. */
GORO_HIDDEN void *goro__stack_arm(void *h);
static inline void *goro__stack_armed(void *h) {
  return likely((uintptr_t)h & GORO__SLOT_GUARDED) ? h : goro__stack_arm(h);
}

/* Takes up to n slots (n >= 1) into out[]. Returns how many (>= 1), or
 * -ENOMEM / -EAGAIN when not even one can be had; the first failure of
 * each kind prints which limit was hit. */
GORO_HIDDEN int goro__stack_get(void **out, int n);

/* Returns n slots to the pool (dirty). Never fails. */
GORO_HIDDEN void goro__stack_put(void *const *slots, int n);

/* Gives back the pages of dirty slots beyond `keep`. Returns the number of
 * slots scavenged. Takes the pool lock briefly; the madvise calls run
 * without it. */
GORO_HIDDEN size_t goro__stack_scavenge(size_t keep);

/* Gives back the pages of the dirty slots that no spawn took since the
 * previous call (the LIFO's low-water mark): the monitor calls it once a
 * second while goroutines run, so a steady churn keeps its warm stacks
 * and a burst's leftovers go within two seconds. */
GORO_HIDDEN size_t goro__stack_scavenge_idle(void);

/* Number of slots in the dirty set now (a racy hint). */
GORO_HIDDEN size_t goro__stack_dirty_count(void);

/* Usable top of a slot (exclusive) and bottom; take handles or addresses. */
static inline char *goro__slot_top(void *h) {
  return (char *)goro__slot_addr(h) + goro__stack_slot;
}
static inline char *goro__slot_lo(void *h) {
  return (char *)goro__slot_addr(h) + goro__stack_guard;
}

/* Calls fn for every slot ever mapped, in address order within a chunk.
 * Lock-free; for dumps. Slots never used read as zero. */
GORO_HIDDEN void goro__stack_each(void (*fn)(void *slot, void *ctx),
                                  void *ctx);

/* If addr lies in some slot, returns that slot, else NULL. */
GORO_HIDDEN void *goro__stack_slot_of(const void *addr);

#endif
