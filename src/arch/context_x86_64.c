/* context_x86_64.c: lays out a fresh context for switch_x86_64.S. */
#if defined(__x86_64__)
#include "context.h"

#include <string.h>

void goro__ctx_trampoline(void) GORO_HIDDEN;

void *goro__ctx_make(void *top, void (*entry)(void)) {
  /* 16 bytes of zeros above the frame: a null return address for
   * backtraces. Below them, the 64-byte frame that ctx_switch pops; after
   * its ret, rsp = top - 16, which is 16-byte aligned. */
  uint64_t *sp = (uint64_t *)((uintptr_t)top & ~(uintptr_t)15) - 2 - 8;
  memset(sp, 0, 10 * sizeof(uint64_t));
  ((uint32_t *)sp)[0] = 0x1F80;         /* MXCSR: all exceptions masked */
  ((uint16_t *)sp)[2] = 0x037F;         /* x87 CW: default precision, masked */
  sp[4] = (uint64_t)(uintptr_t)entry;   /* r12 */
  sp[7] = (uint64_t)(uintptr_t)goro__ctx_trampoline; /* return address */
  return sp;
}
#endif
