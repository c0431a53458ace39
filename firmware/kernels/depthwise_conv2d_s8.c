/*
 * DEPTHWISE_CONV_2D, int8 activations and weights, int32 bias.
 *
 * Mirrors tflite::reference_integer_ops::DepthwiseConvPerChannel
 * (tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h):
 * output channel ic * depth_multiplier + m reads only input channel ic, and
 * the filter is stored 1 x KH x KW x (C * depth_multiplier).
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void depthwise_conv2d_s8(const tf_conv_params *params, const tf_requant *requant,
                         const tf_dims *input_dims, const int8_t *input,
                         const tf_dims *filter_dims, const int8_t *filter,
                         const int32_t *bias,
                         const tf_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c; /* == in_c * depth_multiplier */
    const int32_t dm = params->depth_multiplier;
    int32_t b, oy, ox, ic, m, ky, kx;

    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                for (ic = 0; ic < in_c; ++ic) {
                    for (m = 0; m < dm; ++m) {
                        const int32_t oc = ic * dm + m;
                        const int32_t q = requant->per_channel ? oc : 0;
                        int32_t acc = 0;
                        for (ky = 0; ky < k_h; ++ky) {
                            const int32_t in_y = in_y0 + params->dilation_h * ky;
                            if (in_y < 0 || in_y >= in_h) {
                                continue; /* padding taps are skipped, as in TFLite */
                            }
                            for (kx = 0; kx < k_w; ++kx) {
                                const int32_t in_x = in_x0 + params->dilation_w * kx;
                                int32_t in_val;
                                int32_t w_val;
                                if (in_x < 0 || in_x >= in_w) {
                                    continue;
                                }
                                in_val = in_batch[(in_y * in_w + in_x) * in_c + ic];
                                w_val = filter[(ky * k_w + kx) * out_c + oc];
                                acc += w_val * (in_val + params->input_offset);
                            }
                        }
                        if (bias != 0) {
                            acc += bias[oc];
                        }
                        acc = tf_mbqm(acc, requant->multiplier[q], requant->shift[q]);
                        out_px[oc] = tf_offset_clamp(acc, params->output_offset,
                                                     params->act_min, params->act_max);
                    }
                }
            }
        }
    }
}
