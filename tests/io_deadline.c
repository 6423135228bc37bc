/* io_deadline.c: read, write, accept, connect and wait deadlines fire with
 * -ETIMEDOUT, never before the deadline (no upper bound is asserted); a
 * deadline already past fails before any system call, even with data
 * waiting; data that arrives first wins and the deadline is forgotten; and
 * the same from a plain thread. */
#include <goro.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "check.h"

#define MS 1000000LL

static goro_wg wg = GORO_WG_INIT;
static int early, wrong;

/* A connected pair over loopback TCP. */
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

static void read_deadline(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[16];
  int64_t d = goro_now() + (int64_t)(1 + goro_now() % 20) * MS;
  int64_t r = goro_read_until(fd, buf, sizeof(buf), d);
  if (r != -ETIMEDOUT)
    __atomic_store_n(&wrong, 1, __ATOMIC_SEQ_CST);
  if (goro_now() < d)
    __atomic_store_n(&early, 1, __ATOMIC_SEQ_CST);
  goro_wg_done(&wg);
}

static void late_writer(void *arg) {
  int fd = (int)(intptr_t)arg;
  goro_sleep(5 * MS);
  CHECK_EQ(goro_write(fd, "x", 1), 1);
}

static void *thread_reader(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[4];
  int64_t d = goro_now() + 30 * MS;
  CHECK_EQ(goro_read_until(fd, buf, sizeof(buf), d), -ETIMEDOUT);
  CHECK(goro_now() >= d);
  return NULL;
}

static void test_main(void *arg) {
  int a, b;
  tcp_pair(&a, &b);
  char buf[64];

  /* 1. A read with nothing to read. */
  int64_t d = goro_now() + 20 * MS;
  CHECK_EQ(goro_read_until(a, buf, sizeof(buf), d), -ETIMEDOUT);
  CHECK(goro_now() >= d);

  /* 2. 100 concurrent readers on one fd, random deadlines. */
  goro_wg_add(&wg, 100);
  for (int i = 0; i < 100; i++)
    goro_go(read_deadline, (void *)(intptr_t)a);
  goro_wg_wait(&wg);
  CHECK(!early);
  CHECK(!wrong);

  /* 3. A deadline already past fails even with data waiting. */
  CHECK_EQ(goro_write(b, "hello", 5), 5);
  CHECK_EQ(goro_wait_fd(a, GORO_READABLE, GORO_NO_DEADLINE), GORO_READABLE);
  CHECK_EQ(goro_read_until(a, buf, sizeof(buf), goro_now() - 1), -ETIMEDOUT);
  CHECK_EQ(goro_read_until(a, buf, sizeof(buf), goro_now() + 1000 * MS), 5);
  CHECK(memcmp(buf, "hello", 5) == 0);

  /* 4. Data first: the read returns it, long before its deadline. */
  goro_go(late_writer, (void *)(intptr_t)b);
  CHECK_EQ(goro_read_until(a, buf, sizeof(buf), goro_now() + 60000 * MS), 1);

  /* 5. A write to a peer that never reads: the deadline stops it after
   * some bytes went out; the next call reports -ETIMEDOUT. */
  size_t big = 16 << 20; /* more than the socket buffers take unread */
  char *blob = calloc(1, big);
  d = goro_now() + 50 * MS;
  int64_t w = goro_write_until(a, blob, big, d);
  CHECK(goro_now() >= d);
  CHECK(w > 0 && w < (int64_t)big);
  CHECK_EQ(goro_write_until(a, blob, big, d), -ETIMEDOUT);
  /* goro_wait_fd for writability times out too. */
  d = goro_now() + 10 * MS;
  CHECK_EQ(goro_wait_fd(a, GORO_WRITABLE, d), -ETIMEDOUT);
  CHECK(goro_now() >= d);
  free(blob);

  /* 6. Accept with no client. */
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  CHECK(lfd >= 0);
  d = goro_now() + 20 * MS;
  CHECK_EQ(goro_accept_until(lfd, NULL, NULL, d), -ETIMEDOUT);
  CHECK(goro_now() >= d);
  CHECK_EQ(goro_close(lfd), 0);

  /* 7. Connect to a listener whose accept queue is full: the kernel drops
   * the SYN, the handshake hangs, the deadline ends it. */
  int raw = goro_socket(AF_INET, SOCK_STREAM, 0);
  CHECK(raw >= 0);
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof(sin);
  CHECK_EQ(bind(raw, (struct sockaddr *)&sin, sl), 0);
  CHECK_EQ(listen(raw, 0), 0);
  CHECK_EQ(getsockname(raw, (struct sockaddr *)&sin, &sl), 0);
  int conns[8], nc = 0, timeouts = 0;
  for (int i = 0; i < 8; i++) {
    int c = goro_socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c >= 0);
    d = goro_now() + 100 * MS;
    int r = goro_connect_until(c, (struct sockaddr *)&sin, sl, d);
    if (r == -ETIMEDOUT) {
      CHECK(goro_now() >= d);
      timeouts++;
      goro_close(c);
    } else {
      CHECK_EQ(r, 0);
      conns[nc++] = c;
    }
  }
  CHECK(timeouts > 0);
  for (int i = 0; i < nc; i++)
    goro_close(conns[i]);
  goro_close(raw);

  /* 8. goro_dial_until with a deadline already past. */
  CHECK_EQ(goro_dial_until("tcp", "127.0.0.1:9", goro_now() - 1), -ETIMEDOUT);

  goro_close(a);
  goro_close(b);

  /* 9. A plain thread's read deadline. */
  tcp_pair(&a, &b);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, thread_reader, (void *)(intptr_t)b), 0);
  pthread_join(th, NULL);
  goro_close(a);
  goro_close(b);
}

int main(void) {
  CHECK_EQ(goro_run(test_main, NULL), 0);
  printf("io_deadline ok\n");
  return 0;
}
