/*
 * LEAKY_RELU, int16 (16x8 quantization: zero points 0).
 *
 * TFLite's reference_ops::QuantizeLeakyRelu: a non-negative input is rescaled
 * by in_scale / out_scale, a negative one by in_scale * alpha / out_scale,
 * each with MultiplyByQuantizedMultiplier, then clamped to int16. (int8 runs
 * the same arithmetic through a 256-entry table, lookup_s8.)
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void leaky_relu_s16(const tf_leaky_relu_params *params, int32_t count, const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t x = input[i];
        int32_t y = x >= 0 ? tf_mbqm(x, params->identity_multiplier, params->identity_shift)
                           : tf_mbqm(x, params->alpha_multiplier, params->alpha_shift);
        y = y < -32768 ? -32768 : (y > 32767 ? 32767 : y);
        output[i] = (int16_t)y;
    }
}
