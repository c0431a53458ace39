#include "tinyforge/console.h"

void console_write(const char *s, uint32_t n)
{
    while (n--) {
        console_putc(*s++);
    }
}

void console_puts(const char *s)
{
    while (*s) {
        console_putc(*s++);
    }
}

void console_put_u32(uint32_t v)
{
    char buf[10]; /* 4294967295 has 10 digits */
    uint32_t i = 0;
    do {
        buf[i++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (i) {
        console_putc(buf[--i]);
    }
}

void console_put_i32(int32_t v)
{
    /* Negate in unsigned arithmetic so INT32_MIN does not overflow. */
    uint32_t mag = (uint32_t)v;
    if (v < 0) {
        console_putc('-');
        mag = 0u - mag;
    }
    console_put_u32(mag);
}

static const char hex_lower[16] = "0123456789abcdef";
static const char hex_upper[16] = "0123456789ABCDEF";

void console_put_hex8(uint8_t v)
{
    console_putc(hex_lower[v >> 4]);
    console_putc(hex_lower[v & 0xFu]);
}

void console_put_hex32(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4) {
        console_putc(hex_upper[(v >> shift) & 0xFu]);
    }
}

void console_newline(void)
{
    console_putc('\r');
    console_putc('\n');
}
