/* io_echo.c: 1,000 concurrent clients on loopback, each a goroutine with its
 * own connection to a server that runs a goroutine per connection; every
 * client checks that each of its bytes comes back. Messages of mixed sizes
 * (up to 256 KiB, larger than a socket buffer) make the server's writes
 * wait for the client to read, so both directions park. The same over a
 * Unix socket, and with a plain thread as one of the clients. */
#include <goro.h>

#include <stdint.h>
#include <sys/resource.h>

#include "check.h"

static int nclients = 1000;
static char addr[128];
static const char *network = "tcp";
static goro_wg wg = GORO_WG_INIT;
static int64_t bytes_ok;
static int failures;

static void serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[16384];
  for (;;) {
    int64_t n = goro_read(fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    if (goro_write(fd, buf, (size_t)n) != n)
      break;
  }
  goro_close(fd);
}

static void acceptor(void *arg) {
  int lfd = (int)(intptr_t)arg;
  for (;;) {
    int fd = goro_accept(lfd, NULL, NULL);
    if (fd == -EBADF)
      return; /* listener closed: the test is over */
    if (fd < 0) {
      fprintf(stderr, "accept: %s\n", goro_strerror(fd));
      __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
      return;
    }
    goro_go(serve, (void *)(intptr_t)fd);
  }
}

static uint8_t pattern(uint32_t id, size_t i) {
  return (uint8_t)(id * 131 + i * 7 + (i >> 8));
}

/* One client: a few round trips of different sizes, each checked. */
static int client_run(uint32_t id) {
  int fd = goro_dial(network, addr);
  if (fd < 0) {
    fprintf(stderr, "dial %s: %s\n", addr, goro_strerror(fd));
    return -1;
  }
  static const size_t sizes[] = {1, 64, 1000, 4096, 262144};
  int rounds = id % 50 == 0 ? 5 : 4; /* every 50th also sends 256 KiB */
  uint8_t *out = malloc(262144), *in = malloc(262144);
  int rc = 0;
  for (int r = 0; r < rounds && rc == 0; r++) {
    size_t n = sizes[r];
    for (size_t i = 0; i < n; i++)
      out[i] = pattern(id + (uint32_t)r, i);
    if (goro_write(fd, out, n) != (int64_t)n) {
      rc = -1;
      break;
    }
    size_t got = 0;
    while (got < n) {
      int64_t k = goro_read(fd, in + got, n - got);
      if (k <= 0) {
        fprintf(stderr, "client %u: read %lld\n", id, (long long)k);
        rc = -1;
        break;
      }
      got += (size_t)k;
    }
    if (rc == 0 && memcmp(in, out, n) != 0) {
      fprintf(stderr, "client %u: bytes differ\n", id);
      rc = -1;
    }
    if (rc == 0)
      __atomic_add_fetch(&bytes_ok, (int64_t)n, __ATOMIC_SEQ_CST);
  }
  free(out);
  free(in);
  goro_close(fd);
  return rc;
}

static void client(void *arg) {
  if (client_run((uint32_t)(uintptr_t)arg) != 0)
    __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg);
}

static int64_t expected(int n) {
  int64_t t = 0;
  for (int id = 0; id < n; id++)
    t += 1 + 64 + 1000 + 4096 + (id % 50 == 0 ? 262144 : 0);
  return t;
}

static void run(const char *net, const char *laddr) {
  network = net;
  int lfd = goro_listen(net, laddr);
  CHECK(lfd >= 0);
  CHECK(goro_local_addr(lfd, addr, sizeof(addr)) > 0);
  goro_go(acceptor, (void *)(intptr_t)lfd);
  bytes_ok = 0;
  /* ids 1..n are goroutines; id 0 is this thread, a plain client. */
  goro_wg_add(&wg, nclients - 1);
  for (int i = 1; i < nclients; i++)
    CHECK(goro_go(client, (void *)(uintptr_t)i) > 0);
  CHECK_EQ(client_run(0), 0);
  goro_wg_wait(&wg);
  CHECK_EQ(failures, 0);
  CHECK_EQ(bytes_ok, expected(nclients));
  CHECK_EQ(goro_close(lfd), 0);
}

int main(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2 * (rlim_t)nclients + 64) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2 * (rlim_t)nclients + 64) {
      nclients = (int)(rl.rlim_cur - 64) / 2;
      fprintf(stderr, "RLIMIT_NOFILE %llu: %d clients\n",
              (unsigned long long)rl.rlim_cur, nclients);
    }
  }
  goro_maxprocs(0); /* start the runtime (its start-up is not ours) */
  errno = 4242;
  run("tcp", "127.0.0.1:0");
  char path[64];
  snprintf(path, sizeof(path), "@goro-io-echo-%d", (int)getpid());
  run("unix", path);
  CHECK_EQ(errno, 4242); /* the library never changes the caller's errno */
  printf("io_echo: %d clients x 2 networks ok\n", nclients);
  return 0;
}
