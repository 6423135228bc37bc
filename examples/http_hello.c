/*
 * http_hello.c: an HTTP/1.1 "Hello, World!" server with a goroutine per
 * connection, the C twin of Go's
 *
 *     http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
 *         w.Write([]byte("Hello, World!"))
 *     })
 *     http.ListenAndServe(addr, nil)
 *
 * Requests are parsed by http_parser (Node.js's parser, Debian's
 * libhttp-parser-dev), never by hand. Keep-alive and pipelining work: all
 * the requests found in one read are answered with one write. The response
 * carries the same headers as Go's (Date, Content-Length, Content-Type).
 * A request the parser rejects gets "400 Bad Request" and the connection is
 * closed, as Go does.
 *
 *   http_hello [address]       serve (default 127.0.0.1:8080)
 *   http_hello --selftest      serve on a free loopback port, check
 *                              keep-alive, pipelining, Connection: close,
 *                              HTTP/1.0, HEAD and a malformed request with
 *                              client goroutines, exit 0 (the tests run it)
 */
#include <goro.h>

#include <http_parser.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char body[] = "Hello, World!";

/* The Date header, formatted once a second. Thread-local: used only
 * between two points where the goroutine cannot move (no suspension). */
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
  bool done;        /* close after the responses queued so far */
  size_t outlen;
  char out[16384];  /* responses to the requests of one read */
} conn;

static int on_message_complete(http_parser *p) {
  conn *c = p->data;
  bool keep = http_should_keep_alive(p);
  bool head = p->method == HTTP_HEAD;
  if (c->outlen + 256 > sizeof(c->out)) {
    /* Too many pipelined requests in one read: flush first. */
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
                   keep ? "" : "Connection: close\r\n", head ? "" : body);
  c->outlen += (size_t)n;
  if (!keep) {
    c->done = true;
    return 1; /* stop parsing: nothing after this request is answered */
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
    size_t used = http_parser_execute(&c->parser, &settings, buf, (size_t)n);
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (err != HPE_OK && !c->done) {
      static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Connection: close\r\n\r\n"
                                "400 Bad Request";
      if (c->outlen)
        goro_write(c->fd, c->out, c->outlen);
      goro_write(c->fd, bad, sizeof(bad) - 1);
      break;
    }
    (void)used;
    if (c->outlen && goro_write(c->fd, c->out, c->outlen) !=
                         (int64_t)c->outlen)
      break;
    c->outlen = 0;
  }
  goro_close(c->fd);
  free(c);
}

static void accept_loop(void *arg) {
  int lfd = (int)(intptr_t)arg;
  int64_t backoff = 0;
  for (;;) {
    int fd = goro_accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (fd == -EBADF)
        return;
      backoff = backoff ? backoff * 2 : 5000000;
      if (backoff > 1000000000)
        backoff = 1000000000;
      goro_sleep(backoff); /* EMFILE and friends: back off, never spin */
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

typedef struct resp_count {
  int complete, status_ok, status_bad, bodies_ok;
  bool head; /* responses to HEAD: the parser must not expect a body */
  const char *at;
  size_t len;
} resp_count;

static int r_body(http_parser *p, const char *at, size_t len) {
  resp_count *r = p->data;
  if (len == sizeof(body) - 1 && memcmp(at, body, len) == 0)
    r->bodies_ok++;
  return 0;
}
static int r_headers(http_parser *p) {
  return ((resp_count *)p->data)->head ? 1 : 0; /* 1: no body follows */
}
static int r_complete(http_parser *p) {
  resp_count *r = p->data;
  r->complete++;
  if (p->status_code == 200)
    r->status_ok++;
  if (p->status_code == 400)
    r->status_bad++;
  return 0;
}
static http_parser_settings rsettings = {.on_headers_complete = r_headers,
                                         .on_body = r_body,
                                         .on_message_complete = r_complete};

/* Sends req, reads until `want` responses were parsed or EOF; returns the
 * counts. eof_expected: the server must close afterwards. */
static resp_count exchange(const char *req, int want, bool eof_expected) {
  resp_count r = {0};
  r.head = strncmp(req, "HEAD ", 5) == 0;
  int fd = goro_dial("tcp", self_addr);
  if (fd < 0) {
    self_failed = 1;
    return r;
  }
  http_parser p;
  http_parser_init(&p, HTTP_RESPONSE);
  p.data = &r;
  if (goro_write(fd, req, strlen(req)) != (int64_t)strlen(req))
    self_failed = 1;
  char buf[4096];
  for (;;) {
    if (r.complete >= want && !eof_expected)
      break;
    int64_t n = goro_read_until(fd, buf, sizeof(buf),
                                goro_now() + 5000000000LL);
    if (n < 0) {
      self_failed = 1;
      break;
    }
    http_parser_execute(&p, &rsettings, buf, (size_t)n); /* n == 0: EOF */
    if (n == 0)
      break;
  }
  goro_close(fd);
  return r;
}

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "http_hello selftest: %s failed\n", what);
    self_failed = 1;
  }
}

