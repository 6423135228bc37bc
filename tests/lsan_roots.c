/* lsan_roots.c: LeakSanitizer and goroutine stacks (ASan builds only).
 * Each scenario runs in a child process, which LSan checks at exit:
 *  - parked: memory that only a parked goroutine's stack points to is not
 *    a leak (the runtime registers the used part of every live stack);
 *  - abandoned: nor is memory that only a goroutine abandoned by goro_run
 *    points to, even once a later goro_run has dropped it;
 *  - self: nor is memory that only the exiting goroutine's stack points
 *    to;
 *  - leak: memory nothing points to any more is reported, so the two
 *    above are not passing because LSan is off;
 *  - pooled: 10,000 goroutines, all alive at once, have come and gone
 *    when the process exits; their pooled stacks are not scanned (scanning
 *    them whole read 256 KiB each, and on a kernel without a shared zero
 *    page that committed it: 2.5 GiB here). The child's peak RSS stays
 *    under 1 GiB. */
#include <goro.h>

#include <stdint.h>
#include <sys/resource.h>

#include "check.h"

static goro_chan *never; /* nothing is ever sent on it */
static goro_chan *parked;

static void *make_block(size_t n) {
  char *p = malloc(n);
  CHECK(p != NULL);
  memset(p, 0x5a, n);
  return p;
}

static void holder(void *arg) {
  (void)arg;
  void *volatile keep = make_block(4321);
  int64_t one = 1, v;
  goro_chan_send(parked, &one);
  goro_chan_recv(never, &v); /* parks for good: keep lives on this stack */
  free(keep);
}

static void main_parked(void *arg) {
  (void)arg;
  never = goro_chan_make(sizeof(int64_t), 0);
  parked = goro_chan_make(sizeof(int64_t), 0);
  CHECK(never && parked);
  CHECK(goro_go(holder, NULL) > 0);
  int64_t v;
  CHECK_EQ(goro_chan_recv(parked, &v), 1);
  goro_yield(); /* let it reach its receive and park */
}

static void spinner(void *arg) {
  void *volatile keep = make_block(3456);
  int64_t one = 1;
  goro_chan_send(parked, &one);
  for (;;)
    goro_yield(); /* runnable until goro_run abandons it */
  free(keep);
}

static void main_spinner(void *arg) {
  (void)arg;
  parked = goro_chan_make(sizeof(int64_t), 0);
  CHECK(parked != NULL);
  CHECK(goro_go(spinner, NULL) > 0);
  int64_t v;
  CHECK_EQ(goro_chan_recv(parked, &v), 1);
}

static void main_yields(void *arg) {
  (void)arg;
  for (int i = 0; i < 100; i++)
    goro_yield(); /* the abandoned spinner is dropped meanwhile */
}

static void exits_holding(void *arg) {
  (void)arg;
  void *volatile keep = make_block(1234);
  (void)keep;
  exit(0); /* from this goroutine's stack, with keep on it */
}

static void main_self(void *arg) {
  (void)arg;
  goro_wg wg = GORO_WG_INIT;
  goro_wg_add(&wg, 1);
  CHECK(goro_go(exits_holding, NULL) > 0);
  goro_wg_wait(&wg); /* never returns: the goroutine exits the process */
}

static void drops(void *arg) {
  void *volatile lost = make_block(2345);
  lost = NULL;
  (void)lost;
  goro_wg_done(arg);
}

static void main_leak(void *arg) {
  (void)arg;
  goro_wg wg = GORO_WG_INIT;
  goro_wg_add(&wg, 1);
  CHECK(goro_go(drops, &wg) > 0);
  goro_wg_wait(&wg);
}

static goro_chan *gate; /* closed once every goroutine has started */

static void waits_at_gate(void *arg) {
  int64_t v;
  CHECK_EQ(goro_chan_recv(gate, &v), 0);
  goro_wg_done(arg);
}

static void main_pooled(void *arg) {
  (void)arg;
  goro_wg wg = GORO_WG_INIT;
  enum { N = 10000 };
  gate = goro_chan_make(sizeof(int64_t), 0);
  CHECK(gate != NULL);
  goro_wg_add(&wg, N);
  for (int i = 0; i < N; i++)
    CHECK(goro_go(waits_at_gate, &wg) > 0);
  for (int i = 0; i < 100; i++)
    goro_yield(); /* most of them parked on the gate: N stacks in use */
  goro_chan_close(gate);
  goro_wg_wait(&wg);
}

static int scenario(const char *name) {
  void (*fn)(void *) = NULL;
  if (!strcmp(name, "parked"))
    fn = main_parked;
  else if (!strcmp(name, "abandoned")) {
    CHECK_EQ(goro_run(main_spinner, NULL), 0);
    fn = main_yields;
  } else if (!strcmp(name, "self"))
    fn = main_self;
  else if (!strcmp(name, "leak"))
    fn = main_leak;
  else if (!strcmp(name, "pooled"))
    fn = main_pooled;
  CHECK(fn != NULL);
  CHECK_EQ(goro_run(fn, NULL), 0);
  return 0;
}

static char out[1 << 16];

int main(int argc, char **argv) {
  if (argc > 1)
    return scenario(argv[1]);
  static const char *const env[] = {"ASAN_OPTIONS=detect_leaks=1", NULL};

  CHECK_EQ(child(argv[0], "parked", env, out, sizeof(out)), 0);
  CHECK(!strstr(out, "LeakSanitizer"));

  CHECK_EQ(child(argv[0], "abandoned", env, out, sizeof(out)), 0);
  CHECK(!strstr(out, "LeakSanitizer"));

  CHECK_EQ(child(argv[0], "self", env, out, sizeof(out)), 0);
  CHECK(!strstr(out, "LeakSanitizer"));

  CHECK(child(argv[0], "leak", env, out, sizeof(out)) != 0);
  CHECK_CONTAINS(out, "detected memory leaks");
  CHECK_CONTAINS(out, "2345 byte(s)");

  CHECK_EQ(child(argv[0], "pooled", env, out, sizeof(out)), 0);
  CHECK(!strstr(out, "LeakSanitizer"));
  struct rusage ru;
  CHECK_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0);
  CHECK(ru.ru_maxrss < 1024 * 1024); /* KiB: the largest child's peak */
  return 0;
}
