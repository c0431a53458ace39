/*
 * Console on the USART of the STM32F0/F3/F7/L4/H7 families (console.kind = "stm32_usart_v2"): the layout
 * with separate status (ISR), transmit (TDR) and receive (RDR) registers, from RM0385 rev 8 §34.8 (F7).
 * Base, clock and baud come from board.h.
 */
#include "board.h"
#include "tinyforge/console.h"

#if !defined(CONSOLE_KIND_STM32_USART_V2)
#error "console_stm32_usart_v2.c built for a board whose console.kind is not stm32_usart_v2"
#endif

#define USART_CR1  BOARD_REG32(CONSOLE_BASE + 0x00u)
#define USART_BRR  BOARD_REG32(CONSOLE_BASE + 0x0Cu)
#define USART_ISR  BOARD_REG32(CONSOLE_BASE + 0x1Cu)
#define USART_TDR  BOARD_REG32(CONSOLE_BASE + 0x28u)

#define USART_ISR_TXE (1u << 7)
#define USART_CR1_UE  (1u << 0)
#define USART_CR1_RE  (1u << 2)
#define USART_CR1_TE  (1u << 3)

/* RM0385 §34.5.4: with 16x oversampling (CR1.OVER8 = 0), baud = fCK / USARTDIV and BRR = USARTDIV,
 * rounded to nearest: 108 MHz / 115200 = 937.5 gives 938, 0.05 % off. */
#define USART_BRR_VALUE ((CONSOLE_CLOCK_HZ + CONSOLE_BAUD / 2u) / CONSOLE_BAUD)

#if USART_BRR_VALUE < 16u || USART_BRR_VALUE > 0xFFFFu
#error "CONSOLE_BAUD is out of range for CONSOLE_CLOCK_HZ (BRR must be 16 .. 65535 at 16x oversampling)"
#endif

#if CONSOLE_TX_DATA_OFFSET != 0x28u || CONSOLE_STATUS_OFFSET != 0x1Cu || CONSOLE_STATUS_READY & ~0xC0u
#error "board file's console register layout does not match the STM32 USART with ISR/TDR (RM0385 §34.8)"
#endif

void console_init(void)
{
    board_console_pins_init();
    /* BRR is written while UE = 0 (RM0385 §34.5.2); M = 0: 8 data bits, no parity, 1 stop bit. */
    USART_CR1 = 0u;
    USART_BRR = USART_BRR_VALUE;
    USART_CR1 = USART_CR1_TE | USART_CR1_RE | USART_CR1_UE;
}

void console_putc(char c)
{
    /* TXE: TDR has moved to the shift register and can take the next byte (RM0385 §34.8.8). */
    while (!(USART_ISR & USART_ISR_TXE)) {
    }
    USART_TDR = (uint8_t)c;
}
