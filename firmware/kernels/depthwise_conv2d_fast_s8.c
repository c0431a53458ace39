/*
 * DEPTHWISE_CONV_2D with depth multiplier 1 and no dilation, tuned: the same
 * arithmetic as depthwise_conv2d_s8.c (the reference). Codegen sends it only
 * layers whose channel count is a multiple of 4 (DS-CNN's 64) and whose
 * requantization tf_mbqm_fast_halves can do (codegen/compiler/layouts/channel_requant.py);
 * on cores with the DSP extension, 3x3 filters go to depthwise_conv2d_3x3_s8
 * instead.
 *
 * The receptive field is read from a ring of k_h zero-point-padded input
 * rows (depthwise_ring.h), so every output pixel runs the same full
 * k_h x k_w loop with no bounds, the input offset folded into the bias, and
 * the layer can write its output over its input.
 *
 * Four channels are one 32-bit word of input and of filter: each tap loads
 * two words for four multiply-accumulates.
 *  - Cortex-M3 (no DSP): SXTB with rotation extracts each signed byte.
 *  - Cortex-M4/M33 (__ARM_FEATURE_DSP): SXTB16 extracts bytes 0,2 (and,
 *    rotated by 8, bytes 1,3) as int16 pairs; SMLABB/SMLATT multiply the
 *    bottom or top halves.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
#include "depthwise_ring.h"
#include "requantize.h"

/* -O3 keeps the four accumulators and both pointers in registers (GCC 12). */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

/* Four channels' sums over a k_h x k_w window; rows[ky] + x_offset is the window's first tap in row ky.
 * Inlined, so a constant k_h and k_w unroll completely. */
static inline void accumulate_window(const int8_t *const *rows, int32_t x_offset, const int8_t *w, int32_t ch,
                                     const int32_t k_h, const int32_t k_w, int32_t *acc)
{
    int32_t acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
    int32_t ky, kx;
    for (ky = 0; ky < k_h; ++ky) {
        const int8_t *x = rows[ky] + x_offset;
        for (kx = 0; kx < k_w; ++kx) {
#if TF_KERNELS_ARMV6M
            /* ARMv6-M has no unaligned word loads: a byte load per value (LDRSB) is cheaper than assembling
             * a word and extracting its bytes again. */
            const int8_t *xp = x + kx * ch, *wp = w + kx * ch;
            acc0 += (int32_t)xp[0] * wp[0];
            acc1 += (int32_t)xp[1] * wp[1];
            acc2 += (int32_t)xp[2] * wp[2];
            acc3 += (int32_t)xp[3] * wp[3];
            continue;
#endif
            const int32_t xw = tf_load_word(x + kx * ch);
            const int32_t ww = tf_load_word(w + kx * ch);
#if TF_KERNELS_DSP
            const int32_t x02 = tf_sxtb16(xw);
            const int32_t x13 = tf_sxtb16_ror8(xw);
            const int32_t w02 = tf_sxtb16(ww);
            const int32_t w13 = tf_sxtb16_ror8(ww);
            acc0 = __smlabb(x02, w02, acc0);
            acc2 = __smlatt(x02, w02, acc2);
            acc1 = __smlabb(x13, w13, acc1);
            acc3 = __smlatt(x13, w13, acc3);
#else
            acc0 += (int32_t)(int8_t)xw * (int32_t)(int8_t)ww;
            acc1 += (int32_t)(int8_t)((uint32_t)xw >> 8) * (int32_t)(int8_t)((uint32_t)ww >> 8);
            acc2 += (int32_t)(int8_t)((uint32_t)xw >> 16) * (int32_t)(int8_t)((uint32_t)ww >> 16);
            acc3 += tf_asr(xw, 24) * tf_asr(ww, 24);
#endif
        }
        w += k_w * ch;
    }
    acc[0] = acc0;
    acc[1] = acc1;
    acc[2] = acc2;
    acc[3] = acc3;
}

