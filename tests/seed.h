/*
 * seed.h: the deterministic mode's explorer (tests/seed_*.c).
 *
 * A seed program holds a few protocols (scenarios). Run with no argument,
 * it is the explorer: it never starts the runtime, and for every scenario
 * re-executes itself (posix_spawn) once per seed with GORO_SEED=k, the
 * scenario's name as argv[1] and its output on a pipe. In the child the
 * runtime runs every goroutine on one thread, picking the next one, the
 * select cases and the preemptions from the seed (sched.h), so each seed
 * is one interleaving, replayable. The child checks the scenario's
 * invariants (each value delivered exactly once, in order where Go
 * guarantees order, counts), exits 1 with a message if one fails (the
 * runtime's deadlock detector exits 2), and otherwise prints a hash of its
 * event log. The explorer prints every failing seed with the command that
 * replays it, and checks replay itself: a seed run twice gives the same
 * event log, and different seeds give different logs (at least some).
 *
 *   test_seed_chan                      explore every scenario
 *   test_seed_chan -n 500               500 seeds per scenario
 *   GORO_SEED=17 test_seed_chan buffered  replay one run (prints its log
 *                                         with SEED_LOG=1)
 */
#ifndef GORO_TEST_SEED_H
#define GORO_TEST_SEED_H

#include "check.h"

#include <goro.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

extern char **environ;

typedef struct seed_scenario {
  const char *name;
  void (*fn)(void); /* runs as goro_run's main goroutine */
} seed_scenario;

/* ---- the event log (child) ----------------------------------------------
 * Goroutines append one line per event; in the deterministic mode they all
 * run on one thread, one at a time, so the order of the lines is the order
 * of the events. The hash (FNV-1a) is what the explorer compares. */
static char seed_log[1 << 20];
static size_t seed_log_len;
static uint64_t seed_hash = 1469598103934665603ULL;
static unsigned seed_events;

