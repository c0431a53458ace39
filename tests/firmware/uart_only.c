#include "tinyforge/console.h"

int main(void)
{
    console_init();
    console_write("uart:", 5);
    console_put_u32(0);
    console_putc(' ');
    console_put_i32(42);
    console_putc(' ');
    console_put_i32(-1);
    console_newline();
    return 0;
}
