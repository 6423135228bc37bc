/* io_misc.c: the rest of the API surface. Pipes (a 1 MiB write through a
 * 64 KiB pipe parks the writer), writev/readv with short writes on a socket
 * (the caller's iov array is left alone), goro_wait_fd, MSG_PEEK, UDP
 * sendto/recvfrom with a parked receiver, a plain thread writing to a
 * goroutine, IPv6 and dual-stack listeners, address formatting, name
 * resolution through goro_blocking, a blocking stdin left blocking, and
 * errno never changed. */
#include <goro.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "io_fork.h"

#define MS 1000000LL
#define BIG (1 << 20)

static goro_wg wg = GORO_WG_INIT;

static uint8_t pat(size_t i) { return (uint8_t)(i * 7 + (i >> 10)); }

static void pipe_writer(void *arg) {
  int fd = (int)(intptr_t)arg;
  uint8_t *buf = malloc(BIG);
  for (size_t i = 0; i < BIG; i++)
    buf[i] = pat(i);
  CHECK_EQ(goro_write(fd, buf, BIG), BIG);
  free(buf);
  goro_close(fd);
  goro_wg_done(&wg);
}

static void read_all_check(int fd, size_t n) {
  uint8_t *buf = malloc(n);
  size_t got = 0;
  while (got < n) {
    int64_t r = goro_read(fd, buf + got, n - got > 4096 ? 4096 : n - got);
    CHECK(r > 0);
    got += (size_t)r;
  }
  for (size_t i = 0; i < n; i++)
    CHECK_EQ(buf[i], pat(i));
  free(buf);
}

static void tcp_pair(const char *net, const char *laddr, int *a, int *b) {
  int lfd = goro_listen(net, laddr);
  CHECK(lfd >= 0);
  char addr[64];
  CHECK(goro_local_addr(lfd, addr, sizeof(addr)) > 0);
  *a = goro_dial(net, addr);
  CHECK(*a >= 0);
  *b = goro_accept(lfd, NULL, NULL);
  CHECK(*b >= 0);
  CHECK_EQ(goro_close(lfd), 0);
}

static void slow_reader(void *arg) {
  int fd = (int)(intptr_t)arg;
  goro_sleep(5 * MS); /* the writer fills the buffer and parks first */
  read_all_check(fd, 3 * BIG);
  goro_wg_done(&wg);
}

static void udp_receiver(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[64];
  struct sockaddr_in from;
  socklen_t fl = sizeof(from);
  int64_t r = goro_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
                            &fl);
  CHECK_EQ(r, 5);
  CHECK(memcmp(buf, "dgram", 5) == 0);
  CHECK_EQ(fl, sizeof(from));
  CHECK_EQ(from.sin_family, AF_INET);
  CHECK_EQ(goro_sendto(fd, "reply", 5, 0, (struct sockaddr *)&from, fl), 5);
  goro_wg_done(&wg);
}

static void *thread_writer(void *arg) {
  int fd = (int)(intptr_t)arg;
  uint8_t *buf = malloc(BIG);
  for (size_t i = 0; i < BIG; i++)
    buf[i] = pat(i);
  CHECK_EQ(goro_write(fd, buf, BIG), BIG);
  free(buf);
  goro_close(fd);
  return NULL;
}

