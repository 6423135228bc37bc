/*
 * arch_switch.c: a standalone test of the context switch (src/arch/), with
 * no scheduler. Build it from this file and the .c and .S files of
 * src/arch/ (scripts/arch-test.sh does, natively and for aarch64 under
 * qemu).
 * Exits 0 on success; on failure prints the reason and exits 1.
 *
 * What it checks, in order:
 *  1. entry alignment: a fresh context's entry function gets an
 *     ABI-aligned stack (frame address, 16-byte aligned locals whose
 *     addresses the compiler cannot fold, vector and varargs code that faults
 *     or misbehaves on a misaligned stack) and a frame-pointer chain that
 *     ends there (saved fp 0; on aarch64 also saved lr 0).
 *  2. ring: 1,000,000 switches around main -> A -> B -> C -> main. A shared
 *     `turn` and per-context round counters prove every context runs exactly
 *     when it should, and each context's loop counter (a local on its own
 *     stack, or a callee-saved register) survives its switches.
 *  3. registers: probe() is a hand-written assembly function that loads known
 *     values into every callee-saved register (x86-64: rbx rbp r12-r15;
 *     aarch64: x19-x29 and d8-d15), calls goro__ctx_switch, and stores the
 *     registers to memory the moment the switch returns. Two contexts probe
 *     each other with different values, so a register the switch fails to
 *     restore shows up as the other context's value. Doing the load, the
 *     switch and the store in one assembly function keeps the compiler's own
 *     register allocation out of the picture.
 *  4. floating-point control: a fresh context starts with the ABI default
 *     control words even when its creator runs in another mode; one context
 *     rounds upward while the other rounds downward or to nearest, and each
 *     sees its own mode after every switch. Checked through fegetround(),
 *     the raw registers (MXCSR and the x87 control word separately on
 *     x86-64, FPCR on aarch64) and by rounding an inexact sum.
 * Throughout, stacks are pre-filled with garbage so zeros must come from
 * goro__ctx_make, and a canary above each stack's top checks that nothing
 * is written at or above top, and a crash (the usual symptom of a broken
 * switch) is reported with the name of the test that was running.
 */
#define _GNU_SOURCE /* sigaltstack */
#include "../src/arch/context.h"

#include <fenv.h>
#include <float.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "arch_switch.c: no register probe for this architecture"
#endif

/* ---- failing ------------------------------------------------------------- */

/* Writes without formatting: on a misaligned stack printf itself may fault,
 * so the failed condition goes out first through write(2). */
static void say(const char *text) {
  if (write(2, text, strlen(text)) < 0)
    return;
}

