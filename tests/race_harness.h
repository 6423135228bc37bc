/*
 * race_harness.h: the race-detection contract's runner (tests/race_*.c).
 *
 * A case is a small program, run as the main goroutine of goro_run, that
 * either has a data race in Go's memory model or has none. The parent runs
 * every case in its own child process (check.h child()), under several
 * schedules: GORO_MAXPROCS=1, GORO_MAXPROCS=2 and a few GORO_SEED values
 * (each a different, replayable interleaving). A racy case is right when
 * every run's stderr has ThreadSanitizer's "WARNING: ThreadSanitizer: data
 * race"; a clean case is right when no run has it. The verdict must not
 * depend on the schedule: TSan reports a race when two accesses are
 * unordered in the happens-before graph, whatever order they ran in, so
 * each case is written so that this holds in every interleaving.
 *
 * Helpers that order events WITHOUT a happens-before edge (relaxed atomics,
 * which TSan does not treat as synchronisation) let a case wait for another
 * goroutine to reach a point without hiding the race it is about, the way
 * Go's own file polls len(c).
 *
 * A case marked GAP is one goro cannot decide today (see
 * docs/reliability.md): it is run and its verdict printed, but a wrong
 * verdict does not fail the test, and a right one is reported as XPASS so
 * the mark can be removed.
 */
#ifndef GORO_TEST_RACE_HARNESS_H
#define GORO_TEST_RACE_HARNESS_H

#include "check.h"

#include <goro.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum { CLEAN = 0, RACY = 1 };
enum { GAP = 1 };

typedef struct race_case {
  const char *name;
  int racy;
  void (*fn)(void);
  int gap; /* a known gap: see the top of the file */
} race_case;

/* ---- ordering without happens-before ------------------------------------ */

/* Relaxed atomics: TSan orders nothing through them. */
static inline void nohb_set(int *flag, int v) {
  __atomic_signal_fence(__ATOMIC_SEQ_CST); /* earlier accesses stay earlier */
  __atomic_store_n(flag, v, __ATOMIC_RELAXED);
}
static inline int nohb_get(int *flag) {
  return __atomic_load_n(flag, __ATOMIC_RELAXED);
}
static inline void nohb_add(int *ctr) {
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  __atomic_fetch_add(ctr, 1, __ATOMIC_RELAXED);
}
/* Yields until *flag >= v. */
static inline void nohb_wait(int *flag, int v) {
  while (nohb_get(flag) < v)
    goro_yield();
}

/* Every case's goroutines bump this when they are done with their
 * accesses; the case waits for them before returning (goro_run abandons
 * goroutines still alive when main_fn returns). */
static int race_finished __attribute__((unused));
#define FINISHED() nohb_add(&race_finished)
#define JOIN(n) nohb_wait(&race_finished, (n))

/* ---- small conveniences ------------------------------------------------- */

static inline void spawn(void (*fn)(void *), void *arg) {
  CHECK(goro_go(fn, arg) > 0);
}
static inline goro_chan *mkchan(size_t cap) {
  goro_chan *c = goro_chan_make(sizeof(int), cap);
  CHECK(c != NULL);
  return c;
}
static inline int sendi(goro_chan *c, int v) { return goro_chan_send(c, &v); }
static inline int recvi(goro_chan *c) {
  int v = -1;
  goro_chan_recv(c, &v);
  return v;
}

/* ---- the runner --------------------------------------------------------- */

static const race_case *race_cur;
static void race_main_fn(void *arg) {
  (void)arg;
  race_cur->fn();
}

/* The schedules each case runs under. */
static const char *const race_envs[][2] = {
    {"GORO_MAXPROCS=1", NULL}, {"GORO_MAXPROCS=2", NULL},
    {"GORO_SEED=1", NULL},     {"GORO_SEED=2", NULL},
    {"GORO_SEED=3", NULL},     {"GORO_SEED=4", NULL},
};
#define RACE_NENVS (sizeof(race_envs) / sizeof(race_envs[0]))

#define TSAN_OPTS_VAL                                                          \
  "exitcode=0 halt_on_error=0 report_signal_unsafe=0 atexit_sleep_ms=0 symbolize=0"
#define TSAN_OPTS "TSAN_OPTIONS=" TSAN_OPTS_VAL

static int race_run(int argc, char **argv, const race_case *cases, size_t n,
                    const char *title) {
  if (argc >= 2 && strcmp(argv[1], "--list") != 0) {
    /* A child: run one case. */
    for (size_t i = 0; i < n; i++)
      if (strcmp(cases[i].name, argv[1]) == 0) {
        alarm(20);
        race_cur = &cases[i];
        CHECK_EQ(goro_run(race_main_fn, NULL), 0);
        return 0;
      }
    fprintf(stderr, "no case %s\n", argv[1]);
    return 2;
  }
  if (argc >= 2) { /* --list */
    for (size_t i = 0; i < n; i++)
      printf("%s %s%s\n", cases[i].name, cases[i].racy ? "racy" : "clean",
             cases[i].gap ? " gap" : "");
    return 0;
  }
  static char out[1 << 16];
  int right = 0, wrong = 0, gaps_wrong = 0, xpass = 0, runs = 0;
  for (size_t i = 0; i < n; i++) {
    const race_case *rc = &cases[i];
    int ok_runs = 0;
    const char *bad_env = NULL;
    char bad_out[2048] = "";
    for (size_t e = 0; e < RACE_NENVS; e++) {
      const char *env[] = {TSAN_OPTS, race_envs[e][0], NULL};
      int st = child(argv[0], rc->name, env, out, sizeof(out));
      runs++;
      bool reported = strstr(out, "WARNING: ThreadSanitizer: data race") != 0;
      bool ok = st == 0 && reported == (rc->racy == RACY);
      if (ok) {
        ok_runs++;
      } else if (!bad_env) {
        bad_env = race_envs[e][0];
        snprintf(bad_out, sizeof(bad_out), "exit %d; stderr:\n%.1800s", st,
                 out);
      }
    }
    bool case_ok = ok_runs == (int)RACE_NENVS;
    const char *tag = case_ok ? (rc->gap ? "XPASS" : "ok   ")
                              : (rc->gap ? "gap  " : "FAIL ");
    printf("%s %-36s %-5s %d/%d schedules right\n", tag, rc->name,
           rc->racy ? "racy" : "clean", ok_runs, (int)RACE_NENVS);
    if (case_ok) {
      right++;
      xpass += rc->gap;
    } else if (rc->gap) {
      gaps_wrong++;
    } else {
      wrong++;
      printf("  replay: TSAN_OPTIONS='%s' %s %s %s\n  %s\n", TSAN_OPTS_VAL,
             bad_env, argv[0], rc->name, bad_out);
    }
    fflush(stdout);
  }
  printf("%s: %d of %d cases right in every schedule (%d runs); "
         "%d known gaps wrong, %d unexpected wrong, %d XPASS\n",
         title, right, (int)n, runs, gaps_wrong, wrong, xpass);
  return wrong ? 1 : 0;
}

#endif
