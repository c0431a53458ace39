/*
 * Console on a Nordic nRF52 UARTE with EasyDMA (console.kind = "nrf_uarte"); register map from the
 * nRF52840 Product Specification v1.7 §6.34.9. Base, clock and baud come from board.h; the pins are set
 * by the board file's [[console.init]] (PSEL.TXD/RXD).
 *
 * EasyDMA reads only Data RAM (PS §6.34.3), so each byte goes through a buffer in RAM, never straight
 * from a string in flash.
 */
#include "board.h"
#include "tinyforge/console.h"

#if !defined(CONSOLE_KIND_NRF_UARTE)
#error "console_nrf_uarte.c built for a board whose console.kind is not nrf_uarte"
#endif

#define UARTE_TASKS_STARTTX BOARD_REG32(CONSOLE_BASE + 0x008u)
#define UARTE_EVENTS_ENDTX  BOARD_REG32(CONSOLE_BASE + 0x120u)
#define UARTE_ENABLE        BOARD_REG32(CONSOLE_BASE + 0x500u)
#define UARTE_BAUDRATE      BOARD_REG32(CONSOLE_BASE + 0x524u)
#define UARTE_TXD_PTR       BOARD_REG32(CONSOLE_BASE + 0x544u)
#define UARTE_TXD_MAXCNT    BOARD_REG32(CONSOLE_BASE + 0x548u)
#define UARTE_CONFIG        BOARD_REG32(CONSOLE_BASE + 0x56Cu)

#define UARTE_ENABLE_ENABLED 8u

/* PS §6.34.9.16: the baud generator adds BAUDRATE to a 32-bit accumulator at 16 MHz, so
 * baud = BAUDRATE * 16 MHz / 2^32; only bits [31:12] count, rounded here to the nearest step:
 * 115200 gives 0x01D7E000, 115203 baud. */
#define UARTE_BAUDRATE_VALUE \
    ((uint32_t)((((uint64_t)CONSOLE_BAUD << 32) / CONSOLE_CLOCK_HZ + 0x800u) & 0xFFFFF000u))

#if CONSOLE_TX_DATA_OFFSET != 0x544u || CONSOLE_STATUS_OFFSET != 0x120u || CONSOLE_STATUS_READY != 1u
#error "board file's console register layout does not match the nRF52 UARTE (TXD.PTR, EVENTS_ENDTX)"
#endif

static volatile uint8_t tx_byte;   /* in RAM: what EasyDMA sends */

void console_init(void)
{
    board_console_pins_init();
    UARTE_CONFIG = 0u;             /* no parity, one stop bit, no flow control */
    UARTE_BAUDRATE = UARTE_BAUDRATE_VALUE;
    UARTE_ENABLE = UARTE_ENABLE_ENABLED;
}

void console_putc(char c)
{
    tx_byte = (uint8_t)c;
    UARTE_EVENTS_ENDTX = 0u;
    UARTE_TXD_PTR = (uint32_t)(uintptr_t)&tx_byte;
    UARTE_TXD_MAXCNT = 1u;
    UARTE_TASKS_STARTTX = 1u;
    /* ENDTX: EasyDMA has read the byte from RAM; the buffer may change again. */
    while (UARTE_EVENTS_ENDTX == 0u) {
    }
}
