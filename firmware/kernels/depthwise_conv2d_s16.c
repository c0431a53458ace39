/*
 * DEPTHWISE_CONV_2D with int16 activations and int8 weights (16x8), int64 or
 * int32 bias: the numbers of tflite::reference_integer_ops::
 * DepthwiseConvPerChannel for int16_t. Zero points are 0; output channel
 * ic * depth_multiplier + m sums its taps (rows, then columns, padding
 * skipped) in 64 bits and is requantized from 64 bits as CONV_2D 16x8 is
 * (requantize_s64.h). The filter is [1, k_h, k_w, out_c].
 */
#include "tinyforge/kernels.h"

#include "requantize_s64.h"

void depthwise_conv2d_s16(const tf_conv_params *params, const tf_requant *requant,
                          const tf_dims *input_dims, const int16_t *input,
                          const tf_dims *filter_dims, const int8_t *filter,
                          const int64_t *bias,
                          const tf_dims *output_dims, int16_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t mult = params->depth_multiplier;
    int32_t b, oy, ox, ic, m, ky, kx;

    for (b = 0; b < input_dims->n; ++b) {
        const int16_t *image = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            for (ox = 0; ox < out_w; ++ox) {
                for (ic = 0; ic < in_c; ++ic) {
                    for (m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
                        const int32_t q = requant->per_channel ? oc : 0;
                        int64_t acc = 0;
                        int32_t out;
                        for (ky = 0; ky < k_h; ++ky) {
                            const int32_t y = oy * params->stride_h - params->pad_h + params->dilation_h * ky;
                            for (kx = 0; kx < k_w; ++kx) {
                                const int32_t x = ox * params->stride_w - params->pad_w + params->dilation_w * kx;
                                if (x < 0 || x >= in_w || y < 0 || y >= in_h) {
                                    continue;
                                }
                                acc += (int32_t)filter[(ky * k_w + kx) * out_c + oc] *
                                       (int32_t)image[(y * in_w + x) * in_c + ic];
                            }
                        }
                        if (bias != 0) {
                            acc += bias[oc];
                        }
                        out = tf_mbqm64_reduced(acc, requant->multiplier[q], requant->shift[q]) + params->output_offset;
                        out = out < params->act_min ? params->act_min : (out > params->act_max ? params->act_max : out);
                        output[((b * out_h + oy) * out_w + ox) * out_c + oc] = (int16_t)out;
                    }
                }
            }
        }
    }
}
