/*
 * Cortex-M startup for every tinyforge board: vector table, Reset_Handler and
 * a fault handler that reports over the console. ARMv7-M (Cortex-M3) is the
 * baseline: nothing here needs DSP, FPU or ARMv8-M instructions; the FPU is
 * only switched on when the build uses the hard-float ABI.
 */
#include <stdint.h>

#include "board.h"
#include "tinyforge/console.h"
#include "tinyforge/semihost.h"

/* Pattern painted over the unused stack so the peak can be measured after a
 * run (codegen/verify/emulator/core.py STACK_PAINT must match). Not a byte-repeated
 * value, so GCC never turns the paint loop into a memset call. */
#define TF_STACK_PAINT 0xDEADBEEFu

/* Symbols from templates/linker.ld.j2. */
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
extern uint32_t _stack_bottom[], _stack_top[];
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

int main(void);

void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

/* ARMv7-M ARM §B1.5.3: word 0 is the initial MSP, then exception vectors
 * 1..15 (Thumb addresses). Device IRQs are not used, so the table stops at
 * SysTick; the core only reads entries for exceptions that happen. */
__attribute__((section(".isr_vector"), used))
void (*const tf_vector_table[16])(void) = {
    (void (*)(void))_stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,            /* reserved */
    SVC_Handler,
    DebugMon_Handler,
    0,                     /* reserved */
    PendSV_Handler,
    SysTick_Handler,
};

/* The paint loop must not become a library call: its callee's frame would sit
 * below SP, inside the region being painted. */
/* CPACR (ARMv7-M ARM §B3.2.20; ARMv8-M the same at 0xE000ED88): the FPU
 * resets with CP10/CP11 denied, and the first FP instruction would then be a
 * NOCP UsageFault. Builds for the hard-float ABI (__ARM_FP set by -mfpu) grant
 * full access before anything else runs; DSB/ISB make it take effect before
 * the next instruction. On ARMv8-M this runs in the Secure state the core
 * resets into, so it sets CPACR_S; NSACR only matters for Non-secure code. */
#define SCB_CPACR BOARD_REG32(0xE000ED88u)
#define CPACR_CP10_CP11_FULL (0xFu << 20)

#if BOARD_ENABLE_CACHES
/* Cortex-M7 L1 caches (ARMv7-M ARM §B2.2.7 and the Cortex-M7 TRM §4.1): both reset disabled and with
 * undefined contents, so invalidate them before CCR.IC / CCR.DC switch them on. The D-cache is invalidated
 * line by line by set and way (DCISW), from the geometry in CCSIDR: 32-byte lines put the set number at
 * bit 5, and 4 ways put the way number at bit 30. */
#define SCB_CCR     BOARD_REG32(0xE000ED14u)
#define SCB_CCSIDR  BOARD_REG32(0xE000ED80u)
#define SCB_CSSELR  BOARD_REG32(0xE000ED84u)
#define SCB_ICIALLU BOARD_REG32(0xE000EF50u)
#define SCB_DCISW   BOARD_REG32(0xE000EF60u)
#define SCB_CCR_DC  (1u << 16)
#define SCB_CCR_IC  (1u << 17)

static void enable_caches(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    SCB_ICIALLU = 0u;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    SCB_CCR |= SCB_CCR_IC;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    SCB_CSSELR = 0u;                               /* level 1 data cache */
    __asm__ volatile("dsb" ::: "memory");
    const uint32_t ccsidr = SCB_CCSIDR;
    const uint32_t sets = (ccsidr >> 13) & 0x7FFFu;  /* NumSets - 1 */
    const uint32_t ways = (ccsidr >> 3) & 0x3FFu;    /* Associativity - 1 */
    for (uint32_t set = 0; set <= sets; ++set) {
        for (uint32_t way = 0; way <= ways; ++way) {
            SCB_DCISW = (set << 5) | (way << 30);
        }
    }
    __asm__ volatile("dsb" ::: "memory");
    SCB_CCR |= SCB_CCR_DC;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}
#endif

__attribute__((noreturn, optimize("no-tree-loop-distribute-patterns")))
void Reset_Handler(void)
{
#if defined(__ARM_FP)
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
#if BOARD_ENABLE_CACHES
    enable_caches();
#endif
    uint32_t *src = _sidata;
    for (uint32_t *dst = _sdata; dst < _edata; ) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = _sbss; dst < _ebss; ) {
        *dst++ = 0u;
    }

    /* Paint from the bottom of the stack up to (not including) this
     * function's own frame, which lives above the current SP. */
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = _stack_bottom; p < sp; ) {
        *p++ = TF_STACK_PAINT;
    }

    board_clock_init();

    for (void (**ctor)(void) = __init_array_start; ctor < __init_array_end; ctor++) {
        (*ctor)();
    }

    semihost_exit(main());
}

void Default_Handler(void)
{
    console_puts("Unexpected exception");
    console_newline();
    semihost_exit(3);
}

/* ARMv7-M system control block fault status registers (ARMv7-M ARM §B3.2.15,
 * §B3.2.16). */
#define SCB_CFSR BOARD_REG32(0xE000ED28u)
#define SCB_HFSR BOARD_REG32(0xE000ED2Cu)

__attribute__((used, noreturn)) void tf_fault_report(const uint32_t *frame)
{
    /* Exception frame (ARMv7-M ARM §B1.5.6): r0 r1 r2 r3 r12 lr pc xpsr. */
    console_init();
    console_puts("HardFault: CFSR=0x");
    console_put_hex32(SCB_CFSR);
    console_puts(" HFSR=0x");
    console_put_hex32(SCB_HFSR);
    console_puts(" PC=0x");
    console_put_hex32(frame[6]);
    console_newline();
    semihost_exit(3);
}

/* Naked so no prologue disturbs SP before we find the frame: EXC_RETURN bit 2
 * in LR says whether the faulting code stacked on MSP (0) or PSP (1). */
__attribute__((naked)) void HardFault_Handler(void)
{
#if defined(__ARM_ARCH_6M__)
    /* ARMv6-M has neither TST with an immediate nor IT blocks, and B reaches only +-2 KB. */
    __asm__ volatile(
        "movs r1, #4     \n"
        "mov r2, lr      \n"
        "tst r2, r1      \n"
        "bne 1f          \n"
        "mrs r0, msp     \n"
        "ldr r1, =tf_fault_report\n"
        "bx r1           \n"
        "1:              \n"
        "mrs r0, psp     \n"
        "ldr r1, =tf_fault_report\n"
        "bx r1           \n"
        ".ltorg          \n");
#else
    __asm__ volatile(
        "tst lr, #4      \n"
        "ite eq          \n"
        "mrseq r0, msp   \n"
        "mrsne r0, psp   \n"
        "b tf_fault_report\n");
#endif
}
