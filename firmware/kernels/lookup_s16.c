/*
 * Elementwise int16 operators (EXP, RSQRT, 16x8) as TFLite runs them: a
 * 513-entry table over the int16 input range (codegen builds it as
 * LUTPopulate<int16_t> does) read by TFLite's LUTLookup, which interpolates
 * linearly inside each of the 512 segments of 128 input steps.
 * Input and output may be the same buffer.
 */
#include "tinyforge/kernels.h"

void lookup_s16(const int16_t table[513], int32_t count, const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int16_t v = input[i];
        const uint16_t index = (uint16_t)(256 + (v >> 7));
        const int32_t slope = table[index + 1] - table[index];
        output[i] = (int16_t)(table[index] + ((slope * (v & 0x7f) + 64) >> 7));
    }
}
