#include <stdint.h>
#include "tinyforge/console.h"

/* 0x30000000 is not mapped on any board we target (between SRAM and the
 * peripheral space), so the load must fault. */
__attribute__((noinline)) uint32_t read_unmapped(void)
{
    return *(volatile uint32_t *)0x30000000u;
}

int main(void)
{
    console_init();
    console_puts("before");
    console_newline();
    return (int)read_unmapped();
}
