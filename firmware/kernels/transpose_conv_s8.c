/*
 * TRANSPOSE_CONV, int8 activations and weights, int32 bias, per-channel
 * requantization: the numbers of tflite::reference_integer_ops::TransposeConv,
 * which BUILTIN_REF runs for int8 TRANSPOSE_CONV.
 *
 * TFLite scatters: every input pixel adds its products into an int32 scratch
 * image of the whole output, which is then requantized. Here each output
 * value gathers the same products instead (input row iy reaches output row
 * oy through filter row fy when iy * stride - pad + fy == oy), so no scratch
 * image is needed; the sums are the same integers, because int32 addition
 * does not depend on the order. The filter is [out_c, k_h, k_w, in_c], as
 * in the .tflite; pad_h and pad_w are TFLite's top and left padding.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void transpose_conv_s8(const tf_conv_params *params, const tf_requant *requant,
                       const tf_dims *input_dims, const int8_t *input,
                       const tf_dims *filter_dims, const int8_t *filter,
                       const int32_t *bias,
                       const tf_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t s_h = params->stride_h, s_w = params->stride_w;
    int32_t b, oy, ox, oc, ky, kx, ic;

    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            for (ox = 0; ox < out_w; ++ox) {
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                for (oc = 0; oc < out_c; ++oc) {
                    const int8_t *w_oc = filter + oc * k_h * k_w * in_c;
                    const int32_t q = requant->per_channel ? oc : 0;
                    int32_t acc = 0;
                    for (ky = 0; ky < k_h; ++ky) {
                        /* The input row that reaches oy through filter row ky, if any. */
                        const int32_t y = oy + params->pad_h - ky;
                        const int32_t in_y = y / s_h;
                        if (y < 0 || y % s_h != 0 || in_y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = ox + params->pad_w - kx;
                            const int32_t in_x = x / s_w;
                            const int8_t *in_px;
                            const int8_t *w_px;
                            if (x < 0 || x % s_w != 0 || in_x >= in_w) {
                                continue;
                            }
                            in_px = in_batch + (in_y * in_w + in_x) * in_c;
                            w_px = w_oc + (ky * k_w + kx) * in_c;
                            for (ic = 0; ic < in_c; ++ic) {
                                acc += (int32_t)w_px[ic] * ((int32_t)in_px[ic] + params->input_offset);
                            }
                        }
                    }
                    if (bias != 0) {
                        acc += bias[oc];
                    }
                    acc = tf_mbqm(acc, requant->multiplier[q], requant->shift[q]);
                    out_px[oc] = tf_offset_clamp(acc, params->output_offset, params->act_min, params->act_max);
                }
            }
        }
    }
}
