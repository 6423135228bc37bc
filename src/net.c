/*
 * net.c: sockets (Go's package net, the parts C needs): goro_socket,
 * goro_accept, goro_connect, goro_recv/send/recvfrom/sendto, and the
 * address-level goro_listen / goro_dial for TCP and Unix sockets.
 *
 * Every socket the runtime creates is nonblocking and close-on-exec from
 * birth (SOCK_NONBLOCK | SOCK_CLOEXEC: no fcntl calls, no window in which a
 * concurrent fork/exec inherits it), and is registered with the poller at
 * once (goro__pd_open_socket), which also retires any stale record for its
 * number (pd.c).
 *
 * accept: a listener's EAGAIN parks the goroutine on the listener's poll
 * descriptor. ECONNABORTED (the peer gave up while queued) is retried, as
 * Go does. EMFILE/ENFILE are returned to the caller at once: the pending
 * connection stays in the kernel's queue and the listener stays registered
 * and usable, so a caller that backs off (goro_sleep) and calls again gets
 * it once descriptors are free. Nothing here spins on it.
 *
 * connect: a nonblocking connect returns EINPROGRESS; the socket is
 * writable when the handshake ends, and SO_ERROR tells how. Loopback
 * handshakes often complete inside connect(2), so the status is checked
 * once before parking. A wake-up with SO_ERROR 0 may be early (the socket
 * reports writable-and-hung-up before connect is even called), so, as Go
 * does, getpeername confirms the connection before it is reported.
 *
 * goro_listen / goro_dial take Go's network names ("tcp", "tcp4", "tcp6",
 * "unix") and addresses ("host:port", "[::1]:80", ":0", a path, or "@name"
 * for Linux's abstract Unix namespace). Literal addresses are parsed
 * without any I/O; names go through getaddrinfo inside goro_blocking, so
 * the resolver's blocking I/O hands the processor to another thread. Go's
 * defaults apply: listeners set SO_REUSEADDR and a backlog of somaxconn;
 * dialed TCP connections and those accepted from a goro_listen listener
 * set TCP_NODELAY. Dial tries the resolved addresses in order and returns
 * the first that connects (or the first error).
 */
#define _GNU_SOURCE
#include "io.h"
#include "../include/goro.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef int64_t (*io_call)(int fd, void *ctx);

/* The loop of io.c, for sockets (PD_POLL or, without a poller, PD_BLOCK
 * handled by plain blocking calls). The caller holds a reference. */
static int64_t sock_loop(goro__pd *pd, int fd, int mode, int64_t deadline,
                         io_call call, void *ctx) {
  if (deadline != INT64_MAX && goro__nanotime() >= deadline)
    return -ETIMEDOUT;
  bool poll = load_relaxed(&pd->kind) == PD_POLL;
  for (;;) {
    uint64_t snap = goro__pd_snap(pd);
    int64_t r = call(fd, ctx);
    if (r == -EINTR)
      continue;
    if (likely(r != -EAGAIN) || !poll)
      return r;
    int w = goro__pd_wait(pd, fd, mode, snap, deadline);
    if (w < 0)
      return w;
  }
}

int goro_socket(int domain, int type, int protocol) {
  int saved = errno;
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  int r = fd;
  if (fd < 0) {
    r = -errno;
  } else {
    int sock = GORO__PD_SOCK;
    if ((type & 0xf) == SOCK_STREAM && (domain == AF_INET || domain == AF_INET6))
      sock |= GORO__PD_TCP;
    int err = goro__pd_open_socket(fd, sock);
    if (err) {
      close(fd);
      r = err;
    }
  }
  errno = saved;
  return r;
}

/* ---- accept ------------------------------------------------------------- */

typedef struct accept_ctx {
  struct sockaddr *addr;
  socklen_t *len;
  socklen_t len0;
} accept_ctx;