static GORO_NORETURN void failf(int line, const char *cond, const char *fmt,
                                ...) {
  char num[16], *p = num + sizeof num;
  *--p = 0;
  do
    *--p = (char)('0' + line % 10);
  while ((line /= 10) > 0);
  say("arch_switch: FAIL at line ");
  say(p);
  say(": ");
  say(cond);
  say(": ");
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      failf(__LINE__, #cond, __VA_ARGS__);                                     \
  } while (0)

/* Hides a pointer's provenance from the optimizer, so alignment checks on
 * it are done at run time instead of being folded to "aligned". */
static inline uintptr_t launder(const void *p) {
  uintptr_t v = (uintptr_t)p;
  __asm__ volatile("" : "+r"(v));
  return v;
}

/* ---- stacks -------------------------------------------------------------- */

enum { STACK_SIZE = 64 * 1024, CANARY_SIZE = 64 };

typedef struct stack {
  unsigned char *base; /* lowest address */
  unsigned char *top;  /* 16-byte aligned; CANARY_SIZE bytes of canary above */
} stack;

static stack stack_new(void) {
  stack s;
  s.base = aligned_alloc(16, STACK_SIZE);
  CHECK(s.base != NULL, "out of memory");
  memset(s.base, 0xA5, STACK_SIZE); /* garbage: zeros must come from make */
  s.top = s.base + STACK_SIZE - CANARY_SIZE;
  memset(s.top, 0x5C, CANARY_SIZE);
  return s;
}

static void stack_check(const stack *s, const char *what) {
  for (int i = 0; i < CANARY_SIZE; i++)
    CHECK(s->top[i] == 0x5C, "%s: byte %d above top overwritten", what, i);
}

static void stack_free(stack *s) {
  free(s->base);
  s->base = s->top = NULL;
}

static void *make(const stack *s, void (*entry)(void), const char *what) {
  void *ctx = goro__ctx_make(s->top, entry);
  CHECK((unsigned char *)ctx >= s->base && (unsigned char *)ctx < s->top,
        "%s: context %p outside its stack [%p, %p)", what, ctx, (void *)s->base,
        (void *)s->top);
  stack_check(s, what);
  return ctx;
}

static void check_on_stack(const stack *s, const void *p, const char *what) {
  uintptr_t a = launder(p);
  CHECK(a >= (uintptr_t)s->base && a < (uintptr_t)s->top,
        "%s: local at %p is not on the context's stack [%p, %p)", what, p,
        (void *)s->base, (void *)s->top);
}

static void *main_ctx; /* the saved main context, whoever switched away */

/* ---- ring ---------------------------------------------------------------- */

enum { NRING = 3, ROUNDS = 250000 }; /* (NRING + 1) * ROUNDS = 1,000,000 */

static void *ring_ctx[NRING];
static stack ring_stack[NRING];
static int turn;                /* who runs next: 0..NRING-1, NRING = main */
static long ring_rounds[NRING]; /* rounds each context has completed */
static long ring_switches;

static void ring_run(int me) {
  int marker = me;
  check_on_stack(&ring_stack[me], &marker, "ring");
  for (long r = 0;; r++) {
    CHECK(turn == me, "context %d resumed on %d's turn (round %ld)", me, turn,
          r);
    CHECK(ring_rounds[me] == r, "context %d: counter %ld, expected %ld", me,
          ring_rounds[me], r);
    /* Everyone before me in the ring has done this round, nobody after me. */
    for (int i = 0; i < NRING; i++)
      CHECK(ring_rounds[i] == (i < me ? r + 1 : r),
            "context %d in round %ld: context %d has done %ld rounds", me, r, i,
            ring_rounds[i]);
    ring_rounds[me]++;
    int next = me + 1;
    turn = next;
    ring_switches++;
    goro__ctx_switch(&ring_ctx[me], next == NRING ? main_ctx : ring_ctx[next]);
  }
}
static void ring0(void) { ring_run(0); }
static void ring1(void) { ring_run(1); }
static void ring2(void) { ring_run(2); }

static void test_ring(void) {
  void (*entries[NRING])(void) = {ring0, ring1, ring2};
  for (int i = 0; i < NRING; i++) {
    ring_stack[i] = stack_new();
    ring_ctx[i] = make(&ring_stack[i], entries[i], "ring");
  }
  turn = NRING;
  for (long r = 0; r < ROUNDS; r++) {
    CHECK(turn == NRING, "main resumed on %d's turn", turn);
    turn = 0;
    ring_switches++;
    goro__ctx_switch(&main_ctx, ring_ctx[0]);
    CHECK(turn == NRING, "main resumed on %d's turn (round %ld)", turn, r);
    for (int i = 0; i < NRING; i++)
      CHECK(ring_rounds[i] == r + 1, "after round %ld context %d did %ld", r, i,
            ring_rounds[i]);
  }
  CHECK(ring_switches == (long)(NRING + 1) * ROUNDS, "%ld switches",
        ring_switches);
  for (int i = 0; i < NRING; i++) {
    stack_check(&ring_stack[i], "ring");
    stack_free(&ring_stack[i]); /* parked forever, never resumed */
  }
}

/* ---- callee-saved registers -------------------------------------------------
 *
 * void probe(void **from, void *to, uint64_t pattern, uint64_t *out)
 *   Saves the callee-saved registers (it is an ABI-abiding function itself),
 *   loads pattern + i into GPR number i and, on aarch64, pattern + 0x80 + j
 *   into d8+j, calls goro__ctx_switch(from, to), and when that returns
 *   stores the same registers into out[] in the same order.
 */
void probe(void **from, void *to, uint64_t pattern, uint64_t *out) GORO_HIDDEN;

#if defined(__x86_64__)
enum { NGPR = 6, NFPR = 0 }; /* rbx rbp r12 r13 r14 r15 */
__asm__(
    "        .text\n"
    "        .globl  probe\n"
    "        .hidden probe\n"
    "        .type   probe, @function\n"
    "        .p2align 4\n"
    "probe:                       # rdi from, rsi to, rdx pattern, rcx out\n"
    "        pushq   %rbp\n"
    "        pushq   %rbx\n"
    "        pushq   %r12\n"
    "        pushq   %r13\n"
    "        pushq   %r14\n"
    "        pushq   %r15\n"
    "        pushq   %rcx\n" /* 7 pushes: rsp is 16-aligned for the call */
    "        leaq    0(%rdx), %rbx\n"
    "        leaq    1(%rdx), %rbp\n"
    "        leaq    2(%rdx), %r12\n"
    "        leaq    3(%rdx), %r13\n"
    "        leaq    4(%rdx), %r14\n"
    "        leaq    5(%rdx), %r15\n"
    "        call    goro__ctx_switch\n"
    "        popq    %rcx\n"
    "        movq    %rbx, 0(%rcx)\n"
    "        movq    %rbp, 8(%rcx)\n"
    "        movq    %r12, 16(%rcx)\n"
    "        movq    %r13, 24(%rcx)\n"
    "        movq    %r14, 32(%rcx)\n"
    "        movq    %r15, 40(%rcx)\n"
    "        popq    %r15\n"
    "        popq    %r14\n"
    "        popq    %r13\n"
    "        popq    %r12\n"
    "        popq    %rbx\n"
    "        popq    %rbp\n"
    "        ret\n"
    "        .size   probe, .-probe\n");
static const char *const reg_names[] = {"rbx", "rbp", "r12",
                                        "r13", "r14", "r15"};
#elif defined(__aarch64__)
enum { NGPR = 11, NFPR = 8 }; /* x19-x29, d8-d15 */
__asm__("        .text\n"
        "        .globl  probe\n"
        "        .hidden probe\n"
        "        .type   probe, %function\n"
        "        .p2align 4\n"
        "probe:                       // x0 from, x1 to, x2 pattern, x3 out\n"
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
        "        hint    34\n" /* bti c */
#endif
        "        stp     x29, x30, [sp, #-176]!\n"
        "        stp     x19, x20, [sp, #16]\n"
        "        stp     x21, x22, [sp, #32]\n"
        "        stp     x23, x24, [sp, #48]\n"
        "        stp     x25, x26, [sp, #64]\n"
        "        stp     x27, x28, [sp, #80]\n"
        "        stp     d8, d9, [sp, #96]\n"
        "        stp     d10, d11, [sp, #112]\n"
        "        stp     d12, d13, [sp, #128]\n"
        "        stp     d14, d15, [sp, #144]\n"
        "        str     x3, [sp, #160]\n"
        "        add     x19, x2, #0\n"
        "        add     x20, x2, #1\n"
        "        add     x21, x2, #2\n"
        "        add     x22, x2, #3\n"
        "        add     x23, x2, #4\n"
        "        add     x24, x2, #5\n"
        "        add     x25, x2, #6\n"
        "        add     x26, x2, #7\n"
        "        add     x27, x2, #8\n"
        "        add     x28, x2, #9\n"
        "        add     x29, x2, #10\n"
        "        add     x9, x2, #0x80\n"
        "        fmov    d8, x9\n"
        "        add     x9, x2, #0x81\n"
        "        fmov    d9, x9\n"
        "        add     x9, x2, #0x82\n"
        "        fmov    d10, x9\n"
        "        add     x9, x2, #0x83\n"
        "        fmov    d11, x9\n"
        "        add     x9, x2, #0x84\n"
        "        fmov    d12, x9\n"
        "        add     x9, x2, #0x85\n"
        "        fmov    d13, x9\n"
        "        add     x9, x2, #0x86\n"
        "        fmov    d14, x9\n"
        "        add     x9, x2, #0x87\n"
        "        fmov    d15, x9\n"
        "        bl      goro__ctx_switch\n"
        "        ldr     x3, [sp, #160]\n"
        "        stp     x19, x20, [x3, #0]\n"
        "        stp     x21, x22, [x3, #16]\n"
        "        stp     x23, x24, [x3, #32]\n"
        "        stp     x25, x26, [x3, #48]\n"
        "        stp     x27, x28, [x3, #64]\n"
        "        str     x29, [x3, #80]\n"
        "        stp     d8, d9, [x3, #88]\n"
        "        stp     d10, d11, [x3, #104]\n"
        "        stp     d12, d13, [x3, #120]\n"
        "        stp     d14, d15, [x3, #136]\n"
        "        ldp     x19, x20, [sp, #16]\n"
        "        ldp     x21, x22, [sp, #32]\n"
        "        ldp     x23, x24, [sp, #48]\n"
        "        ldp     x25, x26, [sp, #64]\n"
        "        ldp     x27, x28, [sp, #80]\n"
        "        ldp     d8, d9, [sp, #96]\n"
        "        ldp     d10, d11, [sp, #112]\n"
        "        ldp     d12, d13, [sp, #128]\n"
        "        ldp     d14, d15, [sp, #144]\n"
        "        ldp     x29, x30, [sp], #176\n"
        "        ret\n"
        "        .size   probe, .-probe\n");
static const char *const reg_names[] = {
    "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
    "x29", "d8",  "d9",  "d10", "d11", "d12", "d13", "d14", "d15"};
#endif

enum { NREGS = NGPR + NFPR, PROBES = 64 };

static uint64_t expected_reg(uint64_t pattern, int i) {
  return i < NGPR ? pattern + (uint64_t)i
                  : pattern + 0x80 + (uint64_t)(i - NGPR);
}

static void check_regs(const char *who, int round, uint64_t pattern,
                       const uint64_t *out) {
  for (int i = 0; i < NREGS; i++)
    CHECK(out[i] == expected_reg(pattern, i),
          "%s, probe %d: %s = %#llx after the switch, expected %#llx", who,
          round, reg_names[i], (unsigned long long)out[i],
          (unsigned long long)expected_reg(pattern, i));
}

/* Distinct per context and per round; low byte free for the + i. */
static uint64_t pattern_main(int r) {
  return 0x1111000000000000ULL | (uint64_t)r << 16;
}
static uint64_t pattern_other(int r) {
  return 0x2222000000000000ULL | (uint64_t)r << 16;
}

static void *regs_ctx;
static stack regs_stack;
static int regs_other_checked;

static void regs_entry(void) {
  uint64_t out[NREGS];
  for (int r = 0; r < PROBES; r++) {
    probe(&regs_ctx, main_ctx, pattern_other(r), out);
    check_regs("fresh context", r, pattern_other(r), out);
    regs_other_checked++;
  }
  goro__ctx_switch(&regs_ctx, main_ctx);
  CHECK(0, "a finished context was resumed");
}

static void test_registers(void) {
  uint64_t out[NREGS];
  regs_stack = stack_new();
  regs_ctx = make(&regs_stack, regs_entry, "registers");
  /* Every switch but the first (into the fresh context) and the last goes
   * from one probe to the other. */
  for (int r = 0; r < PROBES; r++) {
    probe(&main_ctx, regs_ctx, pattern_main(r), out);
    check_regs("main", r, pattern_main(r), out);
    CHECK(regs_other_checked == r, "other context checked %d, expected %d",
          regs_other_checked, r);
  }
  goro__ctx_switch(&main_ctx, regs_ctx);
  CHECK(regs_other_checked == PROBES, "other context checked %d of %d",
        regs_other_checked, PROBES);
  stack_check(&regs_stack, "registers");
  stack_free(&regs_stack);
}

/* ---- floating-point control ---------------------------------------------- */

/* Which way the current mode rounds, found by rounding inexact results:
 * 1 + eps/4 rounds up only upward; 1 - eps/4 is a tie that nearest-even
 * rounds to 1, and rounds below 1 downward. */
static int double_rounding(void) {
  volatile double one = 1.0, tiny = DBL_EPSILON / 4;
  volatile double sum = one + tiny, diff = one - tiny;
  if (sum > 1.0)
    return FE_UPWARD;
  return diff < 1.0 ? FE_DOWNWARD : FE_TONEAREST;
}

static const char *mode_name(int m) {
  switch (m) {
  case FE_TONEAREST:
    return "to-nearest";
  case FE_UPWARD:
    return "upward";
  case FE_DOWNWARD:
    return "downward";
  case FE_TOWARDZERO:
    return "toward-zero";
  default:
    return "?";
  }
}

#if defined(__x86_64__)
static unsigned read_mxcsr(void) {
  unsigned v;
  __asm__ volatile("stmxcsr %0" : "=m"(v));
  return v;
}
static unsigned short read_x87cw(void) {
  unsigned short v;
  __asm__ volatile("fnstcw %0" : "=m"(v));
  return v;
}
static void write_x87cw(unsigned short v) {
  __asm__ volatile("fldcw %0" : : "m"(v));
}
/* The same test on the x87 unit (long double is x87 on x86-64). */
static int x87_rounding(void) {
  volatile long double one = 1.0L, tiny = LDBL_EPSILON / 4;
  volatile long double sum = one + tiny, diff = one - tiny;
  if (sum > 1.0L)
    return FE_UPWARD;
  return diff < 1.0L ? FE_DOWNWARD : FE_TONEAREST;
}
enum {
  MXCSR_FLAGS = 0x3F,     /* sticky exception flags: status, not mode */
  MXCSR_DEFAULT = 0x1F80, /* all exceptions masked, round to nearest */
  X87CW_DEFAULT = 0x037F, /* all masked, extended precision, nearest */
  X87CW_RC = 0x0C00,
  X87CW_PC = 0x0300,
  X87CW_PC_DOUBLE = 0x0200, /* the fresh context changes precision too */
};
static unsigned mxcsr_rc(int mode) {
  return mode == FE_UPWARD ? 0x4000 : mode == FE_DOWNWARD ? 0x2000 : 0;
}
static unsigned x87_rc(int mode) {
  return mode == FE_UPWARD ? 0x0800 : mode == FE_DOWNWARD ? 0x0400 : 0;
}
#elif defined(__aarch64__)
static uint64_t read_fpcr(void) {
  uint64_t v;
  __asm__ volatile("mrs %0, fpcr" : "=r"(v));
  return v;
}
static void write_fpcr(uint64_t v) {
  __asm__ volatile("msr fpcr, %0" : : "r"(v));
}
enum { FPCR_FZ = 1 << 24 }; /* the fresh context sets flush-to-zero too */
static uint64_t fpcr_rmode(int mode) {
  return (uint64_t)(mode == FE_UPWARD ? 1 : mode == FE_DOWNWARD ? 2 : 0) << 22;
}
#endif

/* Checks that the running context is in `mode`, by every available means.
 * other_bits: whether this is the fresh context, which also changed x87
 * precision (x86-64) or flush-to-zero (aarch64) to prove the whole control
 * word moves with the context, not only the rounding bits. */
static void check_fp_mode(const char *who, int mode, bool other_bits) {
  int got = fegetround();
  CHECK(got == mode, "%s: fegetround() says %s, expected %s", who,
        mode_name(got), mode_name(mode));
  got = double_rounding();
  CHECK(got == mode, "%s: doubles round %s, expected %s", who, mode_name(got),
        mode_name(mode));
#if defined(__x86_64__)
  unsigned mx = read_mxcsr() & ~MXCSR_FLAGS;
  CHECK(mx == ((MXCSR_DEFAULT & ~0x6000u) | mxcsr_rc(mode)),
        "%s: MXCSR %#x, expected rounding %s", who, mx, mode_name(mode));
  unsigned cw = read_x87cw();
  unsigned want = (X87CW_DEFAULT & ~(X87CW_RC | X87CW_PC)) | x87_rc(mode) |
                  (other_bits ? X87CW_PC_DOUBLE : (X87CW_DEFAULT & X87CW_PC));
  CHECK(cw == want, "%s: x87 control word %#x, expected %#x", who, cw, want);
  got = x87_rounding();
  CHECK(got == mode, "%s: long doubles (x87) round %s, expected %s", who,
        mode_name(got), mode_name(mode));
#elif defined(__aarch64__)
  uint64_t fpcr = read_fpcr();
  uint64_t want = fpcr_rmode(mode) | (other_bits ? FPCR_FZ : 0);
  CHECK(fpcr == want, "%s: FPCR %#llx, expected %#llx", who,
        (unsigned long long)fpcr, (unsigned long long)want);
#endif
}

static void *fp_ctx;
static stack fp_stack;
static int fp_step;

static void fp_entry(void) {
  /* Main switched here while rounding downward: a fresh context must start
   * with the ABI defaults regardless. */
  CHECK(fp_step == 1, "step %d", fp_step);
#if defined(__x86_64__)
  CHECK((read_mxcsr() & ~MXCSR_FLAGS) == MXCSR_DEFAULT,
        "fresh context: MXCSR %#x, expected %#x", read_mxcsr(), MXCSR_DEFAULT);
  CHECK(read_x87cw() == X87CW_DEFAULT,
        "fresh context: x87 control word %#x, expected %#x", read_x87cw(),
        X87CW_DEFAULT);
#elif defined(__aarch64__)
  CHECK(read_fpcr() == 0, "fresh context: FPCR %#llx, expected 0",
        (unsigned long long)read_fpcr());
#endif
  check_fp_mode("fresh context at entry", FE_TONEAREST, false);

  CHECK(fesetround(FE_UPWARD) == 0, "fesetround(FE_UPWARD) failed");
#if defined(__x86_64__)
  write_x87cw((unsigned short)((read_x87cw() & ~X87CW_PC) | X87CW_PC_DOUBLE));
#elif defined(__aarch64__)
  write_fpcr(read_fpcr() | FPCR_FZ);
#endif
  check_fp_mode("fresh context after fesetround", FE_UPWARD, true);

  fp_step = 2;
  goro__ctx_switch(&fp_ctx, main_ctx);
  CHECK(fp_step == 3, "step %d", fp_step);
  check_fp_mode("fresh context after switching back", FE_UPWARD, true);

  fp_step = 4;
  goro__ctx_switch(&fp_ctx, main_ctx);
  CHECK(0, "a finished context was resumed");
}

static void test_fp_control(void) {
  fp_stack = stack_new();
  fp_ctx = make(&fp_stack, fp_entry, "fp");

  CHECK(fesetround(FE_DOWNWARD) == 0, "fesetround(FE_DOWNWARD) failed");
  check_fp_mode("main before the first switch", FE_DOWNWARD, false);
  fp_step = 1;
  goro__ctx_switch(&main_ctx, fp_ctx);
  CHECK(fp_step == 2, "step %d", fp_step);
  check_fp_mode("main after the other context went upward", FE_DOWNWARD, false);

  CHECK(fesetround(FE_TONEAREST) == 0, "fesetround(FE_TONEAREST) failed");
  fp_step = 3;
  goro__ctx_switch(&main_ctx, fp_ctx);
  CHECK(fp_step == 4, "step %d", fp_step);
  check_fp_mode("main, back to nearest", FE_TONEAREST, false);

  stack_check(&fp_stack, "fp");
  stack_free(&fp_stack);
}

/* ---- stack alignment at entry -------------------------------------------- */

static void *align_ctx;
static stack align_stack;
static bool align_ran;

typedef float v4sf __attribute__((vector_size(16)));

/* Vector code on 16-byte aligned stack slots: x86-64 compilers use movaps,
 * which faults on a misaligned address; aarch64 faults on any access
 * through a misaligned sp. */
static GORO_NOINLINE void use_vectors(void) {
  v4sf a[4], b[4];
  volatile float seed = 1.5f;
  for (int i = 0; i < 4; i++)
    a[i] = (v4sf){seed * (float)i, seed, seed + 1, seed * 2};
  CHECK(launder(a) % 16 == 0 && launder(b) % 16 == 0,
        "vector locals at %p and %p are not 16-byte aligned", (void *)a,
        (void *)b);
  memcpy((void *)launder(b), (void *)launder(a), sizeof a);
  v4sf s = b[0] + b[1] + b[2] + b[3];
  CHECK(s[0] == 9.0f && s[1] == 6.0f && s[2] == 10.0f && s[3] == 12.0f,
        "vector sum {%g, %g, %g, %g}", (double)s[0], (double)s[1], (double)s[2],
        (double)s[3]);
}

#if defined(__aarch64__)
/* With -mbranch-protection=pac-ret a function signs lr before saving it, so
 * even a zero lr is saved with a pointer-authentication code in its top
 * bits. xpaclri (a no-op on cores without PAC) removes it from x30. */
static void *strip_pac(void *p) {
  register void *lr __asm__("x30") = p;
  __asm__("hint #7" : "+r"(lr)); /* xpaclri */
  return lr;
}
#endif

static void align_entry(void) {
  void **frame = __builtin_frame_address(0);
  /* x86-64: frame = rsp at entry - 8, and the ABI wants rsp = 8 mod 16 at
   * entry. aarch64: frame is a frame record on the 16-byte aligned sp. */
  CHECK(launder(frame) % 16 == 0, "frame address %p not 16-byte aligned",
        (void *)frame);
  check_on_stack(&align_stack, frame, "align");
  /* The frame record: the caller's frame pointer, then the return address. */
  CHECK(frame[0] == NULL, "saved frame pointer %p, expected NULL", frame[0]);
#if defined(__aarch64__)
  CHECK(strip_pac(frame[1]) == NULL, "saved link register %p, expected NULL",
        frame[1]);
#endif

  __attribute__((aligned(16))) unsigned char buf[32] = {0};
  long double ld = 1.25L;
  volatile long double *ldp = &ld;
  CHECK(launder(buf) % 16 == 0, "aligned(16) local at %p", (void *)buf);
  CHECK(launder(&ld) % _Alignof(long double) == 0, "long double local at %p",
        (void *)&ld);
  check_on_stack(&align_stack, buf, "align");
  memset((void *)launder(buf), 0x42, sizeof buf);
  CHECK(buf[0] == 0x42 && buf[31] == 0x42, "memset of an aligned local");

  use_vectors();

  /* Varargs with floating point: glibc's printf family spills vector
   * registers with aligned stores, and formats through long double. */
  char text[64];
  snprintf(text, sizeof text, "%f %.2Lf %g", 0.5, *ldp, 1e300 * 10);
  CHECK(strcmp(text, "0.500000 1.25 1e+301") == 0, "snprintf gave \"%s\"",
        text);

  align_ran = true;
  goro__ctx_switch(&align_ctx, main_ctx);
  CHECK(0, "a finished context was resumed");
}

static void test_alignment(void) {
  align_stack = stack_new();
  align_ctx = make(&align_stack, align_entry, "align");
  goro__ctx_switch(&main_ctx, align_ctx);
  CHECK(align_ran, "entry did not run");
  stack_check(&align_stack, "align");
  stack_free(&align_stack);
}

/* -------------------------------------------------------------------------- */

static const struct {
  const char *name;
  void (*run)(void);
  const char *passed;
} tests[] = {
    /* Alignment first: every other test relies on it, and a misaligned
     * stack there crashes in ways that say less. */
    {"alignment", test_alignment, "entry stack aligned, frame chain ends"},
    {"ring", test_ring, "1,000,000 switches in order"},
    {"registers", test_registers,
     "callee-saved registers survive every switch, both ways"},
    {"fp control", test_fp_control,
     "rounding modes and control words stay per context"},
};

#if defined(__x86_64__)
static const char arch[] = "x86_64";
#else
static const char arch[] = "aarch64";
#endif

/* A broken switch usually crashes rather than fails a CHECK: say which
 * test crashed, from an alternate stack since the context's may be bad. */
static const char *volatile current_test = "setup";

static void on_crash(int sig) {
  const char *name = sig == SIGSEGV  ? "SIGSEGV"
                     : sig == SIGBUS ? "SIGBUS"
                     : sig == SIGILL ? "SIGILL"
                     : sig == SIGFPE ? "SIGFPE"
                                     : "SIGTRAP";
  say("\narch_switch: FAIL: ");
  say(name);
  say(" during the ");
  say(current_test);
  say(" test\n");
  _exit(1);
}

static void catch_crashes(void) {
  static unsigned char altstack[64 * 1024];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
  CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack failed");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    CHECK(sigaction(sigs[i], &sa, NULL) == 0, "sigaction failed");
}

int main(void) {
  catch_crashes();
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
    current_test = tests[i].name;
    tests[i].run();
    printf("arch_switch (%s): %s: %s\n", arch, tests[i].name, tests[i].passed);
    fflush(stdout);
  }
  printf("arch_switch (%s): ok\n", arch);
  return 0;
}
