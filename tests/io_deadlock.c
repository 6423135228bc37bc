/* io_deadlock.c: the deadlock detector and the netpoller. Each scenario
 * runs in a child process (check.h's child()).
 *  chan     goroutines wait only on channels while sockets exist: the
 *           detector fires ("all goroutines are asleep - deadlock!", 2).
 *  socket   the main goroutine waits on a socket whose peer is another
 *           process that writes after 300 ms, everything else asleep: no
 *           deadlock; the read completes.
 *  timeout  a goroutine waited on a socket until its deadline; after that
 *           only channel waits remain: the detector fires (the count of fd
 *           waiters went back to zero).
 *  closed   a waiter woken by goro_close, then only channel waits: fires.
 */
#include <goro.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "io_fork.h"

#define MS 1000000LL

static int sv[2];

static void forever(void *arg) {
  goro_chan *c = arg;
  goro_chan_recv(c, NULL); /* nobody ever sends */
}

static void scenario_chan(void *arg) {
  goro_chan *c = goro_chan_make(0, 0);
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  CHECK(lfd >= 0);
  goro_go(forever, c);
  goro_chan_recv(c, NULL);
}

static void scenario_socket(void *arg) {
  goro_chan *c = goro_chan_make(0, 0);
  goro_go(forever, c);
  char buf[8];
  CHECK_EQ(goro_read(sv[0], buf, sizeof(buf)), 5);
  CHECK(memcmp(buf, "hello", 5) == 0);
  printf("socket read ok\n");
}

static void scenario_timeout(void *arg) {
  goro_chan *c = goro_chan_make(0, 0);
  char buf[8];
  CHECK_EQ(goro_read_until(sv[0], buf, sizeof(buf), goro_now() + 20 * MS),
           -ETIMEDOUT);
  goro_go(forever, c);
  goro_chan_recv(c, NULL);
}

static void closer(void *arg) {
  goro_sleep(10 * MS);
  goro_close(sv[0]);
}

static void scenario_closed(void *arg) {
  goro_chan *c = goro_chan_make(0, 0);
  char buf[8];
  goro_go(closer, NULL);
  CHECK_EQ(goro_read(sv[0], buf, sizeof(buf)), -EBADF);
  goro_go(forever, c);
  goro_chan_recv(c, NULL);
}

/* File I/O first (through io_uring, or the thread pool with
 * GORO_IO_URING=0): its helper threads, the kernel's io_uring workers or
 * the pool's, must not hide the deadlock that follows. */
static void scenario_file(void *arg) {
  char path[] = "/tmp/goro_io_deadlock_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  unlink(path);
  CHECK_EQ(goro_write(fd, "0123456789", 10), 10);
  char buf[16];
  CHECK_EQ(goro_pread(fd, buf, sizeof(buf), 0), 10);
  CHECK(memcmp(buf, "0123456789", 10) == 0);
  goro_chan *c = goro_chan_make(0, 0);
  goro_go(forever, c);
  goro_chan_recv(c, NULL);
}

static int run_scenario(void *arg) {
  const char *name = arg;
  CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  if (!strcmp(name, "socket")) {
    /* The peer: another process, started before the runtime. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      close(sv[0]);
      struct timespec ts = {0, 300 * 1000000};
      nanosleep(&ts, NULL);
      if (write(sv[1], "hello", 5) != 5)
        _exit(1);
      _exit(0);
    }
    close(sv[1]);
    CHECK_EQ(goro_run(scenario_socket, NULL), 0);
    int st;
    waitpid(pid, &st, 0);
    return 0;
  }
  if (!strcmp(name, "chan"))
    goro_run(scenario_chan, NULL);
  else if (!strcmp(name, "timeout"))
    goro_run(scenario_timeout, NULL);
  else if (!strcmp(name, "closed"))
    goro_run(scenario_closed, NULL);
  else if (!strcmp(name, "file_uring"))
    goro_run(scenario_file, NULL);
  else if (!strcmp(name, "file_pool")) {
    setenv("GORO_IO_URING", "0", 1);
    goro_run(scenario_file, NULL);
  }
  return 3; /* never: the deadlock is fatal */
}

/* The detector counts the process's threads (/proc/self/status) and fires
 * only when every one is accounted for. Under qemu-user the emulator's own
 * threads are counted too, so it never fires there: skip those scenarios
 * when a fresh process already has more than one thread. */
static bool threads_countable(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f && fgets(line, sizeof(line), f))
    if (!strncmp(line, "Threads:", 8))
      n = atoi(line + 8);
  if (f)
    fclose(f);
  return n == 1;
}

int main(int argc, char **argv) {
  if (argc > 1) /* one scenario, in this process (for debugging) */
    return run_scenario(argv[1]);
  static char out[1 << 16];
  const char *fires[] = {"chan", "timeout", "closed", "file_uring",
                         "file_pool"};
  bool countable = threads_countable();
  if (!countable)
    printf("threads not countable here (qemu-user?): the detector cannot "
           "fire; deadlock scenarios skipped\n");
  for (int i = 0; countable && i < (int)(sizeof(fires) / sizeof(*fires));
       i++) {
    int st = forked(run_scenario, (void *)fires[i], out, sizeof(out));
    if (st != 2 || !strstr(out, "all goroutines are asleep - deadlock!")) {
      fprintf(stderr, "scenario %s: status %d, stderr:\n%s\n", fires[i], st,
              out);
      return 1;
    }
  }
  int st = forked(run_scenario, "socket", out, sizeof(out));
  if (st != 0) {
    fprintf(stderr, "scenario socket: status %d, stderr:\n%s\n", st, out);
    return 1;
  }
  printf("io_deadlock ok\n");
  return 0;
}
