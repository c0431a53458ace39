/*
 * DEPTHWISE_CONV_2D, float32: TFLite's reference_ops::DepthwiseConv for
 * float. Output channel ic * depth_multiplier + m sums input channel ic times
 * its filter over the filter rows then columns, skipping padding, from 0.0f;
 * then adds the bias (0.0f without one) and clamps. The filter is
 * [1, k_h, k_w, out_c]. -ffp-contract=off keeps TFLite's roundings.
 */
#include "tinyforge/kernels.h"

#include "float_clamp.h"

void depthwise_conv2d_f32(const tf_conv_f32_params *params, const tf_dims *input_dims, const float *input,
                          const tf_dims *filter_dims, const float *filter, const float *bias,
                          const tf_dims *output_dims, float *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t mult = params->depth_multiplier;
    int32_t b, oy, ox, ic, m, ky, kx;

    for (b = 0; b < input_dims->n; ++b) {
        const float *image = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            for (ox = 0; ox < out_w; ++ox) {
                for (ic = 0; ic < in_c; ++ic) {
                    for (m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
                        float total = 0.0f;
                        for (ky = 0; ky < k_h; ++ky) {
                            const int32_t y = oy * params->stride_h - params->pad_h + params->dilation_h * ky;
                            for (kx = 0; kx < k_w; ++kx) {
                                const int32_t x = ox * params->stride_w - params->pad_w + params->dilation_w * kx;
                                if (x < 0 || x >= in_w || y < 0 || y >= in_h) {
                                    continue;
                                }
                                total += image[(y * in_w + x) * in_c + ic] * filter[(ky * k_w + kx) * out_c + oc];
                            }
                        }
                        output[((b * out_h + oy) * out_w + ox) * out_c + oc] =
                            tf_clamp_f32(total + (bias != 0 ? bias[oc] : 0.0f), &params->range);
                    }
                }
            }
        }
    }
}
