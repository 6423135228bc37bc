/* io_peer.c: what a peer's departure looks like. A reader parked when the
 * peer closes wakes with EOF (0); a writer to a closed peer gets -EPIPE or
 * -ECONNRESET and no SIGPIPE; a peer that resets (SO_LINGER 0) gives
 * -ECONNRESET; dialing a port nobody listens on gives -ECONNREFUSED, as does
 * a Unix path whose socket has no listener (and -ENOENT without the path);
 * bad networks and addresses are rejected. */
#include <goro.h>

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "check.h"

static void tcp_pair(int *a, int *b) {
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  CHECK(lfd >= 0);
  char addr[64];
  CHECK(goro_local_addr(lfd, addr, sizeof(addr)) > 0);
  *a = goro_dial("tcp", addr);
  CHECK(*a >= 0);
  *b = goro_accept(lfd, NULL, NULL);
  CHECK(*b >= 0);
  CHECK_EQ(goro_close(lfd), 0);
}

static int order[4];
static int norder;

static void closer(void *arg) {
  int fd = (int)(intptr_t)arg;
  goro_sleep(5000000);
  /* Atomic: the close orders nothing in Go's memory model (ThreadSanitizer
   * would rightly report plain accesses). */
  __atomic_store_n(&order[__atomic_fetch_add(&norder, 1, __ATOMIC_SEQ_CST)], 1,
                   __ATOMIC_SEQ_CST);
  goro_close(fd);
}

static void test_main(void *arg) {
  char buf[256];
  int a, b;

  /* EOF: a reader parked when the peer closes. */
  tcp_pair(&a, &b);
  CHECK_EQ(goro_write(b, "last", 4), 4);
  goro_go(closer, (void *)(intptr_t)b);
  CHECK_EQ(goro_read(a, buf, sizeof(buf)), 4);
  CHECK_EQ(goro_read(a, buf, sizeof(buf)), 0); /* parks, then EOF */
  __atomic_store_n(&order[__atomic_fetch_add(&norder, 1, __ATOMIC_SEQ_CST)], 2,
                   __ATOMIC_SEQ_CST);
  CHECK_EQ(__atomic_load_n(&order[0], __ATOMIC_SEQ_CST), 1);
  CHECK_EQ(__atomic_load_n(&order[1], __ATOMIC_SEQ_CST), 2);
  CHECK_EQ(goro_read(a, buf, sizeof(buf)), 0); /* EOF stays EOF */

  /* Writing to the closed peer: the first write may still be accepted by
   * the kernel; then the peer's RST makes writes fail, without SIGPIPE. */
  int64_t r = 0;
  for (int i = 0; i < 100 && r >= 0; i++) {
    r = goro_write(a, buf, sizeof(buf));
    if (r >= 0)
      goro_sleep(1000000);
  }
  CHECK(r == -EPIPE || r == -ECONNRESET);
  goro_close(a);

  /* A reset: SO_LINGER 0 makes close send RST; the parked reader sees it. */
  tcp_pair(&a, &b);
  struct linger lg = {1, 0};
  CHECK_EQ(setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  goro_go(closer, (void *)(intptr_t)b);
  r = goro_read(a, buf, sizeof(buf));
  CHECK(r == -ECONNRESET || r == 0);
  goro_close(a);

  /* Nobody listening. */
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  CHECK(lfd >= 0);
  char addr[64];
  CHECK(goro_local_addr(lfd, addr, sizeof(addr)) > 0);
  CHECK_EQ(goro_close(lfd), 0);
  CHECK_EQ(goro_dial("tcp", addr), -ECONNREFUSED);
  CHECK_EQ(goro_dial("tcp4", addr), -ECONNREFUSED);

  /* Unix: no such path; a path whose socket does not listen. */
  char path[96];
  snprintf(path, sizeof(path), "/tmp/goro-io-peer-%d.sock", (int)getpid());
  unlink(path);
  CHECK_EQ(goro_dial("unix", path), -ENOENT);
  lfd = goro_listen("unix", path);
  CHECK(lfd >= 0);
  CHECK_EQ(goro_local_addr(lfd, buf, sizeof(buf)), (int)strlen(path));
  CHECK(strcmp(buf, path) == 0);
  CHECK_EQ(goro_close(lfd), 0);
  CHECK_EQ(goro_dial("unix", path), -ECONNREFUSED);
  unlink(path);

  /* Malformed requests. */
  CHECK_EQ(goro_dial("udp", "127.0.0.1:1"), -EAFNOSUPPORT);
  CHECK_EQ(goro_dial("tcp", "127.0.0.1"), -EINVAL);
  CHECK_EQ(goro_dial("tcp", "::1:80"), -EINVAL);
  CHECK_EQ(goro_listen(NULL, ":0"), -EINVAL);
  CHECK_EQ(goro_read(-1, buf, 1), -EBADF);
  CHECK_EQ(goro_write(12345, buf, 1), -EBADF);
  CHECK_EQ(goro_close(-3), -EBADF);
  CHECK_EQ(goro_wait_fd(0, 0, GORO_NO_DEADLINE), -EINVAL);
  CHECK_EQ(goro_strerror(-ECONNREFUSED)[0] != 0, 1);
}

int main(void) {
  /* A SIGPIPE would kill us: the test passes only if none is raised. */
  CHECK_EQ(goro_run(test_main, NULL), 0);
  printf("io_peer ok\n");
  return 0;
}
