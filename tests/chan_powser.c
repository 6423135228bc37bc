/* chan_powser.c: power series as networks of goroutines and channels
 * (after McIlroy's "Squinting at power series"; behaviour of Go's
 * test/chan/powser). A series is a channel of exact rational coefficients.
 * Each operator is a goroutine that reads its input series and writes its
 * output one coefficient at a time. Series defined by feedback,
 *   exp = 1 + integral(exp)
 *   sin = integral(cos),  cos = 1 - integral(sin)
 * split each output in two with a select over both sends, so whichever
 * reader is ready goes first and the loop never deadlocks. Checked exactly:
 * exp = sum x^n/n!, sin and cos their Taylor series, exp*exp = exp(2x),
 * sin^2 + cos^2 = 1 (through a series multiplier). Everything is torn down
 * with closes at the end and every goroutine must finish. */
#include <goro.h>

#include "check.h"

#include <stdbool.h>

#define TERMS 16

typedef struct {
  int64_t num, den; /* den > 0, gcd(num, den) == 1 */
} rat;

static rat mk(__int128 n, __int128 d) {
  if (d < 0) {
    n = -n;
    d = -d;
  }
  __int128 a = n < 0 ? -n : n, b = d;
  while (b) {
    __int128 t = a % b;
    a = b;
    b = t;
  }
  if (a == 0)
    a = 1;
  n /= a;
  d /= a;
  CHECK(n <= INT64_MAX && n >= -INT64_MAX && d <= INT64_MAX);
  return (rat){(int64_t)n, (int64_t)d};
}
static rat radd(rat a, rat b) {
  return mk((__int128)a.num * b.den + (__int128)b.num * a.den,
            (__int128)a.den * b.den);
}
static rat rmul(rat a, rat b) {
  return mk((__int128)a.num * b.num, (__int128)a.den * b.den);
}
static bool req(rat a, rat b) { return a.num == b.num && a.den == b.den; }

static goro_wg wg = GORO_WG_INIT;

static goro_chan *series(void) {
  goro_chan *c = goro_chan_make(sizeof(rat), 0);
  CHECK(c);
  return c;
}

/* Every operator holds its own references to its channels. When an input
 * reports closed or an output send fails (closed), it stops and closes
 * all of its channels, inputs too, so the shutdown spreads through the
 * whole network in both directions; closing an already closed channel
 * just returns -EPIPE. */
typedef struct op {
  goro_chan *in1, *in2, *out, *out2;
  rat k;
} op;

static op *op_new(goro_chan *in1, goro_chan *in2, goro_chan *out,
                  goro_chan *out2, rat k) {
  op *o = malloc(sizeof *o);
  CHECK(o);
  *o = (op){in1, in2, out, out2, k};
  goro_chan_retain(in1);
  goro_chan_retain(in2);
  goro_chan_retain(out);
  goro_chan_retain(out2);
  return o;
}

static void op_done(op *o) {
  goro_chan *all[4] = {o->in1, o->in2, o->out, o->out2};
  for (int i = 0; i < 4; i++)
    if (all[i])
      goro_chan_close(all[i]);
  goro_chan_release(o->in1);
  goro_chan_release(o->in2);
  goro_chan_release(o->out);
  goro_chan_release(o->out2);
  free(o);
  goro_wg_done(&wg);
}

/* out = k + integral(in1): k, then in1[i] / (i + 1). */
static void integ(void *arg) {
  op *o = arg;
  rat v = o->k;
  for (int64_t i = 1;; i++) {
    if (goro_chan_send(o->out, &v) != 0)
      break;
    rat x;
    if (goro_chan_recv(o->in1, &x) != 1)
      break;
    v = rmul(x, (rat){1, i});
  }
  op_done(o);
}

/* out = k * in1. */
static void cmul(void *arg) {
  op *o = arg;
  rat x;
  while (goro_chan_recv(o->in1, &x) == 1)
    if (goro_chan_send_v(o->out, rat, rmul(x, o->k)) != 0)
      break;
  op_done(o);
}

/* out and out2 both get every coefficient of in1, in the order their
 * readers are ready: a select over the two sends, then the other one. */
static void split(void *arg) {
  op *o = arg;
  rat x;
  while (goro_chan_recv(o->in1, &x) == 1) {
    goro_case cs[2] = {goro_send_case(o->out, &x), goro_send_case(o->out2, &x)};
    int r = goro_select(cs, 2, 0);
    if (r < 0)
      break;
    if (goro_chan_send(r == 0 ? o->out2 : o->out, &x) != 0)
      break;
  }
  op_done(o);
}

/* out = in1 * in2 (Cauchy product), reading both a term at a time. */
static void mul(void *arg) {
  op *o = arg;
  rat a[TERMS + 1], b[TERMS + 1];
  for (int n = 0; n <= TERMS; n++) {
    if (goro_chan_recv(o->in1, &a[n]) != 1 ||
        goro_chan_recv(o->in2, &b[n]) != 1)
      break;
    rat s = {0, 1};
    for (int i = 0; i <= n; i++)
      s = radd(s, rmul(a[i], b[n - i]));
    if (goro_chan_send(o->out, &s) != 0)
      break;
  }
  op_done(o);
}

/* out = in1 + in2. */
static void add(void *arg) {
  op *o = arg;
  rat x, y;
  while (goro_chan_recv(o->in1, &x) == 1 && goro_chan_recv(o->in2, &y) == 1)
    if (goro_chan_send_v(o->out, rat, radd(x, y)) != 0)
      break;
  op_done(o);
}

static void spawn(void (*fn)(void *), op *o) {
  goro_wg_add(&wg, 1);
  CHECK(goro_go(fn, o) > 0);
}

