/*
 * stack.c: reserve, guard, pool and give back goroutine stacks.
 * The design and the invariants are in stack.h.
 */
#define _GNU_SOURCE
#include "stack.h"
#include "sched/sanitizer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef GORO_VALGRIND
#include <valgrind/valgrind.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define SLOTS_PER_CHUNK 64
#define REGION_MIN ((size_t)1 << 30)

size_t goro__stack_size;
size_t goro__stack_guard;
size_t goro__stack_slot;

typedef struct chunk {
  uint64_t clean;   /* slots free and given back (pool lock) */
  uint32_t armed;   /* 0, 1 arming, 2 all 64 guards installed [atomic] */
  uint32_t listed;  /* on the clean-chunk list (pool lock) */
} chunk;

typedef struct region {
  char *base;
  size_t nchunks;    /* capacity */
  size_t used;       /* chunks mapped; release-stored, lock-free readers */
  chunk *chunks;     /* nchunks descriptors, NORESERVE so untouched = free */
} region;

#define MAX_REGIONS 64

static struct {
  goro__lock lock;
  size_t chunk_bytes;
  size_t page;
  bool mprotect_guards;
  long map_budget; /* mappings we may still create */
  region regions[MAX_REGIONS];
  size_t nregions; /* release-stored */
  /* dirty set: LIFO array */
  void **dirty;
  size_t ndirty, dirty_cap;
  size_t low_water; /* fewest dirty slots since the last idle scavenge */
  /* chunks with clean slots: a stack of (region, chunk) pairs */
  struct clean_ref {
    uint32_t r, c;
  } *cleanlist;
  size_t nclean, clean_cap; /* clean_cap >= total_chunks, always */
  size_t total_chunks;
  bool warned_nomem, warned_maps;
  int pidfd; /* for process_madvise; -1 if unavailable */
} pool = {.lock = GORO__LOCK_INIT};

/* The pool lock; its critical sections are runtime-internal for TSan. */
static void pool_lock(void) {
  goro__lock_acquire(&pool.lock);
  goro__san_ignore_begin();
}
static void pool_unlock(void) {
  goro__san_ignore_end();
  goro__lock_release(&pool.lock);
}

static long read_max_map_count(void) {
  FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
  long v = 65530; /* the kernel's default */
  if (f) {
    if (fscanf(f, "%ld", &v) != 1)
      v = 65530;
    fclose(f);
  }
  return v;
}

int goro__stack_init(void) {
  pool.page = (size_t)sysconf(_SC_PAGESIZE);
  size_t size = 256 * 1024;
  const char *e = getenv("GORO_STACK_SIZE");
  if (e && *e) {
    size_t v = goro__parse_size(e);
    if (v >= 16 * 1024 && v <= ((size_t)1 << 30))
      size = v;
    else
      goro__printf("goro: ignoring GORO_STACK_SIZE=%s (want 16K..1G)\n", e);
  }
  size = (size + pool.page - 1) & ~(pool.page - 1);
  goro__stack_size = size;
  goro__stack_guard = pool.page > 16384 ? pool.page : 16384;
  goro__stack_slot = goro__stack_guard + size;
  pool.chunk_bytes = goro__stack_slot * SLOTS_PER_CHUNK;

  /* The budget: a quarter of vm.max_map_count stays for the rest of the
   * program (malloc arenas, libraries, thread stacks). */
  long maxmap = read_max_map_count();
  pool.map_budget = maxmap - maxmap / 4;
  e = getenv("GORO_MAP_BUDGET");
  if (e && *e)
    pool.map_budget = atol(e);

  /* Probe MADV_GUARD_INSTALL on a scratch mapping. */
  e = getenv("GORO_STACK_GUARD");
  pool.mprotect_guards = e && strcmp(e, "mprotect") == 0;
  pool.pidfd = -1;
#ifdef GORO_VALGRIND
  if (!RUNNING_ON_VALGRIND) /* it knows neither pidfd_open nor process_madvise */
#endif
    pool.pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (!pool.mprotect_guards) {
    void *p = mmap(NULL, pool.page * 2, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED || madvise(p, pool.page, MADV_GUARD_INSTALL) != 0)
      pool.mprotect_guards = true;
    if (p != MAP_FAILED)
      munmap(p, pool.page * 2);
  }
  return 0;
}

