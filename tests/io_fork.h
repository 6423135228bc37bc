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
  size_t n = 0;
  for (;;) {
    ssize_t r = read(pfd[0], out + n, cap - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    n += (size_t)r;
    if (n == cap - 1) {
      char sink[4096];
      while (read(pfd[0], sink, sizeof(sink)) > 0)
        ;
      break;
    }
  }
  out[n] = 0;
  close(pfd[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
