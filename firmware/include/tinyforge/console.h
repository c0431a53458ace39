/*
 * Tiny console output API (no printf: its code size would dwarf small models).
 *
 * A console driver (firmware/board/console_<kind>.c, chosen by the board
 * file's console.kind) implements console_init() and console_putc();
 * firmware/runtime/console_format.c builds everything else on console_putc.
 */
#ifndef TINYFORGE_CONSOLE_H
#define TINYFORGE_CONSOLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Driver: clocks, pins and UART set up; safe to call more than once. */
void console_init(void);
/* Driver: send one byte, blocking until the transmitter accepts it. */
void console_putc(char c);

void console_write(const char *s, uint32_t n);
void console_puts(const char *s);          /* no newline appended */
void console_put_i32(int32_t v);
void console_put_u32(uint32_t v);
void console_put_hex8(uint8_t v);          /* two lowercase hex digits */
void console_put_hex32(uint32_t v);        /* eight uppercase hex digits, no 0x */
void console_newline(void);                /* "\r\n": serial terminals want both */

#ifdef __cplusplus
}
#endif

#endif /* TINYFORGE_CONSOLE_H */
