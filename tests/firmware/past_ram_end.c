#include <stdint.h>
#include "board.h"

/* One word past the board's real RAM: must fault even when the emulator had
 * to map a whole page beyond it. */
__attribute__((noinline)) void write_past_ram(void)
{
    *(volatile uint32_t *)(BOARD_RAM_ORIGIN + BOARD_RAM_LENGTH + 8u) = 1u;
}

int main(void)
{
    write_past_ram();
    return 0;
}
