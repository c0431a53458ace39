/* Host check of firmware/kernels/fixedpoint_s16.h: tf_exp_negative16 with quarter_table NULL (exp's Taylor
 * part computed for each value, what optimize=size gives the LSTM) must equal it with the table codegen writes
 * (codegen/compiler/fixedpoint.py exp_quarter_table, what optimize=speed stores), for every int16 input and
 * every format 0..7 integer bits; and so must tf_logistic16 and tf_tanh16 over them. The tables come on stdin,
 * one per line: integer bits, entry count, entries. Prints the first mismatch and exits 1; prints the number of
 * comparisons and exits 0 when all agree. Built and run by tests/test_kernels.py (under UBSan). */
#include <stdio.h>
#include <stdlib.h>

#include "fixedpoint_s16.h"

static int16_t table[1 << 13];

int main(void)
{
    long compared = 0;
    int bits, count;

    while (scanf("%d %d", &bits, &count) == 2) {
        int32_t a;
        int i;
        if (bits < 0 || bits > 7 || count != 1 << (13 - bits)) {
            printf("bad table header: %d integer bits, %d entries\n", bits, count);
            return 1;
        }
        for (i = 0; i < count; ++i) {
            int v;
            if (scanf("%d", &v) != 1) {
                printf("table for %d integer bits ends after %d entries\n", bits, i);
                return 1;
            }
            table[i] = (int16_t)v;
        }
        for (a = -32768; a <= 32767; ++a) {
            const int16_t x = (int16_t)a;
            if (a <= 0 && tf_exp_negative16(x, bits, table) != tf_exp_negative16(x, bits, NULL)) {
                printf("exp Q%d: %d gives %d from the table, %d computed\n", bits, a,
                       tf_exp_negative16(x, bits, table), tf_exp_negative16(x, bits, NULL));
                return 1;
            }
            /* logistic of Q(bits) reads the Q(bits) table; tanh of Q(bits - 1) the same one */
            if (tf_logistic16(x, bits, table) != tf_logistic16(x, bits, NULL) ||
                (bits >= 1 && tf_tanh16(x, bits - 1, table) != tf_tanh16(x, bits - 1, NULL))) {
                printf("logistic or tanh from Q%d's table differs at %d\n", bits, a);
                return 1;
            }
            compared += (a <= 0) + 1 + (bits >= 1);   /* exp, logistic, tanh */
        }
    }
    printf("%ld agree\n", compared);
    return 0;
}
