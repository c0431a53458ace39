/* Host check of firmware/kernels/requantize.h: tf_mbqm_fast_form must equal tf_mbqm (TFLite's
 * MultiplyByQuantizedMultiplier) for every shift codegen can produce and for sums at and around the limits of
 * its fast forms, plus a pseudo-random sweep. Prints the first mismatch and exits 1; prints the number of
 * comparisons and exits 0 when all agree. Built and run by tests/test_kernels.py (under UBSan). */
#include <stdio.h>

#include "requantize.h"

static uint32_t state = 2463534242u;

static uint32_t next(void)   /* xorshift32: the same sweep on every host */
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

int main(void)
{
    static const int32_t sums[] = {0, 1, -1, 2, -2, 255, -256, 1073741823, 1073741824, 1073741825, -1073741823,
                                   -1073741824, -1073741825, 2147483647, -2147483647 - 1, 536870912, -536870913,
                                   65535, -65536, 12345678, -12345678};
    static const int32_t multipliers[] = {0, 1, 1073741824, 1073741825, 1518500250, 2147483647, 1175715840};
    long compared = 0;
    int32_t shift;
    unsigned i, j, k;

    for (shift = -31; shift <= 30; ++shift) {
        for (j = 0; j < sizeof multipliers / sizeof multipliers[0]; ++j) {
            for (i = 0; i < sizeof sums / sizeof sums[0] + 2000; ++i) {
                const int32_t x = i < sizeof sums / sizeof sums[0] ? sums[i]
                                : (int32_t)(next() >> (next() & 31)) * ((next() & 1) ? 1 : -1);
                for (k = 0; k < 2; ++k) {
                    const int32_t m = k == 0 ? multipliers[j] : (int32_t)(0x40000000u | (next() & 0x3fffffffu));
                    const int32_t want = tf_mbqm(x, m, shift), got = tf_mbqm_fast_form(x, m, shift);
                    if (want != got) {
                        printf("x %ld, multiplier %ld, shift %ld: tf_mbqm %ld, tf_mbqm_fast_form %ld\n", (long)x,
                               (long)m, (long)shift, (long)want, (long)got);
                        return 1;
                    }
                    ++compared;
                }
            }
        }
    }
    printf("%ld agree\n", compared);
    return 0;
}
