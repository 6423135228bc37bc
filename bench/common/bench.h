/*
 * bench.h: the few helpers every C benchmark program shares (goro's and the
 * pthread baselines alike). Header-only, no goro dependency.
 *
 * Protocol with bench/run.py: a program takes its parameters as positional
 * integers on the command line (so --quick can pass small counts), does its
 * work, and prints exactly one line on stdout:
 *
 *   RESULT name=ChanSync ns_per_op=123.4 ops=1000000 checksum=499999500000
 *
 * The checksum is computed from the work actually done (values received,
 * goroutines run, primes found), never from the parameters alone, and the
 * Go twin of each program computes the same number for the same parameters.
 * Anything else goes to stderr. A failure exits non-zero with no RESULT.
 */
#ifndef GORO_BENCH_H
#define GORO_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

/* Wall clock for the measured region: CLOCK_MONOTONIC, as Go's time.Now()
 * monotonic reading. */
static inline int64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time of the whole process (every thread), user + system. */
static inline int64_t bench_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Resident set size in bytes, from VmRSS in /proc/self/status; -1 if it
 * cannot be read. */
static inline int64_t bench_rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int64_t kb = -1;
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = strtoll(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

/* argv[i] as a non-negative integer, or def when absent. Exits on garbage. */
static inline int64_t bench_arg(int argc, char **argv, int i, int64_t def) {
  char *end;
  long long v;
  if (i >= argc) return def;
  v = strtoll(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < 0) {
    fprintf(stderr, "bad argument %d: '%s' (want an integer >= 0)\n", i,
            argv[i]);
    exit(2);
  }
  return (int64_t)v;
}

/* Die with a message on stderr: the runner then reports the row as failed. */
static inline void bench_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("benchmark failed: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* The RESULT line for a time-per-operation benchmark. */
static inline void bench_result_ns_per_op(const char *name, int64_t ns,
                                          int64_t ops, int64_t checksum) {
  printf("RESULT name=%s ns_per_op=%.3f ops=%" PRId64 " total_ns=%" PRId64
         " checksum=%" PRId64 "\n",
         name, (double)ns / (double)ops, ops, ns, checksum);
  fflush(stdout);
}

#endif /* GORO_BENCH_H */
