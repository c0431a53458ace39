/*
 * RP2040 second-stage bootloader, written from the RP2040 datasheet (§2.8.1 "Bootrom: flash boot",
 * §4.10 "SSI"): the bootrom copies these 256 bytes of flash to SRAM at 0x20041F00, checks the CRC32 in
 * the last four (codegen/emit/boot2.py appends it) and runs them. They set up the QSPI interface
 * (XIP_SSI) for execute-in-place with the plain serial read command 03h, which every QSPI flash
 * understands, then start the image: VTOR, MSP and PC from the vector table at 0x10000100.
 *
 * 03h reads allow a 50 MHz clock on the Pico's W25Q16JV; BAUDR = 4 keeps SCK at clk_sys / 4, 33 MHz at
 * 133 MHz. The code is position-independent (literals PC-relative), ARMv6-M only.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .section .text.boot2, "ax"
    .global tf_boot2_entry
    .type tf_boot2_entry, %function
tf_boot2_entry:
    ldr     r3, =0x18000000          /* XIP_SSI */
    movs    r1, #0
    str     r1, [r3, #0x08]          /* SSIENR = 0: configure while disabled */
    movs    r1, #4
    str     r1, [r3, #0x14]          /* BAUDR = 4 */
    ldr     r1, =(31 << 16) | (3 << 8)
    str     r1, [r3, #0x00]          /* CTRLR0: standard SPI, 32-bit frames (DFS_32 = 31), TMOD = EEPROM read */
    movs    r1, #0
    str     r1, [r3, #0x04]          /* CTRLR1: NDF = 0, one frame per XIP access */
    ldr     r1, =(0x03 << 24) | (2 << 8) | (6 << 2)
    ldr     r0, =0x180000F4
    str     r1, [r0]                 /* SPI_CTRLR0: XIP_CMD = 03h, 8-bit instruction, 24-bit address */
    movs    r1, #1
    str     r1, [r3, #0x08]          /* SSIENR = 1: flash reads now go through XIP */

    ldr     r0, =0x10000100          /* the image's vector table, right after these 256 bytes */
    ldr     r1, =0xE000ED08
    str     r0, [r1]                 /* VTOR */
    ldmia   r0!, {r1, r2}            /* initial MSP, Reset_Handler */
    msr     msp, r1
    bx      r2

    .ltorg