static rat fact_inv(int n) {
  int64_t f = 1;
  for (int i = 2; i <= n; i++)
    f *= i;
  return (rat){1, f};
}

/* Reads n coefficients of c. */
static void take(goro_chan *c, rat *out, int n) {
  for (int i = 0; i < n; i++)
    CHECK_EQ(goro_chan_recv(c, &out[i]), 1);
}

static void test_exp(void) {
  /* exp = integ(1, fb); split -> (fb, e); e -> consumer */
  goro_chan *x = series(), *fb = series(), *e = series();
  spawn(integ, op_new(fb, NULL, x, NULL, (rat){1, 1}));
  spawn(split, op_new(x, NULL, fb, e, (rat){0, 1}));
  rat got[TERMS];
  take(e, got, TERMS);
  for (int n = 0; n < TERMS; n++)
    CHECK(req(got[n], fact_inv(n)));
  /* Tear down: closing the consumer's end makes the split's send fail;
   * it closes fb and x, and integ stops. */
  goro_chan_close(e);
  goro_chan_release(x);
  goro_chan_release(fb);
  goro_chan_release(e);
  goro_wg_wait(&wg);
}

static void test_exp_squared(void) {
  /* Two independent exp networks multiplied: exp(x)^2 = exp(2x). */
  goro_chan *a[2];
  goro_chan *x[2], *fb[2];
  for (int k = 0; k < 2; k++) {
    x[k] = series();
    fb[k] = series();
    a[k] = series();
    spawn(integ, op_new(fb[k], NULL, x[k], NULL, (rat){1, 1}));
    spawn(split, op_new(x[k], NULL, fb[k], a[k], (rat){0, 1}));
  }
  goro_chan *p = series();
  spawn(mul, op_new(a[0], a[1], p, NULL, (rat){0, 1}));
  rat got[TERMS];
  take(p, got, TERMS);
  int64_t two = 1;
  for (int n = 0; n < TERMS; n++, two *= 2)
    CHECK(req(got[n], rmul((rat){two, 1}, fact_inv(n))));
  goro_chan_close(p);
  for (int k = 0; k < 2; k++) {
    goro_chan_close(a[k]);
    goro_chan_release(x[k]);
    goro_chan_release(fb[k]);
    goro_chan_release(a[k]);
  }
  goro_chan_release(p);
  goro_wg_wait(&wg);
}

static void test_sin_cos(void) {
  /* s = integ(0, cfb); c = integ(1, -sfb)
   * s -> split(sfb0, s_out), c -> split(cfb, c_out), sfb0 -> cmul(-1) -> sfb */
  goro_chan *s = series(), *c = series();
  goro_chan *sfb0 = series(), *sfb = series(), *cfb = series();
  goro_chan *s_out = series(), *c_out = series();
  spawn(integ, op_new(cfb, NULL, s, NULL, (rat){0, 1}));
  spawn(integ, op_new(sfb, NULL, c, NULL, (rat){1, 1}));
  spawn(split, op_new(s, NULL, sfb0, s_out, (rat){0, 1}));
  spawn(cmul, op_new(sfb0, NULL, sfb, NULL, (rat){-1, 1}));
  spawn(split, op_new(c, NULL, cfb, c_out, (rat){0, 1}));

  /* Two more copies of each for sin^2 + cos^2, through splits. */
  goro_chan *s1 = series(), *s2 = series(), *s3 = series();
  goro_chan *c1 = series(), *c2 = series(), *c3 = series();
  goro_chan *ss = series(), *cc = series(), *sum = series();
  spawn(split, op_new(s_out, NULL, s1, s2, (rat){0, 1}));
  spawn(split, op_new(s2, NULL, s3, ss, (rat){0, 1})); /* ss: later mul */
  spawn(split, op_new(c_out, NULL, c1, c2, (rat){0, 1}));
  spawn(split, op_new(c2, NULL, c3, cc, (rat){0, 1}));
  goro_chan *sq_s = series(), *sq_c = series();
  spawn(mul, op_new(s3, ss, sq_s, NULL, (rat){0, 1}));
  spawn(mul, op_new(c3, cc, sq_c, NULL, (rat){0, 1}));
  spawn(add, op_new(sq_s, sq_c, sum, NULL, (rat){0, 1}));

  rat sv[TERMS], cv[TERMS], one[TERMS];
  /* Read all three outputs interleaved, as a program would. */
  for (int n = 0; n < TERMS; n++) {
    CHECK_EQ(goro_chan_recv(s1, &sv[n]), 1);
    CHECK_EQ(goro_chan_recv(c1, &cv[n]), 1);
    CHECK_EQ(goro_chan_recv(sum, &one[n]), 1);
  }
  for (int n = 0; n < TERMS; n++) {
    rat zero = {0, 1};
    rat t = fact_inv(n);
    if (n % 4 == 2 || n % 4 == 3)
      t.num = -t.num;
    CHECK(req(sv[n], n % 2 == 1 ? t : zero));
    CHECK(req(cv[n], n % 2 == 0 ? t : zero));
    CHECK(req(one[n], n == 0 ? (rat){1, 1} : zero));
  }
  goro_chan *all[] = {s,  c,  sfb0, sfb, cfb, s_out, c_out, s1,   s2,
                      s3, c1, c2,   c3,  ss,  cc,    sum,   sq_s, sq_c};
  /* Tear down from the consumers' ends. */
  goro_chan_close(s1);
  goro_chan_close(c1);
  goro_chan_close(sum);
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    goro_chan_release(all[i]);
  goro_wg_wait(&wg);
}

static void main_fn(void *arg) {
  test_exp();
  test_exp_squared();
  test_sin_cos();
}

int main(void) {
  CHECK_EQ(goro_run(main_fn, NULL), 0);
  return 0;
}
