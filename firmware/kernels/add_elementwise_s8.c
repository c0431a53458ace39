/*
 * ADD (and SUB) of two int8 tensors of the same shape, no broadcasting: the
 * results of add_s8.c, per element in a fraction of its instructions.
 *
 * TFLite's AddElementwise rescales each input on its own before the sum:
 * scaled = MultiplyByQuantizedMultiplierSmallerThanOneExp((x + offset) << 20,
 * multiplier, shift). That is a function of one int8 byte, so codegen
 * evaluates it for all 256 values (the same integer arithmetic, in
 * codegen/compiler/fixedpoint.py) and the kernel looks both up. The sum's
 * requantization is tf_mbqm_fast_halves, whose conditions codegen checks
 * (a right shift of 1..31, |sum| < 2^30; otherwise add_s8 takes the layer),
 * then the zero point and the clamp.
 *
 * In place: output i is written after input i is read, so the output may
 * overwrite input1.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

static inline void add_all(const tf_add_elementwise_params *params, int32_t count, const int8_t *input1,
                           const int8_t *input2, int8_t *output, const int full_range)
{
    /* Indexed by the signed byte: entry 128 is the value 0. */
    const int32_t *table1 = params->table1 + 128;
    const int32_t *table2 = params->table2 + 128;
    const tf_channel_requant requant = {0, params->output_multiplier, params->output_shift_less_one};
    const int32_t rounding_offset = tf_rounding_offset(params->output_offset);
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t sum = table1[input1[i]] + table2[input2[i]];
        output[i] = full_range ? tf_biased_output_full_range(sum, &requant, rounding_offset)
                               : tf_biased_output(sum, &requant, rounding_offset, params->act_min, params->act_max);
    }
}

void add_elementwise_s8(const tf_add_elementwise_params *params, int32_t count, const int8_t *input1,
                        const int8_t *input2, int8_t *output)
{
    if (tf_full_range(params->act_min, params->act_max)) {
        add_all(params, count, input1, input2, output, 1);
    } else {
        add_all(params, count, input1, input2, output, 0);
    }
}