static void test_main(void *arg) {
  /* 1. A pipe: the writer parks on a full pipe. */
  int p[2];
  CHECK_EQ(pipe(p), 0);
  goro_wg_add(&wg, 1);
  goro_go(pipe_writer, (void *)(intptr_t)p[1]);
  read_all_check(p[0], BIG);
  char c;
  CHECK_EQ(goro_read(p[0], &c, 1), 0); /* the writer closed: EOF */
  goro_wg_wait(&wg);
  goro_close(p[0]);

  /* 2. writev of 3 MiB in three pieces to a slow reader. */
  int a, b;
  tcp_pair("tcp", "127.0.0.1:0", &a, &b);
  uint8_t *big = malloc(3 * BIG);
  for (size_t i = 0; i < 3 * BIG; i++)
    big[i] = pat(i);
  struct iovec iov[3] = {{big, 100}, {big + 100, 2 * BIG}, {big + 100 + 2 * BIG, BIG - 100}};
  struct iovec saved[3];
  memcpy(saved, iov, sizeof(iov));
  goro_wg_add(&wg, 1);
  goro_go(slow_reader, (void *)(intptr_t)b);
  CHECK_EQ(goro_writev(a, iov, 3), 3 * BIG);
  CHECK(memcmp(saved, iov, sizeof(iov)) == 0);
  goro_wg_wait(&wg);

  /* 3. readv, MSG_PEEK, wait_fd. */
  CHECK_EQ(goro_wait_fd(a, GORO_WRITABLE, GORO_NO_DEADLINE), GORO_WRITABLE);
  CHECK_EQ(goro_wait_fd(b, GORO_READABLE, goro_now() + 5 * MS), -ETIMEDOUT);
  CHECK_EQ(goro_send(a, "abcdefgh", 8, 0), 8);
  CHECK(goro_wait_fd(b, GORO_READABLE, GORO_NO_DEADLINE) & GORO_READABLE);
  char pk[4];
  CHECK_EQ(goro_recv(b, pk, 4, MSG_PEEK), 4);
  CHECK(memcmp(pk, "abcd", 4) == 0);
  char r1[3], r2[5];
  struct iovec rv[2] = {{r1, 3}, {r2, 5}};
  int64_t got = goro_readv(b, rv, 2);
  CHECK(got >= 1);
  while (got < 8) { /* the 8 bytes may arrive in pieces */
    char *dst = got < 3 ? r1 + got : r2 + (got - 3);
    size_t left = got < 3 ? (size_t)(3 - got) : (size_t)(8 - got);
    int64_t k = goro_recv(b, dst, left, 0);
    CHECK(k > 0);
    got += k;
  }
  CHECK(memcmp(r1, "abc", 3) == 0 && memcmp(r2, "defgh", 5) == 0);
  CHECK_EQ(goro_readv(b, rv, -1), -EINVAL);
  goro_close(a);
  goro_close(b);
  free(big);

  /* 4. UDP: a receiver parked in recvfrom. */
  int u1 = goro_socket(AF_INET, SOCK_DGRAM, 0);
  int u2 = goro_socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(u1 >= 0 && u2 >= 0);
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof(sin);
  CHECK_EQ(bind(u1, (struct sockaddr *)&sin, sl), 0);
  CHECK_EQ(getsockname(u1, (struct sockaddr *)&sin, &sl), 0);
  goro_wg_add(&wg, 1);
  goro_go(udp_receiver, (void *)(intptr_t)u1);
  goro_sleep(2 * MS);
  CHECK_EQ(goro_sendto(u2, "dgram", 5, 0, (struct sockaddr *)&sin, sl), 5);
  char ub[16];
  CHECK_EQ(goro_recvfrom_until(u2, ub, sizeof(ub), 0, NULL, NULL,
                               goro_now() + 5000 * MS), 5);
  CHECK(memcmp(ub, "reply", 5) == 0);
  goro_wg_wait(&wg);
  goro_close(u1);
  goro_close(u2);

  /* 5. A plain thread writes, a goroutine reads. */
  CHECK_EQ(pipe(p), 0);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, thread_writer, (void *)(intptr_t)p[1]), 0);
  read_all_check(p[0], BIG);
  pthread_join(th, NULL);
  goro_close(p[0]);

  /* 6. IPv6 and dual stack, where this machine has IPv6. */
  int l6 = goro_listen("tcp6", "[::1]:0");
  if (l6 >= 0) {
    char addr[64];
    CHECK(goro_local_addr(l6, addr, sizeof(addr)) > 0);
    CHECK(strncmp(addr, "[::1]:", 6) == 0);
    goro_close(l6);
    tcp_pair("tcp6", "[::1]:0", &a, &b);
    CHECK_EQ(goro_write(a, "6", 1), 1);
    CHECK_EQ(goro_read(b, &c, 1), 1);
    goro_close(a);
    goro_close(b);
    /* ":0" listens on every interface, both families. */
    int ld = goro_listen("tcp", ":0");
    CHECK(ld >= 0);
    CHECK(goro_local_addr(ld, addr, sizeof(addr)) > 0);
    const char *port = strrchr(addr, ':') + 1;
    char d4[64], d6[64];
    snprintf(d4, sizeof(d4), "127.0.0.1:%s", port);
    snprintf(d6, sizeof(d6), "[::1]:%s", port);
    int c4 = goro_dial("tcp", d4), c6 = goro_dial("tcp", d6);
    CHECK(c4 >= 0 && c6 >= 0);
    int s1 = goro_accept(ld, NULL, NULL), s2 = goro_accept(ld, NULL, NULL);
    CHECK(s1 >= 0 && s2 >= 0);
    char ra[64];
    CHECK(goro_remote_addr(c4, ra, sizeof(ra)) > 0);
    CHECK(strcmp(ra, d4) == 0);
    CHECK_EQ(goro_remote_addr(c4, ra, 4), -ENOSPC);
    goro_close(c4);
    goro_close(c6);
    goro_close(s1);
    goro_close(s2);
    goro_close(ld);
  } else {
    printf("no IPv6 here (%s): skipped\n", goro_strerror(l6));
  }

  /* 7. Names go through the resolver (off the processor). Only localhost,
   * which /etc/hosts answers: no query ever leaves the machine. */
  int ln = goro_listen("tcp4", "127.0.0.1:0");
  CHECK(ln >= 0);
  char addr[64], name[80];
  CHECK(goro_local_addr(ln, addr, sizeof(addr)) > 0);
  snprintf(name, sizeof(name), "localhost:%s", strrchr(addr, ':') + 1);
  int cn = goro_dial("tcp", name);
  if (cn >= 0) {
    int sn = goro_accept(ln, NULL, NULL);
    CHECK(sn >= 0);
    goro_close(sn);
    goro_close(cn);
  } else {
    /* A static binary under qemu may have no resolver at all. */
    printf("resolving localhost: %s: skipped\n", goro_strerror(cn));
  }
  goro_close(ln);
}

/* stdin is a blocking pipe: read through goro_blocking, left blocking. */
static int stdin_scenario(void *arg) {
  int *p = arg;
  dup2(p[0], 0);
  close(p[0]);
  close(p[1]);
  char buf[16];
  int64_t n = goro_read(0, buf, sizeof(buf));
  if (n != 5 || memcmp(buf, "stdin", 5) != 0)
    return 1;
  return (fcntl(0, F_GETFL) & O_NONBLOCK) ? 2 : 0;
}

int main(void) {
  /* First, before this process starts the runtime: a child whose stdin is
   * a blocking pipe with "stdin" in it. */
  int p[2];
  CHECK_EQ(pipe(p), 0);
  CHECK_EQ(write(p[1], "stdin", 5), 5);
  static char out[4096];
  int st = forked(stdin_scenario, p, out, sizeof(out));
  if (st != 0) {
    fprintf(stderr, "stdin scenario: status %d\n%s\n", st, out);
    return 1;
  }
  close(p[0]);
  close(p[1]);

  goro_maxprocs(0);
  errno = 777;
  CHECK_EQ(goro_run(test_main, NULL), 0);
  CHECK_EQ(errno, 777);
  printf("io_misc ok\n");
  return 0;
}