/* ---- regions and chunks (pool lock held) ------------------------------ */

static void warn_maps(void) {
  if (pool.warned_maps)
    return;
  pool.warned_maps = true;
  goro__printf("goro: cannot map more goroutine stacks: the mapping budget "
               "derived from vm.max_map_count (%ld) is used up%s; raise it "
               "with `sysctl -w vm.max_map_count=N`%s\n",
               read_max_map_count(),
               pool.mprotect_guards
                   ? " (this kernel lacks MADV_GUARD_INSTALL, so every guard "
                     "page costs two mappings)"
                   : "",
               getenv("GORO_MAP_BUDGET") ? " (GORO_MAP_BUDGET is set)" : "");
}

static void warn_nomem(int err) {
  if (pool.warned_nomem)
    return;
  pool.warned_nomem = true;
  goro__printf("goro: cannot map goroutine stacks: %s (the address space or "
               "memory is exhausted; see ulimit -v and "
               "vm.overcommit_memory)\n",
               strerror(err));
}

static int region_new(void) {
  if (pool.nregions == MAX_REGIONS) {
    warn_nomem(ENOMEM);
    return -ENOMEM;
  }
  if (pool.map_budget < 2) {
    warn_maps();
    return -EAGAIN;
  }
  /* 64 GiB (some 240,000 stacks of 256 KiB) or as large as the address
   * space allows, down to 1 GiB; up to MAX_REGIONS of them. Not larger:
   * emulators such as qemu-user pay per page of a mapping's size. */
  size_t first = (size_t)1 << 36;
#ifdef GORO_VALGRIND
  /* valgrind spends about 40 s setting up its shadow of a 64 GiB mapping:
   * under it, regions start at the smallest size (more are added). */
  if (RUNNING_ON_VALGRIND)
    first = REGION_MIN;
#endif
  for (size_t want = first; want >= REGION_MIN; want >>= 1) {
    size_t nchunks = want / pool.chunk_bytes;
    if (nchunks == 0)
      continue;
    size_t bytes = nchunks * pool.chunk_bytes;
    /* Read-write from the start: carving a chunk is then free, and no
     * mmap holds the address-space lock while workers fault stacks in. */
    void *base = goro__fault(GORO_FAULT_MMAP) ? MAP_FAILED :
                 mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                      -1, 0);
    if (base == MAP_FAILED)
      continue;
    void *desc = mmap(NULL, nchunks * sizeof(chunk), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (desc == MAP_FAILED) {
      munmap(base, bytes);
      break;
    }
    region *r = &pool.regions[pool.nregions];
    r->base = base;
    r->nchunks = nchunks;
    r->used = 0;
    r->chunks = desc;
    pool.map_budget -= 2;
    /* Pairs with the acquire loads of lock-free readers. */
    store_rel(&pool.nregions, pool.nregions + 1);
    return 0;
  }
  warn_nomem(ENOMEM);
  return -ENOMEM;
}

static int chunk_new(void) {
  region *r = pool.nregions ? &pool.regions[pool.nregions - 1] : NULL;
  if (!r || r->used == r->nchunks) {
    int err = region_new();
    if (err < 0)
      return err;
    r = &pool.regions[pool.nregions - 1];
  }
  /* Contiguous read-write chunks merge into one VMA; count one mapping per
   * chunk anyway, and two per guard when guards are mprotect'ed. */
  long cost = 1 + (pool.mprotect_guards ? 2 * SLOTS_PER_CHUNK : 0);
  if (pool.map_budget < cost) {
    warn_maps();
    return -EAGAIN;
  }
  pool.map_budget -= cost;
  size_t ci = r->used;
  r->chunks[ci].clean = ~(uint64_t)0;
  r->chunks[ci].armed = 0;
  r->chunks[ci].listed = 0;
  if (pool.total_chunks + 1 > pool.clean_cap) {
    size_t cap = pool.clean_cap ? pool.clean_cap * 2 : 256;
    void *n = goro__realloc(pool.cleanlist, cap * sizeof(*pool.cleanlist));
    if (!n) {
      pool.map_budget += cost;
      return -ENOMEM;
    }
    pool.cleanlist = n;
    pool.clean_cap = cap;
  }
  pool.total_chunks++;
  pool.cleanlist[pool.nclean++] =
      (struct clean_ref){(uint32_t)(r - pool.regions), (uint32_t)ci};
  r->chunks[ci].listed = 1;
  /* Pairs with the acquire load in goro__stack_each. */
  store_rel(&r->used, r->used + 1);
  return 0;
}

