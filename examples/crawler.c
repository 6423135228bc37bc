/*
 * crawler.c: a concurrent web crawler (the Go tour's last exercise) that
 * crawls a small site it serves itself on loopback.
 *
 * The site: pages /0 .. /N-1; page i links to a few others, so that only
 * some pages are reachable from /0. The server is a goroutine per
 * connection that parses the request with http_parser and answers with a
 * little HTML page.
 *
 * The crawler: a goroutine per URL. A weighted semaphore (goro_sema, Go's
 * golang.org/x/sync/semaphore) bounds how many fetch at once; a mutex
 * guards the set of URLs seen; a WaitGroup waits for the last one. Each
 * fetch dials the server, sends a GET, and parses the response with
 * http_parser.
 *
 * At the end it checks its result against a breadth-first search of the
 * link graph done without any I/O, and that the number of fetches in
 * flight never exceeded the bound; it exits 0 if both hold (the tests run
 * it).
 *
 *   crawler [pages [limit]]     default 300 pages, 8 fetches at a time
 */
#include <goro.h>

#include <http_parser.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int npages = 300;
static int limit = 8;

/* The link graph: page i links to these pages. */
static int links_of(int i, int out[3]) {
  int n = 0;
  out[n++] = (i * 7 + 3) % npages;
  out[n++] = (i * 11 + 5) % npages;
  if (i % 3 != 0)
    out[n++] = (i / 2 + 1) % npages;
  return n;
}

/* ---- the site ------------------------------------------------------------ */

typedef struct req {
  char url[64];
  size_t urllen;
  bool complete;
} req;

static int q_url(http_parser *p, const char *at, size_t len) {
  req *r = p->data;
  if (r->urllen + len < sizeof(r->url)) {
    memcpy(r->url + r->urllen, at, len);
    r->urllen += len;
  }
  r->url[r->urllen] = 0;
  return 0;
}
static int q_complete(http_parser *p) {
  ((req *)p->data)->complete = true;
  return 1; /* one request per connection */
}
static http_parser_settings qsettings = {.on_url = q_url,
                                         .on_message_complete = q_complete};

static void serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  req r = {{0}, 0, false};
  http_parser p;
  http_parser_init(&p, HTTP_REQUEST);
  p.data = &r;
  char buf[2048];
  while (!r.complete) {
    int64_t n = goro_read(fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    http_parser_execute(&p, &qsettings, buf, (size_t)n);
    if (HTTP_PARSER_ERRNO(&p) != HPE_OK && !r.complete)
      break;
  }
  if (r.complete) {
    char page[512], resp[768];
    int i = -1, plen;
    if (sscanf(r.url, "/%d", &i) == 1 && i >= 0 && i < npages) {
      int l[3], nl = links_of(i, l);
      plen = snprintf(page, sizeof(page), "<html><body><h1>Page %d</h1>", i);
      for (int k = 0; k < nl; k++)
        plen += snprintf(page + plen, sizeof(page) - (size_t)plen,
                         "<a href=\"/%d\">page %d</a> ", l[k], l[k]);
      plen += snprintf(page + plen, sizeof(page) - (size_t)plen,
                       "</body></html>\n");
    } else {
      plen = snprintf(page, sizeof(page), "not found\n");
    }
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %s\r\nContent-Type: text/html\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                     i >= 0 && i < npages ? "200 OK" : "404 Not Found", plen,
                     page);
    goro_write(fd, resp, (size_t)n);
  }
  goro_close(fd);
}

static void server(void *arg) {
  int lfd = (int)(intptr_t)arg;
  for (;;) {
    int fd = goro_accept(lfd, NULL, NULL);
    if (fd == -EBADF)
      return;
    if (fd < 0) {
      goro_sleep(5000000); /* out of descriptors: back off */
      continue;
    }
    if (goro_go(serve, (void *)(intptr_t)fd) < 0)
      goro_close(fd);
  }
}

/* ---- the crawler ------------------------------------------------------------ */

static char site[128];
static goro_sema sem;
static goro_mutex seen_mu = GORO_MUTEX_INIT;
static bool *seen;
static goro_wg wg = GORO_WG_INIT;
static int fetched, failed, inflight, max_inflight;

typedef struct resp {
  int status;
  char *body;
  size_t len, cap;
} resp;

static int s_body(http_parser *p, const char *at, size_t len) {
  resp *r = p->data;
  if (r->len + len + 1 > r->cap) {
    size_t cap = (r->len + len + 1) * 2;
    char *b = realloc(r->body, cap);
    if (!b)
      return 1;
    r->body = b;
    r->cap = cap;
  }
  memcpy(r->body + r->len, at, len);
  r->len += len;
  r->body[r->len] = 0;
  return 0;
}
static int s_complete(http_parser *p) {
  ((resp *)p->data)->status = p->status_code;
  return 0;
}
static http_parser_settings ssettings = {.on_body = s_body,
                                         .on_message_complete = s_complete};

