#include "board.h"
#include "tinyforge/console.h"

int main(void)
{
    console_init();
    console_puts("hello from ");
    console_puts(BOARD_NAME);
    console_newline();
    console_put_i32(-2147483647 - 1);
    console_putc(' ');
    console_put_u32(4294967295u);
    console_putc(' ');
    console_put_hex8(0xA5);
    console_newline();
    return 7;
}
