/*
 * fault.c: fault injection. GORO_FAULT=kind:N makes the N-th runtime
 * allocation (malloc), stack-region mapping (mmap) or worker-thread
 * creation (thread) fail, once (src/internal.h). This program runs a fixed
 * workload in a child with GORO_FAULT=kind:N for N = 1, 2, ... and checks
 * every run: the failure surfaces as -ENOMEM or -EAGAIN (or NULL where the
 * API says so) from the call that needed the resource, nothing crashes,
 * and afterwards the runtime is still usable (a new goroutine and a
 * channel round trip work). Under the ASan build, LeakSanitizer checks
 * each child at exit: nothing leaked.
 *
 * malloc and mmap runs use GORO_SEED=1 (one thread, a fixed order), so
 * the N-th call is the same call in every run; thread runs use
 * GORO_MAXPROCS=2 (the deterministic mode has one processor). The scan
 * stops after 40 consecutive N at which the workload saw no failure (the
 * N-th call is past the workload's last, or a failure the runtime absorbs).
 *
 *   test_fault                 scan every kind
 *   GORO_FAULT=malloc:7 GORO_SEED=1 test_fault work   one run
 */
#include "check.h"

#include <goro.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- the workload (child) ---------------------------------------------- */

static int failures; /* API calls that failed as documented [atomic] */
static int wrong;    /* API calls that failed otherwise [atomic] */
static char first_wrong[256];

static void note(const char *what, long rc) {
  if (rc == -ENOMEM || rc == -EAGAIN) {
    __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
    if (getenv("FAULT_VERBOSE"))
      fprintf(stderr, "fault: %s -> %ld\n", what, rc);
    return;
  }
  if (__atomic_fetch_add(&wrong, 1, __ATOMIC_RELAXED) == 0)
    snprintf(first_wrong, sizeof(first_wrong), "%s returned %ld", what, rc);
}
static void note_null(const char *what) { note(what, -ENOMEM); }

static goro_wg wg = GORO_WG_INIT;

static void ponger(void *arg) {
  goro_chan *c = arg;
  int v;
  if (goro_chan_recv(c, &v) == 1) {
    v++;
    goro_chan_send(c, &v);
  }
  goro_chan_release(c);
}

/* A round trip through a new channel with a new goroutine; false if a
 * resource was refused (and noted). */
static bool round_trip(const char *who) {
  goro_chan *c = goro_chan_make(sizeof(int), 0);
  if (!c) {
    note_null(who);
    return false;
  }
  goro_chan_retain(c); /* the ponger's reference */
  int64_t id = goro_go(ponger, c);
  if (id < 0) {
    note(who, id);
    goro_chan_release(c);
    goro_chan_release(c);
    return false;
  }
  int v = 41;
  CHECK_EQ(goro_chan_send(c, &v), 0);
  CHECK_EQ(goro_chan_recv(c, &v), 1);
  CHECK_EQ(v, 42);
  goro_chan_release(c);
  return true;
}

static void pinger(void *arg) {
  round_trip("goroutine: chan_make/go");
  goro_wg_done(&wg);
}

static void spinner(void *arg) {
  volatile unsigned spin_sink = 0;
  for (int i = 0; i < 200000; i++)
    spin_sink += (unsigned)i;
  goro_wg_done(&wg);
}

static void workload(void *arg) {
  /* Channels of several shapes. */
  static const size_t caps[] = {0, 1, 16, 1000, 4, 100000};
  static const size_t sizes[] = {8, 64, 4, 8, 0, 16};
  goro_chan *cs[6];
  for (int i = 0; i < 6; i++) {
    cs[i] = goro_chan_make(sizes[i], caps[i]);
    if (!cs[i])
      note_null("goro_chan_make");
  }

  /* Goroutines, each with its own channel and partner. */
  for (int i = 0; i < 48; i++) {
    goro_wg_add(&wg, 1);
    int64_t id = goro_go(pinger, NULL);
    if (id < 0) {
      note("goro_go", id);
      goro_wg_done(&wg);
    }
  }

  /* A select large enough to allocate its arrays. */
  goro_case sel[12];
  for (int i = 0; i < 12; i++)
    sel[i] = (goro_case){cs[i % 6], GORO_RECV, NULL, 0};
  int r = goro_select(sel, 12, GORO_NONBLOCK);
  if (r == -ENOMEM)
    note("goro_select", r);
  else if (r != -EAGAIN)
    note("goro_select (not the default)", r);

  /* Timers. */
  goro_chan *t = goro_after(20000);
  if (!t)
    note_null("goro_after");
  else {
    int64_t when;
    CHECK_EQ(goro_chan_recv(t, &when), 1);
    goro_chan_release(t);
  }
  goro_sleep(50000);
  goro_timer *tm = goro_timer_new(1000000000);
  if (!tm)
    note_null("goro_timer_new");
  else
    goro_timer_free(tm);
  goro_ticker *tk = goro_ticker_new(1000000);
  if (!tk)
    note_null("goro_ticker_new");
  else
    goro_ticker_free(tk);
  goro_ctx *ctx = goro_ctx_with_timeout(NULL, 1000000000);
  if (!ctx)
    note_null("goro_ctx_with_timeout");
  else {
    goro_ctx_cancel(ctx);
    CHECK_EQ(goro_ctx_wait(ctx), -ECANCELED);
    goro_ctx_release(ctx);
  }

  /* More processors: worker threads. */
  int old = goro_maxprocs(2);
  for (int i = 0; i < 4; i++) {
    goro_wg_add(&wg, 1);
    int64_t id = goro_go(spinner, NULL);
    if (id < 0) {
      note("goro_go (spinner)", id);
      goro_wg_done(&wg);
    }
  }
  goro_wg_wait(&wg);
  goro_maxprocs(old);

  for (int i = 0; i < 6; i++)
    goro_chan_release(cs[i]);

  /* Still usable. The injected failure may be this very check's (the
   * N-th call can be any call); each kind fails once (or one short run), so a second
   * attempt must work. */
  if (!round_trip("usability check") && !round_trip("usability check")) {
    fprintf(stderr, "fault: the runtime is not usable after the failure\n");
    exit(3);
  }
}

