/*
 * context.h: the contract of the context switch. One assembly file per ABI
 * implements it (switch_x86_64.S, switch_aarch64.S).
 *
 * A context is a stack pointer. Switching away pushes the callee-saved state
 * of the running context onto its own stack, stores the stack pointer, loads
 * the other context's stack pointer and pops its state. Only what the ABI
 * says a call preserves is saved, which is why a switch is a plain call:
 *
 *   x86-64 SysV  rbx rbp r12-r15, MXCSR, x87 control word       (64 bytes)
 *   aarch64      x19-x28, x29 (fp), x30 (lr), d8-d15, FPCR      (176 bytes)
 *
 * No signal mask is saved (no system call on a switch) and nothing is saved
 * for caller-saved registers: the C compiler already assumes the call
 * clobbers them.
 *
 * goro__ctx_switch(from, to) stores the running context in *from and resumes
 * `to`. It returns when some other context switches back to *from.
 *
 * goro__ctx_make(top, entry) lays out a fresh context on the stack ending at
 * `top` (16-byte aligned, grows down) so that the first switch to it calls
 * entry() on that stack with an ABI-conforming stack alignment, with a
 * zeroed frame pointer and return address (backtraces end there). entry must
 * never return. The floating-point control words start at the ABI defaults.
 */
#ifndef GORO_ARCH_CONTEXT_H
#define GORO_ARCH_CONTEXT_H

#include "../internal.h"

GORO_HIDDEN void goro__ctx_switch(void **from, void *to);
GORO_HIDDEN void *goro__ctx_make(void *top, void (*entry)(void));

#endif
