#include <stdint.h>

/* .bss lies right below the stack (templates/linker.ld.j2), so a stack that
 * outgrows its reserve silently overwrites this buffer instead of faulting:
 * the run must still be reported as a stack overflow, not as a pass. */
static volatile uint8_t data_below_the_stack[4096];

__attribute__((noinline)) uint32_t hog(volatile uint32_t depth)
{
    volatile uint8_t frame[256];
    for (uint32_t i = 0; i < sizeof frame; i++) {
        frame[i] = (uint8_t)depth;
    }
    if (depth == 0) {
        return frame[0];
    }
    return hog(depth - 1) + frame[0];
}

int main(void)
{
    data_below_the_stack[0] = 1;
    /* 16 frames of 256+ bytes: over 4 KB, more than bluepill's 2 KB reserve. */
    return hog(15) == 120u ? data_below_the_stack[0] - 1 : 1;
}
