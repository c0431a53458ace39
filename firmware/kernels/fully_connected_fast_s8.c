/*
 * FULLY_CONNECTED, tuned: the same arithmetic and arguments as
 * fully_connected_s8.c (the reference), four output rows per pass
 * (dot_rows_s8.h), so each input byte is loaded once for four
 * multiply-accumulates; one to three rows left over take the same loop with
 * the last of them repeated, so a 3-output layer has no scalar tail.
 *
 * Codegen chooses this kernel only when the weight offset is 0 (TFLite's
 * int8 weights are symmetric), and folds the input offset into the bias
 * (bias + input_offset * row sum, the integer TFLite's sum holds) so that
 * params->input_offset is 0 and the hand-scheduled loops apply. A non-zero
 * input offset still gives the right sums, through the C loops.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
#include "dot_rows_s8.h"
#include "requantize.h"

/* At -Os GCC spills the four accumulators and row pointers of the blocked
 * loop; -O3 keeps them in registers (arm-none-eabi-gcc 12, Cortex-M3/M4). */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif


static inline int8_t finish(const tf_fc_params *params, const tf_requant *requant, int32_t o,
                            int32_t acc, const int32_t *bias)
{
    const int32_t q = requant->per_channel ? o : 0;
    if (bias != 0) {
        acc += bias[o];
    }
    acc = tf_mbqm_single(acc, requant->multiplier[q], requant->shift[q]);
    return tf_offset_clamp(acc, params->output_offset, params->act_min, params->act_max);
}

void fully_connected_fast_s8(const tf_fc_params *params, const tf_requant *requant,
                             int32_t batches, int32_t input_depth, const int8_t *input,
                             int32_t output_depth, const int8_t *filter,
                             const int32_t *bias, int8_t *output)
{
    const int32_t in_off = params->input_offset;
    int32_t b, o, k;

    for (b = 0; b < batches; ++b) {
        const int8_t *in_row = input + b * input_depth;
        int8_t *out_row = output + b * output_depth;
        for (o = 0; o < output_depth; o += 4) {
            const int32_t rows = output_depth - o < 4 ? output_depth - o : 4;
            int32_t acc[4] = {0, 0, 0, 0};
            tf_dot_rows_s8(in_row, in_off, filter + o * input_depth, input_depth, rows, input_depth, acc);
            for (k = 0; k < rows; ++k) {
                out_row[o + k] = finish(params, requant, o + k, acc[k], bias);
            }
        }
    }
}