static inline char *slot_addr(region *r, size_t ci, unsigned si) {
  return r->base + ci * pool.chunk_bytes + (size_t)si * goro__stack_slot;
}

static bool slot_locate(const void *addr, region **rp, size_t *cip,
                        unsigned *sip) {
  size_t nr = load_acq(&pool.nregions);
  for (size_t i = 0; i < nr; i++) {
    region *r = &pool.regions[i];
    const char *a = addr;
    if (a < r->base || a >= r->base + r->nchunks * pool.chunk_bytes)
      continue;
    size_t off = (size_t)(a - r->base);
    *rp = r;
    *cip = off / pool.chunk_bytes;
    *sip = (unsigned)((off % pool.chunk_bytes) / goro__stack_slot);
    return true;
  }
  return false;
}

/* Takes one clean slot; its handle says whether its guard is in. */
static int take_clean(void **out) {
  while (pool.nclean > 0) {
    struct clean_ref ref = pool.cleanlist[pool.nclean - 1];
    region *r = &pool.regions[ref.r];
    chunk *c = &r->chunks[ref.c];
    if (c->clean == 0) {
      c->listed = 0;
      pool.nclean--;
      continue;
    }
    unsigned si = (unsigned)__builtin_ctzll(c->clean);
    char *slot = slot_addr(r, ref.c, si);
    c->clean &= ~((uint64_t)1 << si);
    *out = load_acq(&c->armed) == 2 ? (void *)(slot + GORO__SLOT_GUARDED)
                                   : (void *)slot;
    return 0;
  }
  return 1; /* none */
}

/* Installs the guards of all 64 slots of a chunk, in one process_madvise
 * call where the kernel has it: a chunk is armed when its first slot is
 * first run on, and the others usually follow. The same way, it then
 * commits each slot's top page (MADV_POPULATE_WRITE), which the first
 * frame writes at once. Where a page fault is cheap that gains nothing
 * (measured on a KVM guest: no faster than faulting); on the paravirtual
 * guest this project is tested on a fault costs about 15 us and a
 * populated page about 10 us all told (1.5 in the call, the rest at first
 * touch). TimerSleep P=1, 5 interleaved runs: 2,407 -> 1,809 CPU ns per
 * sleep; Skynet 1,851 -> 1,318 ms; ParkedGoroutines' RSS unchanged. At
 * most the 63 other slots' top pages are committed early, and only in a
 * chunk that is in use. */
