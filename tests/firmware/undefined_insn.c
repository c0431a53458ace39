#include "tinyforge/console.h"

__attribute__((noinline)) void execute_udf(void)
{
    /* UDF is permanently undefined (ARMv7-M ARM §A7.7.194). */
    __asm__ volatile("udf #0x42");
}

int main(void)
{
    console_init();
    execute_udf();
    return 0;
}
