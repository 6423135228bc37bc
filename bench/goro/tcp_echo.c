/*
 * TCPEcho: a TCP echo server with a goroutine per connection, driven over
 * loopback by a small C load generator (this same binary, "client" mode),
 * which Go's twin (bench/go/net.go) runs too: the load is the same on both
 * sides.
 *
 * The load: `conns` connections, each doing `rounds` ping-pongs of 64 bytes
 * (send, wait for the echo, check it, send the next), all at once, from one
 * thread with epoll. It measures the wall time from the first send to the
 * last echo, and every round trip's latency. One op is one round trip;
 * ns_per_op is wall time / round trips (so round trips per second is
 * 1e9 / ns_per_op). Checksum: the number of echoes whose 64 bytes came back
 * intact, conns * rounds.
 *
 * CPUs: with one processor (GORO_MAXPROCS=1 / GOMAXPROCS=1) on a machine
 * with two or more CPUs, the server pins itself to CPU 0 before it starts
 * any thread, and the load generator to CPU 1, so that they do not compete
 * for one core; with more processors neither is pinned. Go's twin does the
 * same (it re-executes itself under taskset).
 *
 * argv: conns rounds
 *       client PORT CONNS ROUNDS CPU   (the load generator; CPU -1: unpinned)
 */
#include "bench.h"

#include <goro.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MSG 64

/* ======================================================================
 * The load generator (no goro here: plain epoll, one thread)
 * ==================================================================== */

typedef struct lconn {
  int fd;
  int64_t left;    /* round trips still to do */
  int64_t sent_at; /* ns */
  int got;         /* bytes of the current echo received */
  uint32_t seq;
  char out[MSG], in[MSG];
} lconn;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void fill(lconn *c, int id) {
  memset(c->out, 'a' + (id % 26), MSG);
  memcpy(c->out, &id, sizeof(id));
  memcpy(c->out + sizeof(id), &c->seq, sizeof(c->seq));
}

static void pin_self(int cpu) {
  if (cpu < 0)
    return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0)
    fprintf(stderr, "warning: cannot pin to CPU %d\n", cpu);
}

static int client_main(int port, int conns, int64_t rounds, int cpu) {
  pin_self(cpu);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  lconn *cs = calloc((size_t)conns, sizeof(lconn));
  uint32_t *lat = malloc(sizeof(uint32_t) * (size_t)(conns * rounds));
  if (ep < 0 || !cs || !lat)
    bench_fail("client: setup");
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < conns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
      bench_fail("client: connect: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    cs[i].fd = fd;
    cs[i].left = rounds;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  int64_t nlat = 0, ok = 0, active = conns, nwait = 0, nread = 0;
  int64_t t0 = bench_now_ns();
  for (int i = 0; i < conns; i++) {
    fill(&cs[i], i);
    cs[i].sent_at = bench_now_ns();
    if (write(cs[i].fd, cs[i].out, MSG) != MSG)
      bench_fail("client: write");
  }
  struct epoll_event evs[256];
  while (active > 0) {
    int n = epoll_wait(ep, evs, 256, 10000);
    nwait++;
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      bench_fail("client: epoll_wait: %s", n == 0 ? "stalled" : strerror(errno));
    for (int k = 0; k < n; k++) {
      int id = (int)evs[k].data.u32;
      lconn *c = &cs[id];
      ssize_t r = read(c->fd, c->in + c->got, (size_t)(MSG - c->got));
      nread++;
      if (r < 0 && errno == EAGAIN)
        continue;
      if (r <= 0)
        bench_fail("client: read: %s", r == 0 ? "EOF" : strerror(errno));
      c->got += (int)r;
      if (c->got < MSG)
        continue;
      int64_t now = bench_now_ns();
      int64_t l = now - c->sent_at;
      lat[nlat++] = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
      if (memcmp(c->in, c->out, MSG) == 0)
        ok++;
      c->got = 0;
      if (--c->left == 0) {
        active--;
        continue;
      }
      c->seq++;
      fill(c, id);
      c->sent_at = bench_now_ns();
      if (write(c->fd, c->out, MSG) != MSG)
        bench_fail("client: write: %s", strerror(errno));
    }
  }
  int64_t wall = bench_now_ns() - t0;
  for (int i = 0; i < conns; i++)
    close(cs[i].fd);
  qsort(lat, (size_t)nlat, sizeof(uint32_t), cmp_u32);
  printf("CLIENT roundtrips=%" PRId64 " wall_ns=%" PRId64 " p50_ns=%u "
         "p99_ns=%u ok=%" PRId64 "\n",
         nlat, wall, lat[nlat / 2], lat[nlat * 99 / 100], ok);
  fprintf(stderr,
          "client: %" PRId64 " epoll_wait, %" PRId64 " read, %.0f CPU ns per "
          "round trip; latency us p90 %.0f p99 %.0f p99.9 %.0f max %.0f\n",
          nwait, nread, (double)bench_cpu_ns() / (double)nlat,
          lat[nlat * 90 / 100] / 1e3, lat[nlat * 99 / 100] / 1e3,
          lat[nlat * 999 / 1000] / 1e3, lat[nlat - 1] / 1e3);
  return 0;
}

/* ======================================================================
 * The server (goro)
 * ==================================================================== */

static void serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[4096];
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
      return;
    if (fd < 0) {
      goro_sleep(1000000);
      continue;
    }
    goro_go(serve, (void *)(intptr_t)fd);
  }
}

