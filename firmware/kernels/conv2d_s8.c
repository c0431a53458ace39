/*
 * CONV_2D, int8 activations and weights, int32 bias.
 *
 * Mirrors tflite::reference_integer_ops::ConvPerChannel
 * (tensorflow/lite/kernels/internal/reference/integer_ops/conv.h), which is
 * what the BUILTIN_REF interpreter runs for int8 CONV_2D. TFLite's Prepare
 * always fills one multiplier per output channel, even for per-tensor
 * weights; here a per-tensor model may pass a single multiplier instead
 * (requant->per_channel == 0) to save flash. The numbers are the same.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void conv2d_s8(const tf_conv_params *params, const tf_requant *requant,
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
    const int32_t out_c = output_dims->c;
    /* The filter's input depth may be a divisor of the input depth (grouped
     * convolution, which ConvPerChannel supports since TF 2.9); with one
     * group this is just in_c. */
    const int32_t filter_in_c = filter_dims->c;
    const int32_t out_c_per_group = out_c / (in_c / filter_in_c);
    int32_t b, oy, ox, oc, ky, kx, ic;

    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int32_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                for (oc = 0; oc < out_c; ++oc) {
                    const int32_t group = oc / out_c_per_group;
                    const int8_t *w_oc = filter + oc * k_h * k_w * filter_in_c;
                    const int32_t q = requant->per_channel ? oc : 0;
                    int32_t acc = 0;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t in_y = in_y0 + params->dilation_h * ky;
                        if (in_y < 0 || in_y >= in_h) {
                            /* Padding contributes nothing: TFLite skips
                             * the tap rather than multiplying by -offset. */
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t in_x = in_x0 + params->dilation_w * kx;
                            const int8_t *in_px;
                            const int8_t *w_px;
                            if (in_x < 0 || in_x >= in_w) {
                                continue;
                            }
                            in_px = in_batch + (in_y * in_w + in_x) * in_c +
                                    group * filter_in_c;
                            w_px = w_oc + (ky * k_w + kx) * filter_in_c;
                            for (ic = 0; ic < filter_in_c; ++ic) {
                                acc += (int32_t)w_px[ic] *
                                       ((int32_t)in_px[ic] + params->input_offset);
                            }
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
