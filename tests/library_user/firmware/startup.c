/* A minimal startup: a vector table with the stack and reset handler, .data and .bss set up, the FPU
 * switched on where the ABI uses it, main, and the exit status back to the debugger over semihosting. */
#include <stdint.h>

extern uint32_t _data_load[], _data_start[], _data_end[], _bss_start[], _bss_end[], _stack_top[];
int main(void);
void reset_handler(void);
static void fault_handler(void);

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))_stack_top, reset_handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler,
};

void semihosting_exit(int status)
{
    /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, status} */
    const uint32_t block[2] = {0x20026u, (uint32_t)status};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register const uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}

static void fault_handler(void)
{
    semihosting_exit(99);
}

void reset_handler(void)
{
    for (uint32_t *from = _data_load, *to = _data_start; to < _data_end;) {
        *to++ = *from++;
    }
    for (uint32_t *p = _bss_start; p < _bss_end;) {
        *p++ = 0;
    }
#if defined(__ARM_FP)
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;   /* CPACR: CP10 and CP11 full access */
    __asm__ volatile("dsb\n\tisb");
#endif
    semihosting_exit(main());
}