static int arm_chunk(char *base) {
#ifdef GORO_VALGRIND
  for (unsigned i = 0; i < SLOTS_PER_CHUNK; i++) {
    char *lo = base + (size_t)i * goro__stack_slot + goro__stack_guard;
    (void)VALGRIND_STACK_REGISTER(lo, lo + goro__stack_size);
  }
#endif
  if (pool.mprotect_guards) {
    for (unsigned i = 0; i < SLOTS_PER_CHUNK; i++)
      if (mprotect(base + (size_t)i * goro__stack_slot, goro__stack_guard,
                   PROT_NONE) != 0)
        return -errno;
    return 0;
  }
  struct iovec iov[SLOTS_PER_CHUNK];
  for (unsigned i = 0; i < SLOTS_PER_CHUNK; i++) {
    iov[i].iov_base = base + (size_t)i * goro__stack_slot;
    iov[i].iov_len = goro__stack_guard;
  }
  if (pool.pidfd < 0 ||
      syscall(SYS_process_madvise, pool.pidfd, iov, SLOTS_PER_CHUNK,
              MADV_GUARD_INSTALL, 0) < 0) {
    for (unsigned i = 0; i < SLOTS_PER_CHUNK; i++)
      if (madvise(iov[i].iov_base, goro__stack_guard, MADV_GUARD_INSTALL) != 0)
        return -errno;
    return 0; /* no process_madvise: the top pages fault in one by one */
  }
  for (unsigned i = 0; i < SLOTS_PER_CHUNK; i++) {
    iov[i].iov_base = base + (size_t)(i + 1) * goro__stack_slot - pool.page;
    iov[i].iov_len = pool.page;
  }
  /* Best effort: out of memory here is only a fault later. */
  (void)syscall(SYS_process_madvise, pool.pidfd, iov, SLOTS_PER_CHUNK,
                MADV_POPULATE_WRITE, 0);
  return 0;
}

void *goro__stack_arm(void *h) {
  static bool warned;
  int saved_errno = errno; /* restored on every path: see os_linux.c */
  region *r;
  size_t ci;
  unsigned si;
  if (!slot_locate(goro__slot_addr(h), &r, &ci, &si))
    return h;
  chunk *c = &r->chunks[ci];
  /* armed: 0 no, 1 being armed by one thread, 2 armed. The CAS elects the
   * armer without the pool lock (arming takes tens of microseconds);
   * acquire pairs with the release store of 2: the guards are in. */
  uint32_t st = load_acq(&c->armed);
  while (st != 2) {
    if (st == 0 && cas_acq_rel(&c->armed, &st, 1)) {
      int rc = arm_chunk(r->base + ci * pool.chunk_bytes);
      if (rc != 0) {
        store_rel(&c->armed, 0);
        if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
          goro__printf("goro: cannot install stack guards (%s); stack "
                       "overflow will not be detected\n", strerror(-rc));
        errno = saved_errno;
        return h;
      }
      store_rel(&c->armed, 2);
      errno = saved_errno;
      break;
    }
    cpu_relax();
    st = load_acq(&c->armed);
  }
  return (char *)goro__slot_addr(h) + GORO__SLOT_GUARDED;
}

int goro__stack_get(void **out, int n) {
  int got = 0, err = 0, saved_errno = errno;
  pool_lock();
  while (got < n && pool.ndirty > 0)
    out[got++] = pool.dirty[--pool.ndirty];
  if (pool.ndirty < pool.low_water)
    pool.low_water = pool.ndirty;
  while (got < n) {
    int rc = take_clean(&out[got]);
    if (rc == 0) {
      got++;
      continue;
    }
    if (rc < 0) {
      err = rc;
      break;
    }
    if (got > 0)
      break; /* enough for now; map the next chunk on a later call */
    rc = chunk_new();
    if (rc < 0) {
      err = rc;
      break;
    }
  }
  pool_unlock();
  errno = saved_errno;
  return got > 0 ? got : err;
}

/* Marks a slot clean, remembering whether its guard is in (lock held). */
static void mark_clean(void *h) {
  region *r;
  size_t ci;
  unsigned si;
  if (!slot_locate(goro__slot_addr(h), &r, &ci, &si))
    return;
  chunk *c = &r->chunks[ci];
  c->clean |= (uint64_t)1 << si;
  if (!c->listed) {
    GORO_ASSERT(pool.nclean < pool.clean_cap);
    pool.cleanlist[pool.nclean++] =
        (struct clean_ref){(uint32_t)(r - pool.regions), (uint32_t)ci};
    c->listed = 1;
  }
}