static int conns_arg;
static int64_t rounds_arg;
static int client_cpu = -1;
static char self_path[4096];

static void bench_main(void *arg) {
  (void)arg;
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  if (lfd < 0)
    bench_fail("listen: %s", goro_strerror(lfd));
  char addr[64];
  goro_local_addr(lfd, addr, sizeof(addr));
  const char *port = strrchr(addr, ':') + 1;
  goro_go(acceptor, (void *)(intptr_t)lfd);

  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0)
    bench_fail("pipe");
  char a_conns[16], a_rounds[24], a_cpu[8];
  snprintf(a_conns, sizeof(a_conns), "%d", conns_arg);
  snprintf(a_rounds, sizeof(a_rounds), "%" PRId64, rounds_arg);
  snprintf(a_cpu, sizeof(a_cpu), "%d", client_cpu);
  char *argv[] = {self_path, "client", (char *)port, a_conns, a_rounds, a_cpu,
                  NULL};
  int64_t cpu0 = bench_cpu_ns();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
  pid_t pid;
  int rc = posix_spawn(&pid, self_path, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    bench_fail("spawn client: %s", strerror(rc));
  close(pfd[1]);

  char out[512];
  size_t len = 0;
  for (;;) {
    int64_t n = goro_read(pfd[0], out + len, sizeof(out) - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  out[len] = 0;
  goro_close(pfd[0]);
  int64_t cpu = bench_cpu_ns() - cpu0;
  int st;
  waitpid(pid, &st, 0);
  goro_close(lfd);
  int64_t rt, wall, ok;
  unsigned p50, p99;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
      sscanf(out, "CLIENT roundtrips=%" SCNd64 " wall_ns=%" SCNd64
                  " p50_ns=%u p99_ns=%u ok=%" SCNd64,
             &rt, &wall, &p50, &p99, &ok) != 5)
    bench_fail("client failed: %s", out);
  printf("RESULT name=TCPEcho ns_per_op=%.3f ops=%" PRId64 " total_ns=%" PRId64
         " roundtrips_per_sec=%.0f p50_us=%.1f p99_us=%.1f"
         " server_cpu_ns_per_op=%.0f conns=%d checksum=%" PRId64 "\n",
         (double)wall / (double)rt, rt, wall, (double)rt * 1e9 / (double)wall,
         p50 / 1e3, p99 / 1e3, (double)cpu / (double)rt, conns_arg, ok);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "client")) {
    if (argc < 6)
      bench_fail("usage: client PORT CONNS ROUNDS CPU");
    return client_main(atoi(argv[2]), atoi(argv[3]), atoll(argv[4]),
                       atoi(argv[5]));
  }
  conns_arg = (int)bench_arg(argc, argv, 1, 100);
  rounds_arg = bench_arg(argc, argv, 2, 2000);
  if (conns_arg < 1 || rounds_arg < 1)
    bench_fail("conns and rounds must be >= 1");
  ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
  if (n <= 0)
    bench_fail("readlink /proc/self/exe");
  self_path[n] = 0;
  /* One processor: server on CPU 0, load on CPU 1 (see the top). */
  const char *mp = getenv("GORO_MAXPROCS");
  cpu_set_t set;
  if (mp && atoi(mp) == 1 && sched_getaffinity(0, sizeof(set), &set) == 0 &&
      CPU_COUNT(&set) >= 2 && CPU_ISSET(0, &set) && CPU_ISSET(1, &set)) {
    pin_self(0);
    client_cpu = 1;
  }
  if (goro_run(bench_main, NULL) != 0)
    bench_fail("goro_run");
  return 0;
}
