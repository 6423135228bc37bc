/*
 * HTTPHello: an HTTP/1.1 "Hello, World!" server (the server of
 * examples/http_hello.c: a goroutine per connection, requests parsed by
 * Debian's http_parser, keep-alive and pipelining) loaded by wrk over
 * loopback; Go's twin is net/http with one HandleFunc (bench/go/net.go).
 * Both answer with the same headers: Date, Content-Length, Content-Type.
 *
 * The load: wrk -t1 -c<conns> -d<seconds>s --latency. One op is one
 * request; ns_per_op is 1e9 / requests per second (the RESULT line also has
 * requests_per_sec and wrk's p50/p99 latency). Checksum: conns if wrk saw
 * only 2xx responses and no socket error, else 0.
 *
 * CPUs: with GORO_MAXPROCS=1 on two or more CPUs the server pins itself to
 * CPU 0 before it starts any thread and wrk runs on CPU 1 (taskset), as
 * Go's twin does; otherwise nothing is pinned.
 *
 * Needs libhttp-parser-dev (bench/run.py links -lhttp_parser) and wrk.
 *
 * argv: conns seconds
 */
#include "bench.h"

#include <goro.h>

#include <fcntl.h>
#include <http_parser.h>
#include <sched.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- the server (as examples/http_hello.c) ------------------------------- */

static const char body[] = "Hello, World!";

static __thread time_t date_sec;
static __thread char date_buf[40];

static const char *http_date(void) {
  time_t now = time(NULL);
  if (now != date_sec) {
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date_buf, sizeof(date_buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    date_sec = now;
  }
  return date_buf;
}

typedef struct conn {
  http_parser parser;
  int fd;
  bool done;
  size_t outlen;
  char out[16384];
} conn;

static int on_message_complete(http_parser *p) {
  conn *c = p->data;
  bool keep = http_should_keep_alive(p);
  if (c->outlen + 256 > sizeof(c->out)) {
    if (goro_write(c->fd, c->out, c->outlen) != (int64_t)c->outlen)
      return 1;
    c->outlen = 0;
  }
  int n = snprintf(c->out + c->outlen, sizeof(c->out) - c->outlen,
                   "HTTP/1.1 200 OK\r\n"
                   "Date: %s\r\n"
                   "Content-Length: %zu\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n"
                   "%s"
                   "\r\n"
                   "%s",
                   http_date(), sizeof(body) - 1,
                   keep ? "" : "Connection: close\r\n",
                   p->method == HTTP_HEAD ? "" : body);
  c->outlen += (size_t)n;
  if (!keep) {
    c->done = true;
    return 1;
  }
  return 0;
}

static http_parser_settings settings = {.on_message_complete =
                                            on_message_complete};

static void serve(void *arg) {
  conn *c = malloc(sizeof(conn));
  if (!c) {
    goro_close((int)(intptr_t)arg);
    return;
  }
  c->fd = (int)(intptr_t)arg;
  c->done = false;
  c->outlen = 0;
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  char buf[8192];
  while (!c->done) {
    int64_t n = goro_read(c->fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    http_parser_execute(&c->parser, &settings, buf, (size_t)n);
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK && !c->done) {
      static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
                                "Connection: close\r\n\r\n";
      goro_write(c->fd, bad, sizeof(bad) - 1);
      break;
    }
    if (c->outlen &&
        goro_write(c->fd, c->out, c->outlen) != (int64_t)c->outlen)
      break;
    c->outlen = 0;
  }
  goro_close(c->fd);
  free(c);
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
    if (goro_go(serve, (void *)(intptr_t)fd) < 0)
      goro_close(fd);
  }
}

/* ---- wrk ------------------------------------------------------------------- */

static int conns_arg, seconds_arg, wrk_cpu = -1;

/* "1.23ms" / "456.00us" / "1.01s" in microseconds. */
static double wrk_us(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (!strncmp(end, "us", 2))
    return v;
  if (!strncmp(end, "ms", 2))
    return v * 1e3;
  if (!strncmp(end, "m", 1))
    return v * 60e6;
  if (!strncmp(end, "s", 1))
    return v * 1e6;
  return 0;
}

static void bench_main(void *arg) {
  (void)arg;
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  if (lfd < 0)
    bench_fail("listen: %s", goro_strerror(lfd));
  char addr[64], url[96], a_c[16], a_d[16], a_cpu[8];
  goro_local_addr(lfd, addr, sizeof(addr));
  snprintf(url, sizeof(url), "http://%s/", addr);
  snprintf(a_c, sizeof(a_c), "-c%d", conns_arg);
  snprintf(a_d, sizeof(a_d), "-d%ds", seconds_arg);
  snprintf(a_cpu, sizeof(a_cpu), "%d", wrk_cpu);
  goro_go(acceptor, (void *)(intptr_t)lfd);

  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0)
    bench_fail("pipe");
  char *pinned[] = {"taskset", "-c", a_cpu, "wrk", "-t1", a_c, a_d,
                    "--latency", url, NULL};
  char **argv = wrk_cpu >= 0 ? pinned : pinned + 3;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    bench_fail("spawn %s: %s", argv[0], strerror(rc));
  close(pfd[1]);
  static char out[8192];
  size_t len = 0;
  for (;;) {
    int64_t n = goro_read(pfd[0], out + len, sizeof(out) - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  out[len] = 0;
  goro_close(pfd[0]);
  int st;
  waitpid(pid, &st, 0);
  goro_close(lfd);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    bench_fail("wrk failed:\n%s", out);

  double rps = 0, p50 = 0, p99 = 0;
  long long requests = -1;
  bool bad = false;
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    while (*line == ' ' || *line == '\t')
      line++;
    char unit[32];
    double v;
    if (sscanf(line, "Requests/sec: %lf", &v) == 1)
      rps = v;
    else if (sscanf(line, "50%% %31s", unit) == 1)
      p50 = wrk_us(unit);
    else if (sscanf(line, "99%% %31s", unit) == 1)
      p99 = wrk_us(unit);
    else if (strstr(line, " requests in "))
      requests = atoll(line);
    else if (!strncmp(line, "Non-2xx", 7) || !strncmp(line, "Socket errors", 13))
      bad = true;
  }
  if (rps <= 0 || requests <= 0)
    bench_fail("cannot read wrk's output");
  if (bad)
    fprintf(stderr, "wrk reported errors\n");
  printf("RESULT name=HTTPHello ns_per_op=%.3f ops=%lld requests_per_sec=%.0f "
         "p50_us=%.1f p99_us=%.1f conns=%d checksum=%d\n",
         1e9 / rps, requests, rps, p50, p99, conns_arg, bad ? 0 : conns_arg);
  fflush(stdout);
}

int main(int argc, char **argv) {
  conns_arg = (int)bench_arg(argc, argv, 1, 100);
  seconds_arg = (int)bench_arg(argc, argv, 2, 5);
  if (conns_arg < 1 || seconds_arg < 1)
    bench_fail("conns and seconds must be >= 1");
  const char *mp = getenv("GORO_MAXPROCS");
  cpu_set_t set;
  if (mp && atoi(mp) == 1 && sched_getaffinity(0, sizeof(set), &set) == 0 &&
      CPU_COUNT(&set) >= 2 && CPU_ISSET(0, &set) && CPU_ISSET(1, &set)) {
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == 0)
      wrk_cpu = 1;
  }
  if (goro_run(bench_main, NULL) != 0)
    bench_fail("goro_run");
  return 0;
}