static void ev(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ev(const char *fmt, ...) {
  char line[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if (n > (int)sizeof(line) - 2)
    n = (int)sizeof(line) - 2;
  line[n++] = '\n';
  for (int i = 0; i < n; i++)
    seed_hash = (seed_hash ^ (uint8_t)line[i]) * 1099511628211ULL;
  if (seed_log_len + (size_t)n < sizeof(seed_log)) {
    memcpy(seed_log + seed_log_len, line, (size_t)n);
    seed_log_len += (size_t)n;
  }
  seed_events++;
}

/* A failed invariant: the message, then exit 1 (the explorer prints the
 * seed). */
#define SEED_CHECK(cond, ...)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "invariant failed: %s: ", #cond);                        \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static inline void seed_go(void (*fn)(void *), void *arg) {
  CHECK(goro_go(fn, arg) > 0);
}

/* ---- the child ---------------------------------------------------------- */

static const seed_scenario *seed_cur;
static void seed_main_fn(void *arg) {
  (void)arg;
  seed_cur->fn();
}

static int seed_child(const seed_scenario *sc) {
  alarm(20);
  seed_cur = sc;
  CHECK_EQ(goro_run(seed_main_fn, NULL), 0);
  const char *l = getenv("SEED_LOG");
  if (l && *l == '1')
    fwrite(seed_log, 1, seed_log_len, stderr);
  printf("%016llx %u\n", (unsigned long long)seed_hash, seed_events);
  fflush(stdout);
  _exit(0); /* goroutines goro_run abandoned must not run exit handlers */
}

/* ---- the explorer ------------------------------------------------------- */

typedef struct seed_result {
  int status;   /* exit status, 128 + signal */
  uint64_t hash;
  unsigned events;
  char err[512]; /* the start of stderr */
} seed_result;

/* Runs `self scenario` with GORO_SEED=seed; stdout and stderr on pipes. */
static void seed_spawn(const char *self, const char *scenario,
                       unsigned long seed, seed_result *res) {
  char seedenv[64];
  snprintf(seedenv, sizeof(seedenv), "GORO_SEED=%lu", seed);
  static char *envp[512];
  size_t ne = 0;
  envp[ne++] = seedenv;
  for (char **e = environ; *e && ne < 510; e++)
    if (strncmp(*e, "GORO_SEED=", 10) != 0 &&
        strncmp(*e, "GORO_MAXPROCS=", 14) != 0 &&
        strncmp(*e, "SEED_LOG=", 9) != 0)
      envp[ne++] = *e;
  envp[ne] = NULL;
  int out[2], err[2];
  CHECK(pipe(out) == 0 && pipe(err) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  char *argv[] = {(char *)self, (char *)scenario, NULL};
  pid_t pid;
  /* /proc/self/exe: this very binary, whatever argv[0] says. */
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  CHECK_EQ(rc, 0);
  char obuf[256];
  size_t on = 0, en = 0;
  /* Read both pipes to the end (stdout is one line; stderr is kept short). */
  for (int open_ = 2; open_ > 0;) {
    fd_set set;
    FD_ZERO(&set);
    int maxfd = -1;
    if (out[0] >= 0) {
      FD_SET(out[0], &set);
      maxfd = out[0];
    }
    if (err[0] >= 0) {
      FD_SET(err[0], &set);
      if (err[0] > maxfd)
        maxfd = err[0];
    }
    if (select(maxfd + 1, &set, NULL, NULL, NULL) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    char sink[4096];
    if (out[0] >= 0 && FD_ISSET(out[0], &set)) {
      ssize_t r = read(out[0], sink, sizeof(sink));
      if (r <= 0) {
        close(out[0]);
        out[0] = -1;
        open_--;
      } else {
        size_t k = (size_t)r < sizeof(obuf) - 1 - on ? (size_t)r
                                                      : sizeof(obuf) - 1 - on;
        memcpy(obuf + on, sink, k);
        on += k;
      }
    }
    if (err[0] >= 0 && FD_ISSET(err[0], &set)) {
      ssize_t r = read(err[0], sink, sizeof(sink));
      if (r <= 0) {
        close(err[0]);
        err[0] = -1;
        open_--;
      } else {
        size_t k = (size_t)r < sizeof(res->err) - 1 - en
                       ? (size_t)r
                       : sizeof(res->err) - 1 - en;
        memcpy(res->err + en, sink, k);
        en += k;
      }
    }
  }
  obuf[on] = 0;
  res->err[en] = 0;
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  unsigned long long h = 0;
  res->hash = 0;
  res->events = 0;
  if (sscanf(obuf, "%llx %u", &h, &res->events) == 2)
    res->hash = h;
}

static int seed_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double seed_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Explores every scenario over seeds 1..nseeds; returns the exit status. */
static int seed_explore(const char *self, const char *title,
                        const seed_scenario *sc, size_t nsc,
                        unsigned long nseeds) {
  int failed = 0;
  uint64_t *hashes = calloc(nseeds, sizeof(uint64_t));
  CHECK(hashes);
  for (size_t s = 0; s < nsc; s++) {
    double t0 = seed_now();
    unsigned long bad = 0;
    char badlist[4096] = "";
    size_t badlen = 0;
    unsigned long long events = 0;
    for (unsigned long k = 1; k <= nseeds; k++) {
      seed_result r;
      seed_spawn(self, sc[s].name, k, &r);
      hashes[k - 1] = r.hash;
      events += r.events;
      if (r.status != 0 || r.hash == 0) {
        if (bad < 20)
          printf("%s %s: seed %lu FAILED (exit %d); replay: GORO_SEED=%lu "
                 "SEED_LOG=1 %s %s\n%s\n",
                 title, sc[s].name, k, r.status, k, self, sc[s].name, r.err);
        if (badlen < sizeof(badlist) - 32)
          badlen += (size_t)snprintf(badlist + badlen, sizeof(badlist) - badlen,
                                     " %lu", k);
        bad++;
      }
    }
    /* Replay: the first seeds again, each must give the same log. */
    unsigned long nreplay = nseeds < 50 ? nseeds : 50, mismatched = 0;
    for (unsigned long k = 1; k <= nreplay; k++) {
      seed_result r;
      seed_spawn(self, sc[s].name, k, &r);
      if (r.status == 0 && r.hash != hashes[k - 1]) {
        if (mismatched < 5)
          printf("%s %s: seed %lu gave two different event logs "
                 "(%016llx, %016llx): not replayable\n",
                 title, sc[s].name, k, (unsigned long long)hashes[k - 1],
                 (unsigned long long)r.hash);
        mismatched++;
      }
    }
    qsort(hashes, nseeds, sizeof(uint64_t), seed_cmp_u64);
    unsigned long distinct = 0;
    for (unsigned long k = 0; k < nseeds; k++)
      if (hashes[k] && (k == 0 || hashes[k] != hashes[k - 1]))
        distinct++;
    double dt = seed_now() - t0;
    bool ok = bad == 0 && mismatched == 0 && (nseeds < 2 || distinct > 1);
    printf("%s %-10s %s: %lu seeds, %lu failed, %lu distinct event logs, "
           "%lu/%lu replays identical, %llu events, %.1f s (%.2f ms/seed)\n",
           ok ? "ok  " : "FAIL", sc[s].name, title, nseeds, bad, distinct,
           nreplay - mismatched, nreplay, events, dt,
           1000.0 * dt / (double)(nseeds + nreplay));
    if (bad)
      printf("%s %s: failing seeds:%s%s\n", title, sc[s].name, badlist,
             badlen >= sizeof(badlist) - 32 ? " ..." : "");
    fflush(stdout);
    if (!ok)
      failed = 1;
  }
  free(hashes);
  return failed;
}

/* main() of a seed program. */
static int seed_main(int argc, char **argv, const char *title,
                     const seed_scenario *sc, size_t nsc) {
  unsigned long nseeds = 2000;
  const char *e = getenv("SEED_COUNT");
  if (e && *e)
    nseeds = strtoul(e, NULL, 10);
  if (argc >= 3 && strcmp(argv[1], "-n") == 0)
    nseeds = strtoul(argv[2], NULL, 10);
  else if (argc >= 2) {
    for (size_t s = 0; s < nsc; s++)
      if (strcmp(argv[1], sc[s].name) == 0)
        return seed_child(&sc[s]);
    fprintf(stderr, "%s: no scenario %s\n", title, argv[1]);
    return 2;
  }
  if (nseeds == 0)
    nseeds = 1;
  return seed_explore(argv[0], title, sc, nsc, nseeds);
}

#endif
