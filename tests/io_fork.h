/* io_fork.h: runs a scenario in a forked child (no exec), capturing its
 * stderr, for the I/O tests that need a fresh process: a fatal error, an
 * environment variable read at start-up, a different stdin. Unlike
 * check.h's child() it does not exec, so it works under qemu-user, which
 * cannot exec a foreign-architecture binary without binfmt_misc. Call it
 * before the calling process starts the runtime (no threads to lose). */
#ifndef GORO_TEST_IO_FORK_H
#define GORO_TEST_IO_FORK_H

#include "check.h"

/* Runs fn(arg) in a child whose stderr goes to out (NUL-terminated); the
 * child exits with fn's return value. Returns the exit status, or 128 +
 * signal. */
static inline int forked(int (*fn)(void *), void *arg, char *out, size_t cap) {
  int pfd[2];
  if (pipe(pfd) != 0)
    return -1;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 2);
    close(pfd[0]);
    close(pfd[1]);
    int rc = fn(arg);
    fflush(stdout);
    _exit(rc);
  }
  close(pfd[1]);
  return check_collect(pfd[0], pid, out, cap);
}

#endif
