#include <stdint.h>

/* 19 KB of .bss plus the 2 KB stack reserve: more than the Blue Pill's 20 KB SRAM. */
uint8_t big_buffer[19 * 1024];

int main(void)
{
    big_buffer[7] = 1;
    return big_buffer[(uintptr_t)&big_buffer & 7];
}
