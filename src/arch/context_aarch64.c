/*
 * context_aarch64.c: lays out a fresh context for switch_aarch64.S.
 *
 * The fresh context is a 176-byte frame exactly like the one ctx_switch
 * pushes (layout in switch_aarch64.S), placed right below the stack top:
 *   x29 = 0, x30 = goro__ctx_trampoline, x19 = entry, FPCR = 0, the rest 0.
 * The first switch to it pops that frame and "returns" into the trampoline
 * with sp = top, which jumps to entry with fp = lr = 0. AAPCS64 wants sp
 * 16-byte aligned at every public interface; top is, and 176 is a multiple
 * of 16. FPCR = 0 is the ABI default: round to nearest, no flush-to-zero, no
 * default NaN, all exception traps off.
 *
 * Nothing is written at or above top.
 */
#if defined(__aarch64__)
#include "context.h"

#include <string.h>

void goro__ctx_trampoline(void) GORO_HIDDEN;

/* Slots of the saved frame, in 8-byte words (see switch_aarch64.S). */
enum {
  FRAME_X29 = 0,
  FRAME_X30 = 1,
  FRAME_X19 = 2,
  FRAME_FPCR = 20,
  FRAME_WORDS = 22, /* 176 bytes */
};

void *goro__ctx_make(void *top, void (*entry)(void)) {
  uint64_t *sp = (uint64_t *)((uintptr_t)top & ~(uintptr_t)15) - FRAME_WORDS;
  memset(sp, 0, FRAME_WORDS * sizeof(uint64_t));
  sp[FRAME_X29] = 0; /* the frame-pointer chain ends here */
  sp[FRAME_X30] = (uint64_t)(uintptr_t)goro__ctx_trampoline;
  sp[FRAME_X19] = (uint64_t)(uintptr_t)entry;
  sp[FRAME_FPCR] = 0;
  return sp;
}
#endif
