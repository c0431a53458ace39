/*
 * TRANSPOSE_CONV with int16 activations and int8 weights (16x8), int64 or
 * int32 bias: the numbers of tflite::reference_integer_ops::TransposeConv for
 * int16_t. Zero points are 0, the sums are 64-bit, and each output channel
 * is requantized from 64 bits as CONV_2D 16x8 is (requantize_s64.h).
 *
 * The walk is transpose_conv_s8.c's: each output value gathers the products
 * TFLite scatters into its int64 scratch image.
 */
#include "tinyforge/kernels.h"

#include "requantize_s64.h"

/* 256 products of |int8 x int16| <= 2^22 each stay within int32 (2^30); longer runs go to int64 in parts. */
#define TF_S16_INT32_RUN 256

void transpose_conv_s16(const tf_conv_params *params, const tf_requant *requant,
                        const tf_dims *input_dims, const int16_t *input,
                        const tf_dims *filter_dims, const int8_t *filter,
                        const int64_t *bias,
                        const tf_dims *output_dims, int16_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t s_h = params->stride_h, s_w = params->stride_w;
    int32_t b, oy, ox, oc, ky, kx, ic;

    for (b = 0; b < input_dims->n; ++b) {
        const int16_t *in_batch = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            for (ox = 0; ox < out_w; ++ox) {
                int16_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                for (oc = 0; oc < out_c; ++oc) {
                    const int8_t *w_oc = filter + oc * k_h * k_w * in_c;
                    const int32_t q = requant->per_channel ? oc : 0;
                    int64_t acc = 0;
                    int32_t out;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = oy + params->pad_h - ky;
                        const int32_t in_y = y / s_h;
                        if (y < 0 || y % s_h != 0 || in_y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = ox + params->pad_w - kx;
                            const int32_t in_x = x / s_w;
                            const int16_t *in_px;
                            const int8_t *w_px;
                            int32_t sum = 0;
                            if (x < 0 || x % s_w != 0 || in_x >= in_w) {
                                continue;
                            }
                            in_px = in_batch + (in_y * in_w + in_x) * in_c;
                            w_px = w_oc + (ky * k_w + kx) * in_c;
                            for (ic = 0; ic < in_c; ++ic) {
                                sum += (int32_t)w_px[ic] * (int32_t)in_px[ic];
                                if ((ic + 1) % TF_S16_INT32_RUN == 0) {
                                    acc += sum;
                                    sum = 0;
                                }
                            }
                            acc += sum;
                        }
                    }
                    if (bias != 0) {
                        acc += bias[oc];
                    }
                    out = tf_mbqm64_reduced(acc, requant->multiplier[q], requant->shift[q]) + params->output_offset;
                    out = out < params->act_min ? params->act_min : (out > params->act_max ? params->act_max : out);
                    out_px[oc] = (int16_t)out;
                }
            }
        }
    }
}