static void self_client(void *arg) {
  int kind = (int)(intptr_t)arg;
  resp_count r;
  switch (kind % 5) {
  case 0: { /* keep-alive: ten requests on one connection, one at a time */
    int fd = goro_dial("tcp", self_addr);
    http_parser p;
    resp_count rc = {0};
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = &rc;
    static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[4096];
    for (int i = 0; i < 10 && fd >= 0; i++) {
      goro_write(fd, get, sizeof(get) - 1);
      while (rc.complete < i + 1) {
        int64_t n = goro_read(fd, buf, sizeof(buf));
        if (n <= 0)
          break;
        http_parser_execute(&p, &rsettings, buf, (size_t)n);
      }
    }
    goro_close(fd);
    check(rc.complete == 10 && rc.bodies_ok == 10, "keep-alive");
    break;
  }
  case 1: /* three pipelined requests in one write */
    r = exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /c HTTP/1.1\r\nHost: x\r\n\r\n",
                 3, false);
    check(r.complete == 3 && r.bodies_ok == 3, "pipelining");
    break;
  case 2: /* Connection: close: one response, then EOF */
    r = exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1,
                 true);
    check(r.complete == 1 && r.status_ok == 1, "Connection: close");
    break;
  case 3: /* HTTP/1.0 without keep-alive closes; HEAD has no body */
    r = exchange("HEAD / HTTP/1.0\r\n\r\n", 1, true);
    check(r.status_ok == 1 && r.bodies_ok == 0, "HTTP/1.0 HEAD");
    break;
  case 4: /* garbage: 400 and close */
    r = exchange("BREW /pot HTCPCP/1.0\r\n\r\n", 1, true);
    check(r.status_bad == 1, "bad request");
    break;
  }
  goro_wg_done(&self_wg);
}

static void selftest(void *arg) {
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  if (lfd < 0) {
    fprintf(stderr, "http_hello: listen: %s\n", goro_strerror(lfd));
    self_failed = 1;
    return;
  }
  goro_local_addr(lfd, self_addr, sizeof(self_addr));
  goro_go(accept_loop, (void *)(intptr_t)lfd);
  int n = 50;
  goro_wg_add(&self_wg, n);
  for (int i = 0; i < n; i++)
    goro_go(self_client, (void *)(intptr_t)i);
  goro_wg_wait(&self_wg);
  goro_close(lfd);
  printf("http_hello selftest: %d clients: %s\n", n,
         self_failed ? "FAILED" : "ok");
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--selftest")) {
    goro_run(selftest, NULL);
    return self_failed;
  }
  const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8080";
  int lfd = goro_listen("tcp", addr);
  if (lfd < 0) {
    fprintf(stderr, "http_hello: listen %s: %s\n", addr, goro_strerror(lfd));
    return 1;
  }
  char bound[128];
  goro_local_addr(lfd, bound, sizeof(bound));
  fprintf(stderr, "http_hello: serving on http://%s/\n", bound);
  return goro_run(accept_loop, (void *)(intptr_t)lfd) == 0 ? 0 : 1;
}
