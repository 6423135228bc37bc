/*
 * dump.c: Go's diagnostics. "fatal error: ..." with a dump of every
 * goroutine and every thread blocked in the API, and the SIGSEGV handler
 * that turns a hit on a stack guard into "fatal error: stack overflow".
 *
 * Everything here may run in a signal handler or with runtime locks held,
 * so it only formats into stack buffers and write(2)s; it takes no lock
 * (the lists it walks only grow, and a dump reads their fields racily).
 */
#define _GNU_SOURCE
#include "sched.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_DUMPED 1000

static void write_all(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

void goro__printf(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof(buf))
    n = sizeof(buf) - 1;
  write_all(buf, (size_t)n);
}

static const char *state_name(goro__g *g) {
  switch (load_relaxed(&g->status)) {
  case G_RUNNABLE:
    return "runnable";
  case G_RUNNING:
    return "running";
  case G_WAITING:
    return g->wait_reason ? g->wait_reason : "waiting";
  default:
    return NULL;
  }
}

static void print_wait(int64_t since) {
  /* The precise clock: since may be the monitor's reading, ahead of the
   * coarse clock (goro__wait_clock). */
  int64_t now = goro__nanotime();
  if (since <= 0 || now < since)
    return;
  int64_t d = now - since;
  if (d >= 60 * (int64_t)1000000000)
    goro__printf(", %lld minutes", (long long)(d / (60 * (int64_t)1000000000)));
  else
    goro__printf(", %lld.%03llds", (long long)(d / 1000000000),
                 (long long)(d % 1000000000 / 1000000));
}

static void print_g(goro__g *g, const char *state) {
  goro__printf("goroutine %lld [%s", (long long)g->id, state);
  if (load_relaxed(&g->status) == G_WAITING)
    print_wait(g->wait_since);
  goro__printf("]:\n");
  if (g->parent)
    goro__printf("\tcreated by goroutine %lld at %s:%d\n",
                 (long long)g->parent, g->file ? g->file : "?", g->line);
  else
    goro__printf("\tcreated at %s:%d\n", g->file ? g->file : "?", g->line);
  goro__printf("\n");
}

typedef struct dump_ctx {
  goro__g *self;
  long printed, skipped;
} dump_ctx;

static void dump_g(goro__g *g, void *arg) {
  dump_ctx *c = arg;
  if (g == c->self)
    return;
  const char *st = state_name(g);
  if (!st)
    return;
  if (c->printed >= MAX_DUMPED) {
    c->skipped++;
    return;
  }
  c->printed++;
  print_g(g, st);
}

void goro__dump_all(void) {
  goro__m *m = goro__m_get();
  dump_ctx c = {.self = m ? m->curg : NULL};
  if (c.self)
    print_g(c.self, "running");
  goro__g_each(dump_g, &c);
  if (c.skipped)
    goro__printf("...additional %ld goroutines not shown\n\n", c.skipped);
  for (goro__blocked *b = goro__sched.blocked; b; b = b->next) {
    goro__printf("thread %d [%s", (int)b->tid, b->reason);
    print_wait(b->since);
    goro__printf("]:\n\tnot a goroutine: a thread blocked in the goro API\n\n");
  }
}

void goro__fatal(const char *msg) {
  static int dying;
  if (__atomic_exchange_n(&dying, 1, __ATOMIC_SEQ_CST)) {
    /* Another thread is already dying: let it finish its report. */
    for (;;)
      pause();
  }
  goro__printf("fatal error: %s\n\n", msg);
  goro__dump_all();
  _exit(2);
}

void goro__fatal_at(const char *file, int line, const char *msg) {
  char buf[512];
  snprintf(buf, sizeof(buf), "%s (%s:%d)", msg, file, line);
  goro__fatal(buf);
}

/* ---- stack overflow ------------------------------------------------------ */

#define ALTSTACK_SIZE (64 * 1024)

static struct sigaction old_segv, old_bus;

void *goro__altstack_new(void) {
  void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void on_fault(int sig, siginfo_t *si, void *uctx) {
  goro__m *m = goro__m_get();
  goro__g *g = m ? m->curg : NULL;
  if (g) {
    char *addr = si->si_addr;
    char *slot = goro__slot_addr(g->slot);
    /* A hit on this goroutine's guard, or just below it (a large frame
     * that jumped the guard lands in the neighbouring slot's guard-free
     * top only if it skipped more than the guard: not caught). */
    if (addr >= slot && addr < goro__slot_lo(slot)) {
      goro__printf("runtime: goroutine stack exceeds %zu-byte limit\n",
                   goro__stack_size);
      goro__printf("runtime: sp=%p stack=[%p, %p]\n", (void *)&addr,
                   (void *)goro__slot_lo(slot), (void *)goro__slot_top(slot));
      goro__fatal("stack overflow");
    }
  }
  /* Not ours: restore the previous disposition and let the fault recur. */
  struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
  if (old->sa_flags & SA_SIGINFO && old->sa_sigaction) {
    old->sa_sigaction(sig, si, uctx);
    return;
  }
  if (old->sa_handler != SIG_IGN && old->sa_handler != SIG_DFL &&
      old->sa_handler) {
    old->sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
}

void goro__signals_init(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &old_segv);
  sigaction(SIGBUS, &sa, &old_bus);
}
