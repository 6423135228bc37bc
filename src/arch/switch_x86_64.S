/*
 * switch_x86_64.S: the context switch for x86-64 System V (see context.h).
 *
 * Frame of a saved context, from the saved stack pointer upwards:
 *   0   MXCSR (4 bytes), x87 control word (2 bytes), 2 bytes padding
 *   8   r15   16 r14   24 r13   32 r12   40 rbx   48 rbp
 *   56  return address
 */
#if defined(__x86_64__)
        .text

/* void goro__ctx_switch(void **from, void *to)   rdi = from, rsi = to */
        .globl  goro__ctx_switch
        .hidden goro__ctx_switch
        .type   goro__ctx_switch, @function
        .p2align 4
goro__ctx_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   goro__ctx_switch, .-goro__ctx_switch

/* The first switch into a new context "returns" here, with the entry
 * function in r12 and rsp 16-byte aligned. The call pushes the return
 * address, so entry starts with rsp = 8 mod 16 as the ABI requires. */
        .globl  goro__ctx_trampoline
        .hidden goro__ctx_trampoline
        .type   goro__ctx_trampoline, @function
        .p2align 4
goro__ctx_trampoline:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        callq   *%r12
        ud2
        .cfi_endproc
        .size   goro__ctx_trampoline, .-goro__ctx_trampoline

        .section .note.GNU-stack,"",@progbits
#endif
