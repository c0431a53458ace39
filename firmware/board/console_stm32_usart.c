/*
 * Console on an STM32 USART (console.kind = "stm32_usart"); register layout
 * from RM0008 rev 21 §27.6. Base, clock and baud come from board.h.
 */
#include "board.h"
#include "tinyforge/console.h"

#if !defined(CONSOLE_KIND_STM32_USART)
#error "console_stm32_usart.c built for a board whose console.kind is not stm32_usart"
#endif

#define USART_SR   BOARD_REG32(CONSOLE_BASE + 0x00u)
#define USART_DR   BOARD_REG32(CONSOLE_BASE + 0x04u)
#define USART_BRR  BOARD_REG32(CONSOLE_BASE + 0x08u)
#define USART_CR1  BOARD_REG32(CONSOLE_BASE + 0x0Cu)

#define USART_SR_TXE  (1u << 7)
#define USART_CR1_RE  (1u << 2)
#define USART_CR1_TE  (1u << 3)
#define USART_CR1_UE  (1u << 13)

/* RM0008 §27.3.4: baud = fCK / (16 * USARTDIV) and BRR holds USARTDIV in
 * 12.4 fixed point (mantissa << 4 | fraction/16), so BRR = 16 * USARTDIV =
 * fCK / baud; rounding to nearest keeps the baud error under half an LSB
 * (72 MHz / 115200 = 625 exactly). */
#define USART_BRR_VALUE ((CONSOLE_CLOCK_HZ + CONSOLE_BAUD / 2u) / CONSOLE_BAUD)

#if USART_BRR_VALUE < 16u || USART_BRR_VALUE > 0xFFFFu
#error "CONSOLE_BAUD is out of range for CONSOLE_CLOCK_HZ (USARTDIV must be 1.0 .. 4095.9375)"
#endif

#if CONSOLE_TX_DATA_OFFSET != 0x04u || CONSOLE_STATUS_OFFSET != 0x00u || CONSOLE_STATUS_READY & ~0xC0u
#error "board file's console register layout does not match the STM32 USART (RM0008 §27.6)"
#endif

void console_init(void)
{
    board_console_pins_init();
    /* Program BRR before UE: RM0008 §27.3.2 sets the baud rate while the
     * USART is disabled; M bit 0 = 8 data bits, no parity, 1 stop bit. */
    USART_CR1 = 0u;
    USART_BRR = USART_BRR_VALUE;
    USART_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
}

void console_putc(char c)
{
    /* TXE: the transmit data register has moved to the shift register and
     * can take the next byte (RM0008 §27.6.1). */
    while (!(USART_SR & USART_SR_TXE)) {
    }
    USART_DR = (uint8_t)c;
}