static int64_t call_accept(int fd, void *ctx) {
  accept_ctx *c = ctx;
  if (c->len)
    *c->len = c->len0;
  int r = accept4(fd, c->addr, c->len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (r >= 0)
    return r;
  /* The peer gave up while queued: take the next one (as Go does). */
  return errno == ECONNABORTED ? -EINTR : -errno;
}

/* Accepts in a row on this thread that did not have to wait. A burst of
 * connections (1,000 clients dialing at once) would otherwise keep the
 * accepting goroutine running for milliseconds, every new connection's
 * goroutine queued behind it: the monitor then calls it a hog. Go preempts
 * such a loop; here the accept yields every ACCEPT_BURST connections, which
 * costs nothing when nothing else is runnable. Thread-local: a heuristic,
 * never held across a suspension. */
#define ACCEPT_BURST 16
static __thread unsigned accepts_in_a_row;

int goro_accept_until(int fd, struct sockaddr *addr, socklen_t *addrlen,
                      int64_t deadline) {
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  accept_ctx c = {addr, addrlen, addrlen ? *addrlen : 0};
  if (++accepts_in_a_row >= ACCEPT_BURST) {
    accepts_in_a_row = 0;
    if (goro__g_get())
      goro_yield();
  }
  uint64_t snap = goro__pd_snap(pd);
  int64_t r = sock_loop(pd, fd, GORO__PD_R, deadline, call_accept, &c);
  if (goro__pd_snap(pd) != snap)
    accepts_in_a_row = 0; /* it probably waited: the burst is over */
  if (r >= 0) {
    int nfd = (int)r;
    err = goro__pd_open_socket(nfd, GORO__PD_SOCK | (pd->sock & GORO__PD_TCP));
    if (err) {
      close(nfd);
      r = err;
    } else if (pd->sock & GORO__PD_TCP_LISTENER) {
      int one = 1;
      setsockopt(nfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
  }
  goro__pd_end(pd);
  errno = saved;
  return (int)r;
}

int goro_accept(int fd, struct sockaddr *addr, socklen_t *addrlen) {
  return goro_accept_until(fd, addr, addrlen, INT64_MAX);
}

/* ---- connect ------------------------------------------------------------ */

/* 0 connected, -EAGAIN still in progress, or the connect's error. */
static int connect_status(int fd) {
  int soerr = 0;
  socklen_t len = sizeof(soerr);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
    return -errno;
  switch (soerr) {
  case 0:
  case EISCONN: {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
      return 0;
    return errno == ENOTCONN ? -EAGAIN : -errno;
  }
  case EINPROGRESS:
  case EALREADY:
  case EINTR:
    return -EAGAIN;
  default:
    return -soerr;
  }
}

int goro_connect_until(int fd, const struct sockaddr *addr, socklen_t addrlen,
                       int64_t deadline) {
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  int r;
  if (deadline != INT64_MAX && goro__nanotime() >= deadline) {
    r = -ETIMEDOUT;
  } else if (connect(fd, addr, addrlen) == 0) {
    r = 0;
  } else {
    int e = errno;
    if (e == EISCONN) {
      r = 0;
    } else if (e != EINPROGRESS && e != EALREADY && e != EINTR) {
      r = -e;
    } else if (load_relaxed(&pd->kind) != PD_POLL) {
      /* No poller: wait in poll(2) (through goro__pd_wait's thread path
       * semantics is not available to goroutines here), so block. */
      for (;;) {
        r = connect_status(fd);
        if (r != -EAGAIN)
          break;
        r = goro_wait_fd(fd, GORO_WRITABLE, deadline);
        if (r < 0)
          break;
      }
    } else {
      for (;;) {
        uint64_t snap = goro__pd_snap(pd);
        r = connect_status(fd);
        if (r != -EAGAIN)
          break;
        int w = goro__pd_wait(pd, fd, GORO__PD_W, snap, deadline);
        if (w < 0) {
          r = w;
          break;
        }
      }
    }
  }
  goro__pd_end(pd);
  errno = saved;
  return r;
}

int goro_connect(int fd, const struct sockaddr *addr, socklen_t addrlen) {
  return goro_connect_until(fd, addr, addrlen, INT64_MAX);
}

/* ---- recv / send ---------------------------------------------------------- */

typedef struct msg_ctx {
  void *buf;
  size_t n;
  int flags;
  struct sockaddr *addr;
  socklen_t *len;
  socklen_t len0;
  const struct sockaddr *to;
  socklen_t tolen;
} msg_ctx;

static int64_t call_recvfrom(int fd, void *ctx) {
  msg_ctx *c = ctx;
  if (c->len)
    *c->len = c->len0;
  ssize_t r = recvfrom(fd, c->buf, c->n, c->flags, c->addr, c->len);
  return r >= 0 ? r : -errno;
}

static int64_t call_sendto(int fd, void *ctx) {
  msg_ctx *c = ctx;
  ssize_t r = sendto(fd, c->buf, c->n, c->flags | MSG_NOSIGNAL, c->to,
                     c->tolen);
  return r >= 0 ? r : -errno;
}

int64_t goro_recvfrom_until(int fd, void *buf, size_t n, int flags,
                            struct sockaddr *from, socklen_t *fromlen,
                            int64_t deadline) {
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  int64_t r;
  if (!from && !(flags & ~MSG_DONTWAIT) && (pd->sock & GORO__PD_TCP) &&
      load_relaxed(&pd->kind) == PD_POLL && goro__g_get()) {
    r = goro__tcp_read(pd, fd, buf, n, flags, deadline);
  } else {
    msg_ctx c = {buf, n, flags, from, fromlen, fromlen ? *fromlen : 0, NULL, 0};
    r = sock_loop(pd, fd, GORO__PD_R, deadline, call_recvfrom, &c);
  }
  goro__pd_end(pd);
  errno = saved;
  return r;
}

int64_t goro_recvfrom(int fd, void *buf, size_t n, int flags,
                      struct sockaddr *from, socklen_t *fromlen) {
  return goro_recvfrom_until(fd, buf, n, flags, from, fromlen, INT64_MAX);
}

int64_t goro_recv_until(int fd, void *buf, size_t n, int flags,
                        int64_t deadline) {
  return goro_recvfrom_until(fd, buf, n, flags, NULL, NULL, deadline);
}

int64_t goro_recv(int fd, void *buf, size_t n, int flags) {
  return goro_recvfrom_until(fd, buf, n, flags, NULL, NULL, INT64_MAX);
}

int64_t goro_sendto_until(int fd, const void *buf, size_t n, int flags,
                          const struct sockaddr *to, socklen_t tolen,
                          int64_t deadline) {
  int saved = errno;
  int err;
  goro__pd *pd = goro__pd_begin(fd, &err);
  if (!pd) {
    errno = saved;
    return err;
  }
  /* Datagrams go out whole or not at all, so looping over short sends is
   * right for every socket type. */
  msg_ctx c = {NULL, 0, flags, NULL, NULL, 0, to, tolen};
  size_t done = 0;
  int64_t r;
  do {
    c.buf = (char *)buf + done;
    c.n = n - done;
    r = sock_loop(pd, fd, GORO__PD_W, deadline, call_sendto, &c);
    if (r < 0)
      break;
    done += (size_t)r;
  } while (done < n && r > 0);
  goro__pd_end(pd);
  errno = saved;
  return done > 0 || r >= 0 ? (int64_t)done : r;
}

int64_t goro_sendto(int fd, const void *buf, size_t n, int flags,
                    const struct sockaddr *to, socklen_t tolen) {
  return goro_sendto_until(fd, buf, n, flags, to, tolen, INT64_MAX);
}

int64_t goro_send_until(int fd, const void *buf, size_t n, int flags,
                        int64_t deadline) {
  return goro_sendto_until(fd, buf, n, flags, NULL, 0, deadline);
}

int64_t goro_send(int fd, const void *buf, size_t n, int flags) {
  return goro_sendto_until(fd, buf, n, flags, NULL, 0, INT64_MAX);
}

/* ---- addresses -------------------------------------------------------------- */

enum { NET_TCP, NET_TCP4, NET_TCP6, NET_UNIX };

static int parse_network(const char *network) {
  if (!network)
    return -EINVAL;
  if (!strcmp(network, "tcp"))
    return NET_TCP;
  if (!strcmp(network, "tcp4"))
    return NET_TCP4;
  if (!strcmp(network, "tcp6"))
    return NET_TCP6;
  if (!strcmp(network, "unix"))
    return NET_UNIX;
  return -EAFNOSUPPORT;
}

/* Splits "host:port" / "[v6]:port" / ":port" into host (maybe empty) and
 * port. */
static int split_hostport(const char *addr, char *host, size_t hcap,
                          char *port, size_t pcap) {
  const char *colon;
  const char *h = addr;
  size_t hl;
  if (addr[0] == '[') {
    const char *end = strchr(addr, ']');
    if (!end || end[1] != ':')
      return -EINVAL;
    h = addr + 1;
    hl = (size_t)(end - h);
    colon = end + 1;
  } else {
    colon = strrchr(addr, ':');
    if (!colon)
      return -EINVAL;
    hl = (size_t)(colon - addr);
    if (memchr(addr, ':', hl))
      return -EINVAL; /* an IPv6 literal needs brackets */
  }
  size_t pl = strlen(colon + 1);
  if (hl >= hcap || pl >= pcap || pl == 0)
    return -EINVAL;
  memcpy(host, h, hl);
  host[hl] = 0;
  memcpy(port, colon + 1, pl + 1);
  return 0;
}

static int eai_to_errno(int rc, int sys_errno) {
  switch (rc) {
  case EAI_NONAME:
#ifdef EAI_NODATA
  case EAI_NODATA:
#endif
  case EAI_FAIL:
    return -ENOENT; /* no such host */
  case EAI_AGAIN:
    return -EAGAIN;
  case EAI_MEMORY:
    return -ENOMEM;
  case EAI_FAMILY:
  case EAI_ADDRFAMILY:
    return -EAFNOSUPPORT;
  case EAI_SERVICE:
  case EAI_SOCKTYPE:
  case EAI_BADFLAGS:
    return -EINVAL;
  case EAI_SYSTEM:
    return sys_errno ? -sys_errno : -EIO;
  default:
    return -EIO;
  }
}

typedef struct resolve_ctx {
  const char *host, *port;
  struct addrinfo hints;
  struct addrinfo *res;
  int rc, err;
} resolve_ctx;

static void resolve_fn(void *arg) {
  resolve_ctx *c = arg;
  c->rc = getaddrinfo(c->host, c->port, &c->hints, &c->res);
  c->err = errno;
}

static bool all_digits(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* Resolves host:port for TCP. Literals never leave the caller's thread;
 * names are looked up inside goro_blocking. */
static int resolve(int net, const char *host, const char *port, bool passive,
                   struct addrinfo **out) {
  resolve_ctx c = {0};
  c.host = *host ? host : NULL;
  c.port = port;
  c.hints.ai_socktype = SOCK_STREAM;
  c.hints.ai_protocol = IPPROTO_TCP;
  c.hints.ai_family = net == NET_TCP4 ? AF_INET : net == NET_TCP6 ? AF_INET6
                                                                  : AF_UNSPEC;
  c.hints.ai_flags = (passive ? AI_PASSIVE : 0) |
                     (all_digits(port) ? AI_NUMERICSERV : 0);
  c.hints.ai_flags |= AI_NUMERICHOST;
  c.rc = getaddrinfo(c.host, c.port, &c.hints, &c.res);
  if (c.rc == EAI_NONAME && c.host) {
    c.hints.ai_flags &= ~AI_NUMERICHOST;
    c.res = NULL;
    goro_blocking(resolve_fn, &c);
  } else {
    c.err = errno;
  }
  if (c.rc != 0)
    return eai_to_errno(c.rc, c.err);
  *out = c.res;
  return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sun,
                     socklen_t *len) {
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof(sun->sun_path))
    return -EINVAL;
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  memcpy(sun->sun_path, path, n);
  if (path[0] == '@')
    sun->sun_path[0] = 0; /* abstract namespace */
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                     (path[0] == '@' ? 0 : 1));
  return 0;
}

/* ---- listen ----------------------------------------------------------------- */

static int somaxconn(void) {
  static int v; /* [relaxed: idempotent] */
  int r = load_relaxed(&v);
  if (r)
    return r;
  r = 4096;
  FILE *f = fopen("/proc/sys/net/core/somaxconn", "re");
  if (f) {
    int x;
    if (fscanf(f, "%d", &x) == 1 && x > 0)
      r = x > 65535 ? 65535 : x;
    fclose(f);
  }
  store_relaxed(&v, r);
  return r;
}

static void mark_tcp_listener(int fd) {
  goro__pd *pd = goro__pd_lookup(fd);
  if (pd) {
    goro__lock_acquire(&pd->lock);
    pd->sock |= GORO__PD_TCP_LISTENER;
    goro__lock_release(&pd->lock);
  }
}

static int listen_on(const struct sockaddr *sa, socklen_t len, int net) {
  int fd = goro_socket(sa->sa_family, SOCK_STREAM, 0);
  if (fd < 0)
    return fd;
  int one = 1, zero = 0;
  if (sa->sa_family != AF_UNIX)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (sa->sa_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, net == NET_TCP6 ? &one : &zero,
               sizeof(int));
  if (bind(fd, sa, len) != 0 || listen(fd, somaxconn()) != 0) {
    int e = -errno;
    goro_close(fd);
    return e;
  }
  if (sa->sa_family != AF_UNIX)
    mark_tcp_listener(fd);
  return fd;
}

int goro_listen(const char *network, const char *address) {
  int net = parse_network(network);
  if (net < 0)
    return net;
  if (!address)
    return -EINVAL;
  int saved = errno;
  int r;
  if (net == NET_UNIX) {
    struct sockaddr_un sun;
    socklen_t len;
    r = unix_addr(address, &sun, &len);
    if (r == 0)
      r = listen_on((struct sockaddr *)&sun, len, net);
    errno = saved;
    return r;
  }
  char host[256], port[64];
  r = split_hostport(address, host, sizeof(host), port, sizeof(port));
  if (r) {
    errno = saved;
    return r;
  }
  if (!*host && net == NET_TCP) {
    /* Every interface, both families on one socket when IPv6 exists. */
    struct addrinfo *res = NULL;
    r = resolve(NET_TCP6, "::", port, true, &res);
    if (r == 0) {
      r = listen_on(res->ai_addr, res->ai_addrlen, NET_TCP);
      freeaddrinfo(res);
    }
    if (r < 0) {
      res = NULL;
      r = resolve(NET_TCP4, "0.0.0.0", port, true, &res);
      if (r == 0) {
        r = listen_on(res->ai_addr, res->ai_addrlen, NET_TCP4);
        freeaddrinfo(res);
      }
    }
    errno = saved;
    return r;
  }
  struct addrinfo *res = NULL;
  r = resolve(net, host, port, true, &res);
  if (r) {
    errno = saved;
    return r;
  }
  /* Go listens on the first address, preferring IPv4 for names that have
   * both (localhost). */
  int first = 0;
  r = -EADDRNOTAVAIL;
  for (int pass = 0; pass < 2 && r < 0; pass++) {
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
      if ((pass == 0) != (ai->ai_family == AF_INET))
        continue;
      r = listen_on(ai->ai_addr, ai->ai_addrlen, net);
      if (r >= 0)
        break;
      if (!first)
        first = r;
    }
  }
  if (r < 0 && first)
    r = first;
  freeaddrinfo(res);
  errno = saved;
  return r;
}

/* ---- dial --------------------------------------------------------------------- */

static int dial_one(const struct sockaddr *sa, socklen_t len, int64_t deadline) {
  int fd = goro_socket(sa->sa_family, SOCK_STREAM, 0);
  if (fd < 0)
    return fd;
  int r = goro_connect_until(fd, sa, len, deadline);
  if (r < 0) {
    goro_close(fd);
    return r;
  }
  if (sa->sa_family != AF_UNIX) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

int goro_dial_until(const char *network, const char *address,
                    int64_t deadline) {
  int net = parse_network(network);
  if (net < 0)
    return net;
  if (!address)
    return -EINVAL;
  int saved = errno;
  int r;
  if (net == NET_UNIX) {
    struct sockaddr_un sun;
    socklen_t len;
    r = unix_addr(address, &sun, &len);
    if (r == 0)
      r = dial_one((struct sockaddr *)&sun, len, deadline);
    errno = saved;
    return r;
  }
  char host[256], port[64];
  r = split_hostport(address, host, sizeof(host), port, sizeof(port));
  if (r) {
    errno = saved;
    return r;
  }
  /* Go dials the local system for an empty host. */
  struct addrinfo *res = NULL;
  r = resolve(net, *host ? host : (net == NET_TCP6 ? "::1" : "127.0.0.1"),
              port, false, &res);
  if (r) {
    errno = saved;
    return r;
  }
  int first = 0;
  r = -EADDRNOTAVAIL;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    r = dial_one(ai->ai_addr, ai->ai_addrlen, deadline);
    if (r >= 0 || r == -ETIMEDOUT)
      break;
    if (!first)
      first = r;
  }
  if (r < 0 && r != -ETIMEDOUT && first)
    r = first;
  freeaddrinfo(res);
  errno = saved;
  return r;
}

int goro_dial(const char *network, const char *address) {
  return goro_dial_until(network, address, INT64_MAX);
}

/* ---- naming the ends ------------------------------------------------------------ */

static int format_addr(const struct sockaddr_storage *ss, socklen_t len,
                       char *buf, size_t cap) {
  char ip[INET6_ADDRSTRLEN];
  int n;
  switch (ss->ss_family) {
  case AF_INET: {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
    n = snprintf(buf, cap, "%s:%u", ip, ntohs(a->sin_port));
    break;
  }
  case AF_INET6: {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
    n = snprintf(buf, cap, "[%s]:%u", ip, ntohs(a->sin6_port));
    break;
  }
  case AF_UNIX: {
    const struct sockaddr_un *a = (const struct sockaddr_un *)ss;
    size_t pl = len > offsetof(struct sockaddr_un, sun_path)
                    ? len - offsetof(struct sockaddr_un, sun_path)
                    : 0;
    if (pl > 0 && a->sun_path[0] == 0) /* abstract: "@name" */
      n = snprintf(buf, cap, "@%.*s", (int)(pl - 1), a->sun_path + 1);
    else
      n = snprintf(buf, cap, "%.*s", (int)strnlen(a->sun_path, pl),
                   a->sun_path);
    break;
  }
  default:
    return -EAFNOSUPPORT;
  }
  if (n < 0)
    return -EINVAL;
  return (size_t)n >= cap ? -ENOSPC : n;
}

int goro_local_addr(int fd, char *buf, size_t cap) {
  if (!buf || cap == 0)
    return -EINVAL;
  int saved = errno;
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int r = getsockname(fd, (struct sockaddr *)&ss, &len) == 0
              ? format_addr(&ss, len, buf, cap)
              : -errno;
  errno = saved;
  return r;
}

int goro_remote_addr(int fd, char *buf, size_t cap) {
  if (!buf || cap == 0)
    return -EINVAL;
  int saved = errno;
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int r = getpeername(fd, (struct sockaddr *)&ss, &len) == 0
              ? format_addr(&ss, len, buf, cap)
              : -errno;
  errno = saved;
  return r;
}
