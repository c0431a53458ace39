/* Uses the FPU from main(): prints a float product through the console. With
 * -DDISABLE_FPU_FIRST it first revokes CP10/CP11 access in CPACR, so the FP
 * instruction that follows must fault (NOCP) as it would on the chip. */
#include <stdint.h>

#include "tinyforge/console.h"

volatile float a = 1.5f;
volatile float b = 2.25f;

int main(void)
{
    console_init();
#ifdef DISABLE_FPU_FIRST
    *(volatile uint32_t *)0xE000ED88u = 0u;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    float product = a * b;                 /* 3.375 */
    console_puts("fpu:");
    console_put_i32((int32_t)(product * 1000.0f));
    console_newline();
    return 0;
}