/* GET path; returns the body (malloc'd) or NULL. */
static char *fetch(const char *path) {
  int fd = goro_dial("tcp", site);
  if (fd < 0)
    return NULL;
  char reqbuf[160];
  int n = snprintf(reqbuf, sizeof(reqbuf),
                   "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                   path, site);
  resp r = {0, NULL, 0, 0};
  http_parser p;
  http_parser_init(&p, HTTP_RESPONSE);
  p.data = &r;
  if (goro_write(fd, reqbuf, (size_t)n) == n) {
    char buf[2048];
    for (;;) {
      int64_t k = goro_read(fd, buf, sizeof(buf));
      if (k < 0)
        break;
      http_parser_execute(&p, &ssettings, buf, (size_t)k);
      if (k == 0 || r.status)
        break;
    }
  }
  goro_close(fd);
  if (r.status != 200) {
    free(r.body);
    return NULL;
  }
  return r.body;
}

static void crawl(void *arg);

/* Marks page i seen; true if it was new. */
static bool visit(int i) {
  goro_mutex_lock(&seen_mu);
  bool fresh = !seen[i];
  seen[i] = true;
  goro_mutex_unlock(&seen_mu);
  return fresh;
}

static void crawl(void *arg) {
  int page = (int)(intptr_t)arg;
  char path[32];
  snprintf(path, sizeof(path), "/%d", page);

  goro_sema_acquire(&sem, 1);
  int now = __atomic_add_fetch(&inflight, 1, __ATOMIC_SEQ_CST);
  int m = __atomic_load_n(&max_inflight, __ATOMIC_RELAXED);
  while (now > m &&
         !__atomic_compare_exchange_n(&max_inflight, &m, now, false,
                                      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
    ;
  char *body = fetch(path);
  __atomic_sub_fetch(&inflight, 1, __ATOMIC_SEQ_CST);
  goro_sema_release(&sem, 1);

  if (!body) {
    __atomic_add_fetch(&failed, 1, __ATOMIC_SEQ_CST);
  } else {
    __atomic_add_fetch(&fetched, 1, __ATOMIC_SEQ_CST);
    /* Follow every href="/N". */
    for (char *h = strstr(body, "href=\"/"); h; h = strstr(h + 1, "href=\"/")) {
      int next = atoi(h + 7);
      if (next >= 0 && next < npages && visit(next)) {
        goro_wg_add(&wg, 1);
        if (goro_go(crawl, (void *)(intptr_t)next) < 0) {
          __atomic_add_fetch(&failed, 1, __ATOMIC_SEQ_CST);
          goro_wg_done(&wg);
        }
      }
    }
    free(body);
  }
  goro_wg_done(&wg);
}

/* The answer, without any I/O. */
static int reachable(void) {
  bool *mark = calloc((size_t)npages, 1);
  int *queue = malloc(sizeof(int) * (size_t)npages);
  int head = 0, tail = 0;
  mark[0] = true;
  queue[tail++] = 0;
  while (head < tail) {
    int l[3], nl = links_of(queue[head++], l);
    for (int k = 0; k < nl; k++)
      if (!mark[l[k]]) {
        mark[l[k]] = true;
        queue[tail++] = l[k];
      }
  }
  free(mark);
  free(queue);
  return tail;
}

static int status = 1;

static void main_goroutine(void *arg) {
  int lfd = goro_listen("tcp", "127.0.0.1:0");
  if (lfd < 0) {
    fprintf(stderr, "crawler: listen: %s\n", goro_strerror(lfd));
    return;
  }
  goro_local_addr(lfd, site, sizeof(site));
  goro_go(server, (void *)(intptr_t)lfd);

  goro_sema_init(&sem, limit);
  seen = calloc((size_t)npages, 1);
  int64_t t0 = goro_now();
  visit(0);
  goro_wg_add(&wg, 1);
  goro_go(crawl, (void *)(intptr_t)0);
  goro_wg_wait(&wg);
  int64_t t1 = goro_now();
  goro_close(lfd);

  int want = reachable();
  printf("crawler: fetched %d of %d pages (%d reachable from /0) in %.1f ms, "
         "at most %d at once (limit %d), %d failures\n",
         fetched, npages, want, (double)(t1 - t0) / 1e6, max_inflight, limit,
         failed);
  status = fetched == want && failed == 0 && max_inflight <= limit ? 0 : 1;
  free(seen);
}

int main(int argc, char **argv) {
  if (argc > 1)
    npages = atoi(argv[1]);
  if (argc > 2)
    limit = atoi(argv[2]);
  if (npages < 1 || limit < 1) {
    fprintf(stderr, "usage: crawler [pages [limit]]\n");
    return 2;
  }
  if (goro_run(main_goroutine, NULL) != 0)
    return 1;
  return status;
}