void goro__stack_put(void *const *slots, int n) {
  pool_lock();
  if (pool.ndirty + (size_t)n > pool.dirty_cap) {
    size_t cap = pool.dirty_cap ? pool.dirty_cap : 1024;
    while (cap < pool.ndirty + (size_t)n)
      cap *= 2;
    void *nd = goro__realloc(pool.dirty, cap * sizeof(void *));
    if (nd) {
      pool.dirty = nd;
      pool.dirty_cap = cap;
    }
  }
  for (int i = 0; i < n; i++) {
    if (pool.ndirty < pool.dirty_cap) {
      pool.dirty[pool.ndirty++] = slots[i];
    } else {
      /* No memory to remember it as dirty: give its pages back now. */
      madvise(goro__slot_lo(slots[i]), goro__stack_size, MADV_DONTNEED);
      mark_clean(slots[i]);
    }
  }
  pool_unlock();
}

size_t goro__stack_dirty_count(void) { return load_relaxed(&pool.ndirty); }

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)goro__slot_addr(*(void *const *)a),
            y = (uintptr_t)goro__slot_addr(*(void *const *)b);
  return x < y ? -1 : x > y;
}

static size_t scavenge_locked(size_t n);

size_t goro__stack_scavenge(size_t keep) {
  pool_lock();
  return scavenge_locked(pool.ndirty > keep ? pool.ndirty - keep : 0);
}

size_t goro__stack_scavenge_idle(void) {
  pool_lock();
  /* The bottom low_water slots of the LIFO were not taken since the last
   * call: nobody needed them for a whole period. */
  size_t n = pool.low_water < pool.ndirty ? pool.low_water : pool.ndirty;
  pool.low_water = pool.ndirty - n;
  return scavenge_locked(n);
}

/* Gives back the n oldest dirty slots. Called with the pool lock held;
 * releases it. */
static size_t scavenge_locked(size_t n) {
  if (n == 0) {
    pool_unlock();
    return 0;
  }
  size_t keep = pool.ndirty - n;
  /* The oldest dirty slots sit at the bottom of the LIFO. */
  void **batch = goro__malloc(n * sizeof(void *));
  if (!batch) {
    pool_unlock();
    return 0;
  }
  memcpy(batch, pool.dirty, n * sizeof(void *));
  memmove(pool.dirty, pool.dirty + n, keep * sizeof(void *));
  pool.ndirty = keep;
  if (pool.low_water > keep)
    pool.low_water = keep;
  pool_unlock();

  /* Neighbouring slots give back in one call: the guards in between keep
   * their markers (MADV_DONTNEED preserves MADV_GUARD_INSTALL guards, and
   * mprotect'ed guards hold no pages). */
  goro__san_ignore_begin();
  qsort(batch, n, sizeof(void *), cmp_ptr);
  goro__san_ignore_end();
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && (char *)goro__slot_addr(batch[j]) ==
                        (char *)goro__slot_addr(batch[j - 1]) + goro__stack_slot)
      j++;
    char *lo = goro__slot_lo(batch[i]);
    char *hi = goro__slot_top(batch[j - 1]);
    if (pool.mprotect_guards) {
      for (size_t k = i; k < j; k++)
        madvise(goro__slot_lo(batch[k]), goro__stack_size, MADV_DONTNEED);
    } else {
      madvise(lo, (size_t)(hi - lo), MADV_DONTNEED);
    }
    i = j;
  }

  /* Marked clean in short batches: spawns wait on this lock. */
  for (size_t i = 0; i < n; i += 1024) {
    pool_lock();
    for (size_t k = i; k < n && k < i + 1024; k++)
      mark_clean(batch[k]);
    pool_unlock();
  }
  free(batch);
  return n;
}

void goro__stack_each(void (*fn)(void *slot, void *ctx), void *ctx) {
  size_t nr = load_acq(&pool.nregions);
  for (size_t i = 0; i < nr; i++) {
    region *r = &pool.regions[i];
    size_t used = load_acq(&r->used);
    for (size_t c = 0; c < used; c++)
      for (unsigned s = 0; s < SLOTS_PER_CHUNK; s++)
        fn(slot_addr(r, c, s), ctx);
  }
}

void *goro__stack_slot_of(const void *addr) {
  region *r;
  size_t ci;
  unsigned si;
  if (!slot_locate(addr, &r, &ci, &si) || ci >= load_acq(&r->used))
    return NULL;
  return slot_addr(r, ci, si);
}
