/* io_emfile.c: accept under descriptor exhaustion. With every fd taken,
 * goro_accept returns -EMFILE at once (it neither hangs nor spins inside),
 * the connections stay queued in the kernel and the listener stays
 * registered: an acceptor that backs off with goro_sleep (as
 * examples/echo.c does) makes a bounded number of attempts, gets every
 * queued connection once fds are free, and a later client still wakes a
 * parked acceptor (the listener's edges still arrive). */
#include <goro.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "check.h"

#define MS 1000000LL
#define NCLIENT 3

static int lfd;
static int accepted[NCLIENT + 1];
static int naccepted;
static int emfile_attempts;
static int64_t first_emfile, last_emfile;
/* The acceptor's counters are read while it runs (a sleep orders nothing
 * in Go's memory model, and ThreadSanitizer would say so): atomics. */
#define LD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
static goro_wg done = GORO_WG_INIT;

/* examples/echo.c's accept loop, counting the -EMFILE back-offs. */
static void acceptor(void *arg) {
  int want = (int)(intptr_t)arg;
  while (LD(naccepted) < want) {
    int fd = goro_accept(lfd, NULL, NULL);
    if (fd == -EMFILE || fd == -ENFILE) {
      if (__atomic_fetch_add(&emfile_attempts, 1, __ATOMIC_SEQ_CST) == 0)
        ST(first_emfile, goro_now());
      ST(last_emfile, goro_now());
      goro_sleep(5 * MS);
      continue;
    }
    CHECK(fd >= 0);
    accepted[LD(naccepted)] = fd;
    ST(naccepted, LD(naccepted) + 1);
  }
  goro_wg_done(&done);
}

static void test_main(void *arg) {
  lfd = goro_listen("tcp", "127.0.0.1:0");
  CHECK(lfd >= 0);
  char addr[64];
  CHECK(goro_local_addr(lfd, addr, sizeof(addr)) > 0);
  struct sockaddr_in sin;
  socklen_t sl = sizeof(sin);
  CHECK_EQ(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);

  /* Client sockets first: connecting needs no new descriptor. */
  int cl[NCLIENT + 1];
  for (int i = 0; i <= NCLIENT; i++)
    CHECK((cl[i] = goro_socket(AF_INET, SOCK_STREAM, 0)) >= 0);

  /* Take every descriptor that is left. */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = 256;
  CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  static int hog[256];
  int nhog = 0;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      CHECK_EQ(errno, EMFILE);
      break;
    }
    hog[nhog++] = fd;
  }
  CHECK(nhog > 0);

  for (int i = 0; i < NCLIENT; i++)
    CHECK_EQ(goro_connect(cl[i], (struct sockaddr *)&sin, sl), 0);

  /* A direct call: -EMFILE at once. */
  CHECK_EQ(goro_accept(lfd, NULL, NULL), -EMFILE);

  /* An acceptor that backs off; free descriptors only after 50 ms. */
  goro_wg_add(&done, 1);
  goro_go(acceptor, (void *)(intptr_t)NCLIENT);
  goro_sleep(50 * MS);
  CHECK_EQ(LD(naccepted), 0);
  int attempts_while_exhausted = LD(emfile_attempts);
  CHECK(attempts_while_exhausted >= 1);
  /* Never a spin: every attempt was followed by a 5 ms back-off (a sleep
   * never ends early), so n attempts span at least (n - 1) * 5 ms. A loop
   * inside goro_accept would have hung or made the count explode. */
  CHECK(LD(last_emfile) - LD(first_emfile) >=
        (int64_t)(attempts_while_exhausted - 1) * 5 * MS);
  for (int i = 0; i < NCLIENT; i++)
    close(hog[--nhog]);
  goro_wg_wait(&done);
  CHECK_EQ(naccepted, NCLIENT);

  /* Every accepted connection works. */
  for (int i = 0; i < NCLIENT; i++) {
    char buf[4];
    CHECK_EQ(goro_write(cl[i], "abc", 3), 3);
    CHECK_EQ(goro_read(accepted[i], buf, sizeof(buf)), 3);
  }

  /* The listener still reports edges: a parked acceptor wakes for a new
   * client. */
  while (nhog > 0)
    close(hog[--nhog]);
  goro_wg_add(&done, 1);
  goro_go(acceptor, (void *)(intptr_t)(NCLIENT + 1));
  goro_sleep(10 * MS); /* let it park on the empty queue */
  CHECK_EQ(goro_connect(cl[NCLIENT], (struct sockaddr *)&sin, sl), 0);
  goro_wg_wait(&done);
  CHECK_EQ(naccepted, NCLIENT + 1);

  for (int i = 0; i <= NCLIENT; i++) {
    goro_close(cl[i]);
    goro_close(accepted[i]);
  }
  goro_close(lfd);
}

int main(void) {
  CHECK_EQ(goro_run(test_main, NULL), 0);
  printf("io_emfile ok (%d back-offs while exhausted)\n", emfile_attempts);
  return 0;
}
