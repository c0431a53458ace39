/*
 * CONV_2D, float32: TFLite's reference_ops::Conv for float. Each output
 * channel sums input times filter over the filter rows, columns and input
 * channels in that order, skipping taps in the padding, from 0.0f; then adds
 * the bias (0.0f without one) and clamps. -ffp-contract=off keeps every
 * product and sum rounded on its own, so the bits are TFLite's.
 */
#include "tinyforge/kernels.h"

#include "float_clamp.h"

void conv2d_f32(const tf_conv_f32_params *params, const tf_dims *input_dims, const float *input,
                const tf_dims *filter_dims, const float *filter, const float *bias,
                const tf_dims *output_dims, float *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, filter_c = filter_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    /* grouped convolution, as the reference allows: the filter's depth divides the input's */
    const int32_t per_group = out_c / (in_c / filter_c);
    int32_t b, oy, ox, oc, ky, kx, ic;

    for (b = 0; b < input_dims->n; ++b) {
        const float *image = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            for (ox = 0; ox < out_w; ++ox) {
                for (oc = 0; oc < out_c; ++oc) {
                    const float *w_oc = filter + oc * k_h * k_w * filter_c;
                    const int32_t group_start = (oc / per_group) * filter_c;
                    float total = 0.0f;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = oy * params->stride_h - params->pad_h + params->dilation_h * ky;
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = ox * params->stride_w - params->pad_w + params->dilation_w * kx;
                            const float *px;
                            const float *w;
                            if (x < 0 || x >= in_w || y < 0 || y >= in_h) {
                                continue;
                            }
                            px = image + (y * in_w + x) * in_c + group_start;
                            w = w_oc + (ky * k_w + kx) * filter_c;
                            for (ic = 0; ic < filter_c; ++ic) {
                                total += px[ic] * w[ic];
                            }
                        }
                    }
                    *output++ = tf_clamp_f32(total + (bias != 0 ? bias[oc] : 0.0f), &params->range);
                }
            }
        }
    }
}
