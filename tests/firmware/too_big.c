#include <stdint.h>

/* 96 KB of constants: more than the Blue Pill's 64 KB of flash. */
const uint8_t big_table[96 * 1024] = {1, 2, 3};

int main(void)
{
    return big_table[(uintptr_t)&big_table & 7];
}