static int fault_child(void) {
  alarm(30);
  int rc = goro_run(workload, NULL);
  if (rc < 0) {
    note("goro_run", rc);
    /* The failure was in the runtime's start: it must start now. */
    rc = goro_run(workload, NULL);
    if (rc < 0) {
      fprintf(stderr,
              "fault: goro_run failed again (%d) after a failed start: the "
              "runtime is not usable\n",
              rc);
      printf("%d %d\n", failures, wrong);
      return 4;
    }
  }
  if (wrong)
    fprintf(stderr, "fault: %s\n", first_wrong);
  printf("%d %d\n", failures, wrong);
  fflush(stdout);
  return wrong ? 1 : 0;
}

/* ---- the scan (parent) -------------------------------------------------- */

/* Runs the child with stdout and stderr captured together in out. */
static int run_child(const char *self, const char *kind, int n,
                     const char *run, const char *extra, char *out,
                     size_t cap) {
  char fault[64];
  snprintf(fault, sizeof(fault), "GORO_FAULT=%s:%d%s", kind, n, run);
  const char *env[] = {fault, extra, NULL};
  int pfd[2];
  CHECK(pipe(pfd) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 1);
    dup2(pfd[1], 2);
    close(pfd[0]);
    close(pfd[1]);
    unsetenv("GORO_SEED");
    unsetenv("GORO_MAXPROCS");
    for (const char *const *e = env; *e; e++)
      putenv((char *)*e);
    execl(self, self, "work", (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  return check_collect(pfd[0], pid, out, cap);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "work") == 0)
    return fault_child();
  static const struct {
    const char *kind, *run, *env;
  } kinds[] = {
      {"malloc", "", "GORO_SEED=1"},
      /* A single failed mmap is absorbed: the stack pool asks for a region
       * half the size (64 GiB down to 1 GiB, 7 tries). Eight in a row make
       * the pool itself fail, and goro_go report it. */
      {"mmap", "x8", "GORO_SEED=1"},
      {"thread", "", "GORO_MAXPROCS=2"},
  };
  int bad = 0, gaps = 0;
  static char out[1 << 16];
  for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
    int tried = 0, failing = 0, quiet = 0, last_effect = 0, unusable = 0;
    for (int n = 1; quiet < 40 && n <= 1000; n++) {
      int st = run_child("/proc/self/exe", kinds[k].kind, n, kinds[k].run,
                         kinds[k].env, out, sizeof(out));
      tried++;
      int f = 0, w = 0;
      /* The last line of output is "failures wrong". */
      char *last = out + strlen(out);
      while (last > out && last[-1] == '\n')
        *--last = 0;
      char *nl = strrchr(out, '\n');
      sscanf(nl ? nl + 1 : out, "%d %d", &f, &w);
      if (st == 4) {
        unusable++;
        if (unusable <= 3)
          printf("gap  %s:%d: %s\n", kinds[k].kind, n,
                 "the runtime cannot start again after a failed start");
      } else if (st != 0) {
        bad++;
        printf("FAIL %s:%d: exit %d; replay: GORO_FAULT=%s:%d%s %s %s work\n"
               "%.3000s\n",
               kinds[k].kind, n, st, kinds[k].kind, n, kinds[k].run,
               kinds[k].env, argv[0], out);
      }
      if (f > 0 || st != 0) {
        failing++;
        quiet = 0;
        last_effect = n;
      } else {
        quiet++;
      }
    }
    gaps += unusable;
    printf("fault %-6s: %d points tried (GORO_FAULT=%s:1..%d%s, %s), %d "
           "surfaced as -ENOMEM/-EAGAIN/NULL, last at %d; %d left the "
           "runtime unusable\n",
           kinds[k].kind, tried, kinds[k].kind, tried, kinds[k].run,
           kinds[k].env, failing, last_effect, unusable);
    fflush(stdout);
  }
  printf("fault: %s (%d failed runs, %d known gaps)\n", bad ? "FAIL" : "ok",
         bad, gaps);
  return bad ? 1 : 0;
}
