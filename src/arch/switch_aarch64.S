/*
 * switch_aarch64.S: the context switch for AAPCS64 (see context.h).
 *
 * A switch is an ordinary call, so only what AAPCS64 says a call preserves
 * is saved: x19-x28, the frame pointer x29, the link register x30, the low
 * 64 bits of v8-v15 (d8-d15) and FPCR (rounding mode, flush-to-zero, ...).
 * x18 is not saved: on Linux it is a temporary. FPSR (the sticky exception
 * flags) is status, not control, and is not saved either, like the MXCSR
 * flag bits on x86-64 are merely carried along.
 *
 * Frame of a saved context, from the saved stack pointer upwards (176 bytes,
 * a multiple of 16 as sp must be):
 *   0   x29  8   x30                   <- an ordinary AAPCS64 frame record
 *   16  x19  24  x20  32  x21  40  x22  48  x23  56  x24
 *   64  x25  72  x26  80  x27  88  x28
 *   96  d8   104 d9   112 d10  120 d11  128 d12  136 d13  144 d14  152 d15
 *   160 FPCR  168 padding
 * Because the frame starts with {fp, lr}, the saved stack pointer of a parked
 * context is itself a frame record: a frame-pointer walker (a goroutine
 * dump) can start there and follow x29 up the parked stack.
 * context_aarch64.c writes the same layout for a fresh context.
 *
 * FPCR is written only when the two contexts' values differ: they almost
 * never do, and on some cores an FPCR write stalls the pipeline.
 *
 * With -mbranch-protection (BTI), goro__ctx_switch starts with a landing pad
 * and the file carries the GNU property note, so linking it in does not turn
 * BTI off for the whole program. The trampoline needs no pad: it is only
 * reached by `ret`, which BTI does not check.
 */
#if defined(__aarch64__)

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define BTI_C hint 34 /* bti c; a no-op on cores without BTI */
#else
#define BTI_C
#endif

        .text

/* void goro__ctx_switch(void **from, void *to)   x0 = from, x1 = to */
        .globl  goro__ctx_switch
        .hidden goro__ctx_switch
        .type   goro__ctx_switch, %function
        .p2align 4
goro__ctx_switch:
        .cfi_startproc
        BTI_C
        stp     x29, x30, [sp, #-176]!
        .cfi_def_cfa_offset 176
        stp     x19, x20, [sp, #16]
        stp     x21, x22, [sp, #32]
        stp     x23, x24, [sp, #48]
        stp     x25, x26, [sp, #64]
        stp     x27, x28, [sp, #80]
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        .cfi_offset x29, -176
        .cfi_offset x30, -168
        .cfi_offset x19, -160
        .cfi_offset x20, -152
        .cfi_offset x21, -144
        .cfi_offset x22, -136
        .cfi_offset x23, -128
        .cfi_offset x24, -120
        .cfi_offset x25, -112
        .cfi_offset x26, -104
        .cfi_offset x27, -96
        .cfi_offset x28, -88
        .cfi_offset d8, -80
        .cfi_offset d9, -72
        .cfi_offset d10, -64
        .cfi_offset d11, -56
        .cfi_offset d12, -48
        .cfi_offset d13, -40
        .cfi_offset d14, -32
        .cfi_offset d15, -24

        /* The switch proper. From here on sp is the other context's, whose
         * frame has the same layout, so the CFI above stays true. */
        mov     x10, sp
        str     x10, [x0]
        mov     sp, x1

        ldr     x10, [sp, #160]
        cmp     x9, x10
        b.eq    1f
        msr     fpcr, x10
1:      ldp     x19, x20, [sp, #16]
        ldp     x21, x22, [sp, #32]
        ldp     x23, x24, [sp, #48]
        ldp     x25, x26, [sp, #64]
        ldp     x27, x28, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        ldp     x29, x30, [sp], #176
        /* The frame now lies below sp, where a signal handler may overwrite
         * it: tell the unwinder the registers hold their own values. */
        .cfi_restore x29
        .cfi_restore x30
        .cfi_restore x19
        .cfi_restore x20
        .cfi_restore x21
        .cfi_restore x22
        .cfi_restore x23
        .cfi_restore x24
        .cfi_restore x25
        .cfi_restore x26
        .cfi_restore x27
        .cfi_restore x28
        .cfi_restore d8
        .cfi_restore d9
        .cfi_restore d10
        .cfi_restore d11
        .cfi_restore d12
        .cfi_restore d13
        .cfi_restore d14
        .cfi_restore d15
        .cfi_def_cfa_offset 0
        ret
        .cfi_endproc
        .size   goro__ctx_switch, .-goro__ctx_switch

/* The first switch into a new context "returns" here, with the entry
 * function in x19, x29 = 0 and sp = the 16-byte aligned top of the stack.
 * entry is entered with lr = 0 as well, so a frame-pointer walk ends at its
 * frame record {0, 0} and a CFI unwinder stops at the undefined x30. The
 * jump goes through x16 because a BTI "bti c" landing pad accepts `br` only
 * from x16/x17. entry must never return; if it does, it returns to address
 * 0 and faults at once, as loudly as the ud2 on x86-64. */
        .globl  goro__ctx_trampoline
        .hidden goro__ctx_trampoline
        .type   goro__ctx_trampoline, %function
        .p2align 4
goro__ctx_trampoline:
        .cfi_startproc
        .cfi_undefined x30
        mov     x29, xzr
        mov     x30, xzr
        mov     x16, x19
        br      x16
        .cfi_endproc
        .size   goro__ctx_trampoline, .-goro__ctx_trampoline

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
/* GNU_PROPERTY_AARCH64_FEATURE_1_AND = 0xc0000000, BTI = bit 0. Nothing
 * here signs return addresses, so the PAC bit (bit 1) is not claimed. */
        .pushsection .note.gnu.property, "a"
        .p2align 3
        .word   4               /* name size ("GNU\0") */
        .word   16              /* descriptor size */
        .word   5               /* NT_GNU_PROPERTY_TYPE_0 */
        .asciz  "GNU"
        .word   0xc0000000      /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
        .word   4               /* property data size */
        .word   1               /* GNU_PROPERTY_AARCH64_FEATURE_1_BTI */
        .word   0               /* padding to 8 bytes */
        .popsection
#endif

#endif /* __aarch64__ */

/* Outside the #if: even the empty object this file becomes on other
 * architectures must not ask the linker for an executable stack. */
        .section .note.GNU-stack,"",%progbits
