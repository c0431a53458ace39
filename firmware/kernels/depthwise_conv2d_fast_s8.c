/*
 * DEPTHWISE_CONV_2D with depth multiplier 1 and no dilation, tuned: the same
 * arithmetic and arguments as depthwise_conv2d_s8.c (the reference). Codegen
 * sends it only layers whose channel count is a multiple of 4 (DS-CNN's 64).
 *
 * Four channels are one 32-bit word of input and of filter, so each tap
 * loads two words for four multiply-accumulates, and the receptive field's
 * bounds are worked out once per output pixel rather than per tap.
 *  - Cortex-M3 (no DSP): SXTB with rotation extracts each signed byte.
 *  - Cortex-M4/M33 (__ARM_FEATURE_DSP): SXTAB16 extracts bytes 0,2 (and,
 *    rotated by 8, bytes 1,3) as int16 pairs and adds the input offset in
 *    the same instruction; SMLABB/SMLATT multiply the bottom or top halves.
 *    (x + offset) is in [-255, 255] and a weight in [-128, 127], so the int16
 *    lanes are exact and every sum is TFLite's int32 sum.
 */
#include <string.h>

#include "tinyforge/kernels.h"

#include "requantize.h"

/* -O3 keeps the four accumulators and both pointers in registers (GCC 12). */
#pragma GCC optimize("O3")

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define TF_DW_DSP 1
#endif

static inline int32_t load_word(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v); /* LDR: unaligned word access is allowed on ARMv7-M and ARMv8-M Mainline */
    return v;
}

static inline int32_t rotate_8(int32_t v)
{
    return (int32_t)(((uint32_t)v >> 8) | ((uint32_t)v << 24));
}

void depthwise_conv2d_fast_s8(const tf_conv_params *params, const tf_requant *requant,
                              const tf_dims *input_dims, const int8_t *input,
                              const tf_dims *filter_dims, const int8_t *filter,
                              const int32_t *bias,
                              const tf_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t ch = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t in_off = params->input_offset;
#ifdef TF_DW_DSP
    const int32_t off2 = (int32_t)(((uint32_t)in_off & 0xffffu) * 0x10001u);
#endif
    int32_t b, oy, ox, c, j;

    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + b * in_h * in_w * ch;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            const int32_t ky0 = in_y0 < 0 ? -in_y0 : 0;
            const int32_t ky1 = in_y0 + k_h > in_h ? in_h - in_y0 : k_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                const int32_t kx0 = in_x0 < 0 ? -in_x0 : 0;
                const int32_t kx1 = in_x0 + k_w > in_w ? in_w - in_x0 : k_w;
                const int8_t *x_first = in_batch + ((in_y0 + ky0) * in_w + in_x0 + kx0) * ch;
                const int8_t *w_first = filter + (ky0 * k_w + kx0) * ch;
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * ch;
                for (c = 0; c < ch; c += 4) {
                    int32_t acc[4] = {0, 0, 0, 0};
                    const int8_t *x_row = x_first + c;
                    const int8_t *w_row = w_first + c;
                    int32_t ky, kx;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *x = x_row;
                        const int8_t *w = w_row;
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int32_t xw = load_word(x);
                            const int32_t ww = load_word(w);
#ifdef TF_DW_DSP
                            const int32_t x02 = __sxtab16(off2, xw);
                            const int32_t x13 = __sxtab16(off2, rotate_8(xw));
                            const int32_t w02 = __sxtb16(ww);
                            const int32_t w13 = __sxtb16(rotate_8(ww));
                            acc[0] = __smlabb(x02, w02, acc[0]);
                            acc[2] = __smlatt(x02, w02, acc[2]);
                            acc[1] = __smlabb(x13, w13, acc[1]);
                            acc[3] = __smlatt(x13, w13, acc[3]);
#else
                            acc[0] += ((int32_t)(int8_t)xw + in_off) * (int32_t)(int8_t)ww;
                            acc[1] += ((int32_t)(int8_t)((uint32_t)xw >> 8) + in_off) * (int32_t)(int8_t)((uint32_t)ww >> 8);
                            acc[2] += ((int32_t)(int8_t)((uint32_t)xw >> 16) + in_off) * (int32_t)(int8_t)((uint32_t)ww >> 16);
                            acc[3] += ((int32_t)(int8_t)((uint32_t)xw >> 24) + in_off) * (int32_t)(int8_t)((uint32_t)ww >> 24);
#endif
                            x += ch;
                            w += ch;
                        }
                        x_row += in_w * ch;
                        w_row += k_w * ch;
                    }
                    for (j = 0; j < 4; ++j) {
                        const int32_t oc = c + j;
                        const int32_t q = requant->per_channel ? oc : 0;
                        int32_t sum = acc[j];
                        if (bias != 0) {
                            sum += bias[oc];
                        }
                        sum = tf_mbqm(sum, requant->multiplier[q], requant->shift[q]);
                        out_px[oc] = tf_offset_clamp(sum, params->output_offset, params->act_min, params->act_max);
                    }
                }
            }
        }
    }
}
