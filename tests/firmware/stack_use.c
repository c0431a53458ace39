#include <stdint.h>

/* Uses a known amount of stack: a 1 KB local buffer the compiler must keep. */
__attribute__((noinline)) uint32_t use_stack(volatile uint8_t *seed)
{
    volatile uint8_t buf[1024];
    for (uint32_t i = 0; i < sizeof buf; i++) {
        buf[i] = (uint8_t)(*seed + i);
    }
    return buf[*seed];
}

int main(void)
{
    volatile uint8_t seed = 5;
    return use_stack(&seed) == 10u ? 0 : 1;
}
