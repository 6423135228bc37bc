/*
 * check.h: the tests' tiny harness. CHECK fails the test with the file and
 * line; child() runs this same binary in a child process with a scenario
 * argument and captures its exit status and stderr, for the fatal paths.
 */
#ifndef GORO_TEST_CHECK_H
#define GORO_TEST_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long a_ = (long long)(a), b_ = (long long)(b);                        \
    if (a_ != b_) {                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n",        \
              __FILE__, __LINE__, #a, #b, a_, b_);                             \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* Reads what a child writes to fd into out (NUL-terminated, truncated to
 * cap; the rest is drained), closes fd and reaps pid. Returns its exit
 * status, or 128 + signal. */
static inline int check_collect(int fd, pid_t pid, char *out, size_t cap) {
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, out + n, cap - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    n += (size_t)r;
    if (n == cap - 1) {
      char sink[4096];
      while (read(fd, sink, sizeof(sink)) > 0)
        ;
      break;
    }
  }
  out[n] = 0;
  close(fd);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs `self scenario` with extra environment entries (NULL-terminated
 * "K=V" list, may be NULL). Returns the exit status (or 128+signal);
 * stderr goes to out (NUL-terminated, truncated to cap). */
static inline int child(const char *self, const char *scenario,
                        const char *const *env, char *out, size_t cap) {
  int pfd[2];
  if (pipe(pfd) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 2);
    close(pfd[0]);
    close(pfd[1]);
    for (const char *const *e = env; e && *e; e++)
      putenv((char *)*e);
    /* Cross-built tests run under an emulator (qemu-user), which the
     * host cannot exec a foreign binary without: go through it too. */
    const char *emu = getenv("GORO_TEST_EMULATOR");
    if (emu && *emu)
      execl(emu, emu, self, scenario, (char *)NULL);
    else
      execl(self, self, scenario, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  return check_collect(pfd[0], pid, out, cap);
}

#define CHECK_CONTAINS(hay, needle)                                            \
  do {                                                                         \
    if (!strstr((hay), (needle))) {                                            \
      fprintf(stderr, "%s:%d: output lacks \"%s\"; it was:\n%s\n", __FILE__,   \
              __LINE__, (needle), (hay));                                      \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#endif