/* A 3x3 window's four sums: out of line with the three row pointers as arguments, so the nine taps address
 * [row + kx * ch] from registers. Inlined into the pixel loop, GCC 12 kept nine tap pointers in stack slots
 * and stepped each of them through memory for every group of four channels (about 20 instructions). */
#if !TF_KERNELS_ARMV6M
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void accumulate_3x3(const int8_t *x0, const int8_t *x1, const int8_t *x2, const int8_t *w, int32_t ch,
                           int32_t *acc)
{
    const int8_t *const rows[3] = {x0, x1, x2};
    accumulate_window(rows, 0, w, ch, 3, 3, acc);
}
#endif

/* One output: with an upper bound of 127 the SSAT form (requantize.h), otherwise the clamping one. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int8_t channel_output(int32_t sum, const tf_channel_requant *chan, int32_t rounding_offset,
                                    int32_t act_min, int32_t act_max, const int upper_is_127)
{
    return upper_is_127 ? tf_channel_output_upper_127(sum, chan, rounding_offset, act_min)
                        : tf_channel_output(sum, chan, rounding_offset, act_min, act_max);
}

/* The layer, for one kind of clamp: inlined twice, so the choice leaves the loops. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void depthwise_layer(const tf_conv_params *params, const tf_channel_requant *channels,
                                   const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                                   const int8_t *filter, const tf_dims *output_dims, int8_t *output, int8_t *ring,
                                   const int upper_is_127)
{
    const int32_t ch = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t step = params->stride_w * ch;
    const int32_t rounding_offset = tf_rounding_offset(params->output_offset);
    const int32_t act_min = params->act_min;
    const int32_t act_max = params->act_max;
    tf_dw_ring ring_rows = tf_dw_ring_init(ring, params, input_dims, filter_dims, output_dims);
    int32_t b, oy, ox, c, j;

    for (b = 0; b < input_dims->n; ++b) {
        int8_t *out_row = output + b * out_h * out_w * ch;
        tf_dw_ring_batch(&ring_rows, input + b * input_dims->h * ring_rows.row_bytes, params->pad_h);
        for (oy = 0; oy < out_h; ++oy, out_row += out_w * ch) {
            const int8_t *rows[TF_DW_MAX_KERNEL_H];
            tf_dw_ring_window(&ring_rows, oy * params->stride_h - params->pad_h, rows);
            for (ox = 0; ox < out_w; ++ox) {
                int8_t *out_px = out_row + ox * ch;
                const tf_channel_requant *chan = channels;
                for (c = 0; c < ch; c += 4) {
                    int32_t acc[4] = {0, 0, 0, 0};
                    if (k_h == 3 && k_w == 3) {
                        /* DS-CNN's and MobileNet's 3x3: constant trip counts, fully unrolled. */
#if TF_KERNELS_ARMV6M   /* its byte loads keep few values live: inlined, GCC does better there */
                        accumulate_window(rows, ox * step + c, filter + c, ch, 3, 3, acc);
#else
                        const int32_t at = ox * step + c;
                        accumulate_3x3(rows[0] + at, rows[1] + at, rows[2] + at, filter + c, ch, acc);
#endif
                    } else {
                        accumulate_window(rows, ox * step + c, filter + c, ch, k_h, k_w, acc);
                    }
                    for (j = 0; j < 4; ++j, ++chan) {
                        out_px[c + j] = channel_output(acc[j], chan, rounding_offset, act_min, act_max, upper_is_127);
                    }
                }
            }
        }
    }
}

void depthwise_conv2d_fast_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                              const tf_dims *input_dims, const int8_t *input,
                              const tf_dims *filter_dims, const int8_t *filter,
                              const tf_dims *output_dims, int8_t *output, int8_t *ring)
{
#if defined(__ARM_FEATURE_SAT)   /* without SSAT the short clamp is no shorter */
    if (params->act_max == 127) {
        depthwise_layer(params, channels, input_dims, input, filter_dims, filter, output_dims, output, ring, 1);
        return;
    }
#endif
    depthwise_layer(params, channels, input_dims, input, filter_dims, filter, output_dims, output, ring, 0);
}
