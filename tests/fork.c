/*
 * fork.c: fork from a program that uses goro.
 *
 *  - fork then exec works, from a goroutine (on its stack, while other
 *    goroutines run on other threads), from the main thread after goro_run
 *    returned, and through posix_spawn and system(): the child runs the
 *    new program and its exit status comes back.
 *  - using the runtime in a forked child without exec is diagnosed: the
 *    child dies with exit status 2 and "fatal error: goro: the runtime was
 *    used in a child process after fork() without exec()", whether it
 *    spawns a goroutine, blocks on a channel, sleeps, or waits on a
 *    WaitGroup, from the forking goroutine or from the main thread.
 *    (Plain memory work and _exit remain fine in such a child.)
 */
#include "check.h"

#include <goro.h>
#include <spawn.h>
#include <stdbool.h>

extern char **environ;

static const char *self;

/* ---- fork then exec ----------------------------------------------------- */

static int fork_exec_status(int code) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    char arg[16];
    snprintf(arg, sizeof(arg), "%d", code);
    execl(self, self, "exit-with", arg, (char *)NULL);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void busy(void *arg) {
  goro_wg *wg = arg;
  volatile unsigned spin = 0;
  for (int i = 0; i < 2000; i++) {
    spin += (unsigned)i;
    if (i % 100 == 0)
      goro_yield();
  }
  goro_wg_done(wg);
}

static void forker(void *arg) {
  goro_chan *res = arg;
  int st = fork_exec_status(7); /* on this goroutine's stack */
  CHECK_EQ(goro_chan_send(res, &st), 0);
}

static void exec_main(void *arg) {
  goro_wg wg = GORO_WG_INIT;
  goro_wg_add(&wg, 4);
  for (int i = 0; i < 4; i++)
    CHECK(goro_go(busy, &wg) > 0);
  goro_chan *res = goro_chan_make(sizeof(int), 0);
  CHECK(res);
  for (int i = 0; i < 3; i++) {
    CHECK(goro_go(forker, res) > 0);
    int st = -1;
    CHECK_EQ(goro_chan_recv(res, &st), 1);
    CHECK_EQ(st, 7);
  }
  /* posix_spawn and system() from a goroutine. */
  pid_t pid;
  char *argv[] = {(char *)self, "exit-with", "9", NULL};
  CHECK_EQ(posix_spawn(&pid, self, NULL, NULL, argv, environ), 0);
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9);
  char cmd[4096];
  snprintf(cmd, sizeof(cmd), "'%s' exit-with 5", self);
  st = system(cmd);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
  goro_wg_wait(&wg);
  goro_chan_release(res);
}

/* ---- using the runtime in the child ------------------------------------ */

static const char *how;
static void noop(void *arg) {}

static void use_runtime(void) {
  if (strcmp(how, "go") == 0) {
    goro_go(noop, NULL);
  } else if (strcmp(how, "recv") == 0) {
    goro_chan *c = goro_chan_make(sizeof(int), 0);
    int v;
    goro_chan_recv(c, &v);
  } else if (strcmp(how, "sleep") == 0) {
    goro_sleep(1000000);
  } else if (strcmp(how, "wait") == 0) {
    goro_wg wg = GORO_WG_INIT;
    goro_wg_add(&wg, 1);
    goro_wg_wait(&wg);
  } else if (strcmp(how, "yield") == 0) {
    goro_yield();
    goro_go(noop, NULL);
  }
  fprintf(stderr, "fork: the child used the runtime (%s) and went on\n", how);
  _exit(0);
}

/* Forks; the child uses the runtime; returns the child's status. Its
 * stderr is ours (the test's parent captures it). */
static int fork_use(void) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    alarm(10);
    use_runtime();
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void fork_use_from_goroutine(void *arg) {
  goro_chan *res = arg;
  int st = fork_use();
  CHECK_EQ(goro_chan_send(res, &st), 0);
}

