/*
 * FULLY_CONNECTED, tuned: the same arithmetic and arguments as
 * fully_connected_s8.c (the reference), blocked over four output rows so each
 * input byte is loaded once for four multiply-accumulates.
 *
 * On cores with the DSP extension (Cortex-M4, M33: __ARM_FEATURE_DSP) four
 * inputs and four weights per row are loaded as one word each and split into
 * two int16 pairs with SXTB16 (bytes 0,2 and, rotated by 8, bytes 1,3); the
 * input pairs get the input offset in the same SXTAB16. Each SMLAD then adds
 * two products. (x + offset) lies in [-255, 255] and a weight in [-128, 127],
 * so every int16 lane is exact and SMLAD's 32-bit sum is TFLite's int32 sum.
 * Codegen chooses this kernel only when the weight offset is 0 (TFLite's
 * int8 weights are symmetric), which both paths rely on.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
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
    int32_t b, o;

    for (b = 0; b < batches; ++b) {
        const int8_t *in_row = input + b * input_depth;
        int8_t *out_row = output + b * output_depth;
        for (o = 0; o + 4 <= output_depth; o += 4) {
            const int8_t *w0 = filter + o * input_depth;
            const int8_t *w1 = w0 + input_depth;
            const int8_t *w2 = w1 + input_depth;
            const int8_t *w3 = w2 + input_depth;
            const int8_t *x = in_row;
            int32_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
            int32_t i = input_depth;
#if TF_KERNELS_DSP
            const int32_t off2 = (int32_t)(((uint32_t)in_off & 0xffffu) * 0x10001u);
            for (; i >= 4; i -= 4) {
                const int32_t xw = tf_load_word(x);
                const int32_t x02 = __sxtab16(off2, xw);
                const int32_t x13 = __sxtab16(off2, tf_rotate_8(xw));
                int32_t ww = tf_load_word(w0);
                acc0 = tf_smlad(tf_sxtb16(ww), x02, acc0);
                acc0 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc0);
                ww = tf_load_word(w1);
                acc1 = tf_smlad(tf_sxtb16(ww), x02, acc1);
                acc1 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc1);
                ww = tf_load_word(w2);
                acc2 = tf_smlad(tf_sxtb16(ww), x02, acc2);
                acc2 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc2);
                ww = tf_load_word(w3);
                acc3 = tf_smlad(tf_sxtb16(ww), x02, acc3);
                acc3 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc3);
                x += 4;
                w0 += 4;
                w1 += 4;
                w2 += 4;
                w3 += 4;
            }
#endif
            for (; i > 0; --i) {
                const int32_t v = (int32_t)*x++ + in_off;
                acc0 += (int32_t)*w0++ * v;
                acc1 += (int32_t)*w1++ * v;
                acc2 += (int32_t)*w2++ * v;
                acc3 += (int32_t)*w3++ * v;
            }
            out_row[o] = finish(params, requant, o, acc0, bias);
            out_row[o + 1] = finish(params, requant, o + 1, acc1, bias);
            out_row[o + 2] = finish(params, requant, o + 2, acc2, bias);
            out_row[o + 3] = finish(params, requant, o + 3, acc3, bias);
        }
        for (; o < output_depth; ++o) {
            const int8_t *w = filter + o * input_depth;
            int32_t acc = 0;
            int32_t i;
            for (i = 0; i < input_depth; ++i) {
                acc += (int32_t)w[i] * ((int32_t)in_row[i] + in_off);
            }
            out_row[o] = finish(params, requant, o, acc, bias);
        }
    }
}
