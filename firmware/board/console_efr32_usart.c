/*
 * Console on a Silicon Labs EFR32 USART (console.kind = "efr32_usart"), the
 * USART of Series 1 (EFR32xG12 RM §18) and Series 2 (EFR32xG24 RM §24). The
 * two series share the registers' bits but not their offsets (Series 2 puts
 * IPVERSION and EN in front), so the offsets come from the board file's
 * [console.registers] through board.h. Clocks, pin routing and, on Series 2,
 * USART_EN are the board file's [[console.init]] steps.
 */
#include "board.h"
#include "tinyforge/console.h"
#include "tinyforge/efr32_usart_clkdiv.h"

#if !defined(CONSOLE_KIND_EFR32_USART)
#error "console_efr32_usart.c built for a board whose console.kind is not efr32_usart"
#endif

#define USART_FRAME  BOARD_REG32(CONSOLE_BASE + CONSOLE_FRAME_OFFSET)
#define USART_CMD    BOARD_REG32(CONSOLE_BASE + CONSOLE_CMD_OFFSET)
#define USART_CLKDIV BOARD_REG32(CONSOLE_BASE + CONSOLE_CLKDIV_OFFSET)
#define USART_STATUS BOARD_REG32(CONSOLE_BASE + CONSOLE_STATUS_OFFSET)
#define USART_TXDATA BOARD_REG32(CONSOLE_BASE + CONSOLE_TX_DATA_OFFSET)

#define USART_CMD_RXEN      (1u << 0)
#define USART_CMD_TXEN      (1u << 2)
#define USART_STATUS_TXBL   (1u << 6)
/* FRAME: DATABITS = EIGHT (5), PARITY = NONE (0), STOPBITS = ONE (1 << 12): 8N1. */
#define USART_FRAME_8N1     0x00001005u

#define USART_CLKDIV_VALUE EFR32_USART_CLKDIV(CONSOLE_CLOCK_HZ, CONSOLE_BAUD)

#if USART_CLKDIV_VALUE > 0x007FFFF8u
#error "CONSOLE_BAUD is too low for CONSOLE_CLOCK_HZ (CLKDIV.DIV is 20 bits)"
#endif
#if CONSOLE_CLOCK_HZ < 16u * CONSOLE_BAUD
#error "CONSOLE_CLOCK_HZ is too low for CONSOLE_BAUD at 16x oversampling"
#endif
#if CONSOLE_STATUS_READY & ~0x60u
#error "board file's console status_ready names bits other than TXBL/TXC of USART_STATUS"
#endif

void console_init(void)
{
    board_console_pins_init();
    /* CTRL keeps its reset value: asynchronous mode, OVS = X16. */
    USART_FRAME = USART_FRAME_8N1;
    USART_CLKDIV = USART_CLKDIV_VALUE;
    USART_CMD = USART_CMD_TXEN | USART_CMD_RXEN;
}

void console_putc(char c)
{
    /* TXBL: the transmit buffer has room for another frame (RM §18.5 STATUS). */
    while (!(USART_STATUS & USART_STATUS_TXBL)) {
    }
    USART_TXDATA = (uint8_t)c;
}
