/*
 * Console on an STM32 low-power UART (console.kind = "stm32_lpuart"), from RM0432 rev 9 §53.7 (L4+):
 * the ISR/TDR register layout of the newer USARTs with its own baud formula. Base, clock and baud come
 * from board.h.
 */
#include "board.h"
#include "tinyforge/console.h"

#if !defined(CONSOLE_KIND_STM32_LPUART)
#error "console_stm32_lpuart.c built for a board whose console.kind is not stm32_lpuart"
#endif

#define USART_CR1  BOARD_REG32(CONSOLE_BASE + 0x00u)
#define USART_BRR  BOARD_REG32(CONSOLE_BASE + 0x0Cu)
#define USART_ISR  BOARD_REG32(CONSOLE_BASE + 0x1Cu)
#define USART_TDR  BOARD_REG32(CONSOLE_BASE + 0x28u)

#define USART_ISR_TXE (1u << 7)
#define USART_CR1_UE  (1u << 0)
#define USART_CR1_RE  (1u << 2)
#define USART_CR1_TE  (1u << 3)

/* RM0432 §53.4.7: baud = 256 * fCK / BRR, BRR from 0x300 to 2^20 - 1, rounded to nearest:
 * 256 * 120 MHz / 115200 = 266666.7 gives 266667. */
#define USART_BRR_VALUE ((uint32_t)((256ull * CONSOLE_CLOCK_HZ + CONSOLE_BAUD / 2u) / CONSOLE_BAUD))

#if (256ull * CONSOLE_CLOCK_HZ + CONSOLE_BAUD / 2u) / CONSOLE_BAUD < 0x300u || \
    (256ull * CONSOLE_CLOCK_HZ + CONSOLE_BAUD / 2u) / CONSOLE_BAUD > 0xFFFFFu
#error "CONSOLE_BAUD is out of range for CONSOLE_CLOCK_HZ (LPUART BRR must be 0x300 .. 0xFFFFF)"
#endif

#if CONSOLE_TX_DATA_OFFSET != 0x28u || CONSOLE_STATUS_OFFSET != 0x1Cu || CONSOLE_STATUS_READY & ~0xC0u
#error "board file's console register layout does not match the STM32 LPUART (RM0432 §53.7)"
#endif

void console_init(void)
{
    board_console_pins_init();
    /* BRR is written while UE = 0 (RM0432 §53.7.4); M = 0: 8 data bits, no parity, 1 stop bit. */
    USART_CR1 = 0u;
    USART_BRR = USART_BRR_VALUE;
    USART_CR1 = USART_CR1_TE | USART_CR1_RE | USART_CR1_UE;
}

void console_putc(char c)
{
    /* TXE: TDR has moved to the shift register and can take the next byte (RM0432 §53.7.8). */
    while (!(USART_ISR & USART_ISR_TXE)) {
    }
    USART_TDR = (uint8_t)c;
}