static void use_main(void *arg) {
  goro_chan *res = goro_chan_make(sizeof(int), 0);
  CHECK(res);
  CHECK(goro_go(fork_use_from_goroutine, res) > 0);
  int st = -1;
  CHECK_EQ(goro_chan_recv(res, &st), 1);
  goro_chan_release(res);
  printf("%d\n", st); /* the child's status, for the test's parent */
}

int main(int argc, char **argv) {
  static char path[4096];
  ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);
  CHECK(len > 0);
  path[len] = 0;
  self = path;
  if (argc > 2 && strcmp(argv[1], "exit-with") == 0)
    return atoi(argv[2]);
  if (argc > 1 && strcmp(argv[1], "exec") == 0) {
    CHECK_EQ(goro_run(exec_main, NULL), 0);
    /* And from the main thread once goro_run is back (workers idle). */
    CHECK_EQ(fork_exec_status(3), 3);
    return 0;
  }
  if (argc > 2 && strcmp(argv[1], "use-goroutine") == 0) {
    how = argv[2];
    CHECK_EQ(goro_run(use_main, NULL), 0);
    return 0;
  }
  if (argc > 2 && strcmp(argv[1], "use-thread") == 0) {
    how = argv[2];
    CHECK_EQ(goro_run(noop, NULL), 0); /* the runtime is started */
    return fork_use();
  }

  /* The test: each scenario in a child of its own. */
  static char out[1 << 16];
  int st = child(argv[0], "exec", NULL, out, sizeof(out));
  if (st != 0)
    fprintf(stderr, "%s", out);
  CHECK_EQ(st, 0);
  printf("fork: fork+exec, posix_spawn and system from goroutines: ok\n");

  static const char *const hows[] = {"go", "recv", "sleep", "wait", "yield"};
  const char *msg = "fatal error: goro: the runtime was used in a child "
                    "process after fork() without exec()";
  int n = 0;
  for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
    /* From the main thread after goro_run: the forked child's status is
     * this program's. */
    {
      int pfd[2];
      CHECK(pipe(pfd) == 0);
      pid_t p = fork();
      if (p == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execl(argv[0], argv[0], "use-thread", hows[i], (char *)NULL);
        _exit(127);
      }
      close(pfd[1]);
      st = check_collect(pfd[0], p, out, sizeof(out));
    }
    if (st != 2 || !strstr(out, msg))
      fprintf(stderr, "use-thread %s: exit %d, stderr:\n%s\n", hows[i], st,
              out);
    CHECK_EQ(st, 2);
    CHECK_CONTAINS(out, msg);
    n++;

    /* From a goroutine: the forked child runs on that goroutine's stack. */
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    int opfd[2];
    CHECK(pipe(opfd) == 0);
    pid_t p = fork();
    if (p == 0) {
      dup2(pfd[1], 2);
      dup2(opfd[1], 1);
      close(pfd[0]);
      close(pfd[1]);
      close(opfd[0]);
      close(opfd[1]);
      execl(argv[0], argv[0], "use-goroutine", hows[i], (char *)NULL);
      _exit(127);
    }
    close(pfd[1]);
    close(opfd[1]);
    /* Its stdout (the grandchild's status) is a few bytes, well within
     * the pipe: read it once the child is reaped. */
    int s = check_collect(pfd[0], p, out, sizeof(out));
    char sbuf[64] = "";
    ssize_t r = read(opfd[0], sbuf, sizeof(sbuf) - 1);
    sbuf[r > 0 ? r : 0] = 0;
    close(opfd[0]);
    int grandchild = atoi(sbuf);
    if (s != 0 || grandchild != 2 || !strstr(out, msg))
      fprintf(stderr, "use-goroutine %s: exit %d, child status %d, stderr:\n%s\n",
              hows[i], s, grandchild, out);
    CHECK(s == 0);
    CHECK_EQ(grandchild, 2);
    CHECK_CONTAINS(out, msg);
    n++;
  }
  printf("fork: %d uses of the runtime in a forked child diagnosed (exit 2, "
         "\"%s\")\n",
         n, msg);
  return 0;
}
