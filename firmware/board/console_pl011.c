/*
 * Console on an Arm PrimeCell UART (PL011), as in the RP2040 (console.kind = "pl011"); register map from
 * the PL011 Technical Reference Manual r1p5 §3.2 and the RP2040 datasheet §4.2.8. Base, clock and baud
 * come from board.h.
 */
#include "board.h"
#include "tinyforge/console.h"

#if !defined(CONSOLE_KIND_PL011)
#error "console_pl011.c built for a board whose console.kind is not pl011"
#endif

#define UART_DR    BOARD_REG32(CONSOLE_BASE + 0x000u)
#define UART_FR    BOARD_REG32(CONSOLE_BASE + 0x018u)
#define UART_IBRD  BOARD_REG32(CONSOLE_BASE + 0x024u)
#define UART_FBRD  BOARD_REG32(CONSOLE_BASE + 0x028u)
#define UART_LCR_H BOARD_REG32(CONSOLE_BASE + 0x02Cu)
#define UART_CR    BOARD_REG32(CONSOLE_BASE + 0x030u)

#define UART_FR_TXFF      (1u << 5)
#define UART_LCR_H_FEN    (1u << 4)
#define UART_LCR_H_WLEN_8 (3u << 5)
#define UART_CR_UARTEN    (1u << 0)
#define UART_CR_TXE       (1u << 8)
#define UART_CR_RXE       (1u << 9)

/* PL011 TRM §3.3.6: the baud divisor is UARTCLK / (16 * baud), an integer part (IBRD) and a 6-bit
 * fraction (FBRD), the fraction rounded to nearest: from 8 * UARTCLK / baud = 128 * divisor, IBRD is the
 * top bits and FBRD the low 7 bits halved with rounding. 133 MHz / (16 * 115200) = 72.16 gives 72 + 10/64. */
#define UART_DIV_X128 ((8u * (uint64_t)CONSOLE_CLOCK_HZ) / CONSOLE_BAUD)
#define UART_IBRD_VALUE ((uint32_t)(UART_DIV_X128 >> 7))
#define UART_FBRD_VALUE ((uint32_t)(((UART_DIV_X128 & 0x7Fu) + 1u) / 2u))

#if (8ull * CONSOLE_CLOCK_HZ) / CONSOLE_BAUD >> 7 == 0 || (8ull * CONSOLE_CLOCK_HZ) / CONSOLE_BAUD >> 7 > 0xFFFF
#error "CONSOLE_BAUD is out of range for CONSOLE_CLOCK_HZ (IBRD must be 1 .. 65535)"
#endif

#if CONSOLE_TX_DATA_OFFSET != 0x000u || CONSOLE_STATUS_OFFSET != 0x018u
#error "board file's console register layout does not match the PL011 (UARTDR, UARTFR)"
#endif

void console_init(void)
{
    board_console_pins_init();
    UART_CR = 0u;
    UART_IBRD = UART_IBRD_VALUE;
    UART_FBRD = UART_FBRD_VALUE;
    /* The divisor registers take effect with the next UARTLCR_H write (PL011 TRM §3.3.7):
     * 8 data bits, no parity, one stop bit, FIFOs on. */
    UART_LCR_H = UART_LCR_H_WLEN_8 | UART_LCR_H_FEN;
    UART_CR = UART_CR_UARTEN | UART_CR_TXE | UART_CR_RXE;
}

void console_putc(char c)
{
    /* TXFF: the transmit FIFO is full (PL011 TRM §3.3.3). */
    while (UART_FR & UART_FR_TXFF) {
    }
    UART_DR = (uint8_t)c;
}
