/*
 * echo.c: a TCP echo server with a goroutine per connection, as one writes
 * it in Go:
 *
 *     ln, _ := net.Listen("tcp", addr)
 *     for {
 *         c, err := ln.Accept()
 *         if err != nil { time.Sleep(backoff); continue }
 *         go func() { io.Copy(c, c); c.Close() }()
 *     }
 *
 * Each goroutine blocks in goro_read; the runtime parks it and the netpoller
 * wakes it when its socket has data. Out of file descriptors (EMFILE),
 * accept fails at once and the loop backs off with goro_sleep instead of
 * spinning, as Go's http.Server does; the pending connection waits in the
 * kernel's queue until a descriptor is free.
 *
 *   echo [address]          serve (default 127.0.0.1:7007; "unix" paths and
 *                           "@abstract" names work with -u)
 *   echo -u path            serve on a Unix socket
 *   echo --selftest [N]     serve on a free loopback port and check it with
 *                           N concurrent client goroutines (default 100),
 *                           then exit 0 (the tests run this)
 */
#include <goro.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[16384];
  for (;;) {
    int64_t n = goro_read(fd, buf, sizeof(buf));
    if (n <= 0) /* 0: the client hung up; < 0: an error */
      break;
    if (goro_write(fd, buf, (size_t)n) != n)
      break;
  }
  goro_close(fd);
}

static void accept_loop(void *arg) {
  int lfd = (int)(intptr_t)arg;
  int64_t backoff = 0;
  for (;;) {
    int fd = goro_accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (fd == -EBADF)
        return; /* the listener was closed */
      /* EMFILE, ENFILE, ENOBUFS...: back off 5 ms, doubling to 1 s. */
      backoff = backoff ? backoff * 2 : 5000000;
      if (backoff > 1000000000)
        backoff = 1000000000;
      fprintf(stderr, "echo: accept: %s; retrying in %lld ms\n",
              goro_strerror(fd), (long long)(backoff / 1000000));
      goro_sleep(backoff);
      continue;
    }
    backoff = 0;
    if (goro_go(serve, (void *)(intptr_t)fd) < 0)
      goro_close(fd);
  }
}

/* ---- --selftest ---------------------------------------------------------- */

static char self_addr[128];
static goro_wg self_wg = GORO_WG_INIT;
static int self_failed;

static void self_client(void *arg) {
  int id = (int)(intptr_t)arg;
  int fd = goro_dial("tcp", self_addr);
  if (fd < 0) {
    self_failed = 1;
    goro_wg_done(&self_wg);
    return;
  }
  char out[64], in[64];
  for (int round = 0; round < 100; round++) {
    for (int i = 0; i < 64; i++)
      out[i] = (char)(id + round + i);
    int64_t got = 0;
    if (goro_write(fd, out, 64) != 64)
      break;
    while (got < 64) {
      int64_t n = goro_read(fd, in + got, (size_t)(64 - got));
      if (n <= 0)
        break;
      got += n;
    }
    if (got != 64 || memcmp(in, out, 64) != 0) {
      self_failed = 1;
      break;
    }
  }
  goro_close(fd);
  goro_wg_done(&self_wg);
}

static int selftest(int n) {
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  if (lfd < 0) {
    fprintf(stderr, "echo: listen: %s\n", goro_strerror(lfd));
    return 1;
  }
  goro_local_addr(lfd, self_addr, sizeof(self_addr));
  goro_go(accept_loop, (void *)(intptr_t)lfd);
  goro_wg_add(&self_wg, n);
  for (int i = 0; i < n; i++)
    goro_go(self_client, (void *)(intptr_t)i);
  goro_wg_wait(&self_wg);
  goro_close(lfd);
  printf("echo selftest: %d clients x 100 round trips: %s\n", n,
         self_failed ? "FAILED" : "ok");
  return self_failed;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--selftest"))
    return selftest(argc > 2 ? atoi(argv[2]) : 100);
  const char *network = "tcp";
  const char *addr = "127.0.0.1:7007";
  if (argc > 2 && !strcmp(argv[1], "-u")) {
    network = "unix";
    addr = argv[2];
  } else if (argc > 1) {
    addr = argv[1];
  }
  int lfd = goro_listen(network, addr);
  if (lfd < 0) {
    fprintf(stderr, "echo: listen %s %s: %s\n", network, addr,
            goro_strerror(lfd));
    return 1;
  }
  char bound[128];
  goro_local_addr(lfd, bound, sizeof(bound));
  fprintf(stderr, "echo: serving on %s\n", bound);
  /* The accept loop is the main goroutine (Go's model: goro_run). */
  return goro_run(accept_loop, (void *)(intptr_t)lfd) == 0 ? 0 : 1;
}
