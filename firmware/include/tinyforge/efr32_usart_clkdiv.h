/*
 * EFR32 USART asynchronous baud divisor, in a header of its own so the host
 * unit test (tests/test_boards.py) compiles the very expression the console
 * driver uses and compares it with the reference manual's formula.
 *
 * EFR32xG12 RM §18.3.2.2 (EFR32xG24 RM §24.3.2.2 is the same):
 *     br = f_HFPERCLK / (oversample * (1 + CLKDIV / 256))
 *     =>  CLKDIV = 256 * (f / (oversample * br) - 1)
 * CLKDIV.DIV occupies bits [22:3], so CLKDIV moves in steps of 8 (1/32 of
 * the integer divisor). With oversample = 16:
 *     CLKDIV / 8 = 2 * f / br - 32
 * rounded to the nearest step, which keeps the baud error under 1/64 of a
 * divisor step. Integer-only: it must also work in #if.
 */
#ifndef TINYFORGE_EFR32_USART_CLKDIV_H
#define TINYFORGE_EFR32_USART_CLKDIV_H

#define EFR32_USART_CLKDIV(clock_hz, baud) \
    ((((2u * (clock_hz) + (baud) / 2u) / (baud)) - 32u) << 3)

#endif /* TINYFORGE_EFR32_USART_CLKDIV_H */
