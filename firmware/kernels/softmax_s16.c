/*
 * SOFTMAX with int16 input and output (16x8): the numbers of TFLite's
 * reference SoftmaxInt16. Each difference from the row's largest value is
 * rescaled so [-65535, 0] spans exp's [-10, 0] and looked up in a 513-entry
 * exp table (interpolated, 7 fractional bits); the sum is normalized and its
 * reciprocal looked up in the 1 / (1 + x) table; each exponential times the
 * reciprocal, rounded, is the output in steps of 1/32768. codegen builds
 * both tables as TFLite's LUTPopulate<int16_t> does.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

/* TFLite's int16 LUT lookup: 512 segments of 128 input steps, linear between the segment's ends. */
static int16_t lut_lookup_s16(int16_t value, const int16_t *lut)
{
    const uint16_t index = (uint16_t)(256 + (value >> 7));
    const int16_t offset = (int16_t)(value & 0x7f);
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    const int32_t delta = ((int32_t)slope * offset + 64) >> 7;
    return (int16_t)(base + delta);
}

static int16_t saturate16(int32_t v)
{
    return (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

static int32_t leading_zeros(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

void softmax_s16(const tf_softmax_s16_params *params, int32_t rows, int32_t depth, const int16_t *input,
                 int16_t *output)
{
    int32_t r, c;

    for (r = 0; r < rows; ++r) {
        const int16_t *x = input + r * depth;
        int16_t *y = output + r * depth;
        int16_t largest = -32768;
        int32_t sum = 0;            /* Q16.15 */
        int32_t headroom_plus_one, shifted_sum, right_shift;
        int16_t reciprocal;
        int64_t round;

        for (c = 0; c < depth; ++c) {
            largest = x[c] > largest ? x[c] : largest;
        }
        for (c = 0; c < depth; ++c) {
            const int32_t scaled = tf_mbqm(x[c] - largest, params->input_multiplier, params->input_left_shift);
            y[c] = lut_lookup_s16(saturate16(scaled + 32767), params->exp_lut);
            sum += y[c];
        }
        headroom_plus_one = leading_zeros((uint32_t)sum);
        shifted_sum = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        /* 1 / (1 + x) with x = sum - 1, recentred from [0, 65535] to [-32768, 32767] */
        reciprocal = lut_lookup_s16(saturate16(shifted_sum - ((1 << 15) + (1 << 16))), params->reciprocal_lut);
        right_shift = 31 - headroom_plus_one;
        round = (int64_t)1 << (right_shift - 1);
        for (c = 0; c < depth; ++c) {
            const int32_t result = (int32_t)(((int64_t)y[c] * (int64_t)reciprocal + round) >> right_shift);
            y[c] = (int16_t)(result < 0 ? 0 : (result > 32767 ? 32767 : result));
        }
    }
}
