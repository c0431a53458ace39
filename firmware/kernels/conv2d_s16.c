/*
 * CONV_2D with int16 activations and int8 weights (TFLite's 16x8
 * quantization), int64 or int32 bias.
 *
 * Mirrors tflite::reference_integer_ops::ConvPerChannel for int16_t
 * (internal/reference/integer_ops/conv.h): zero points 0 (symmetric), the
 * accumulator is 64-bit, padding taps are skipped, and each output channel
 * is requantized from 64 bits with the 16-bit-multiplier form of
 * MultiplyByQuantizedMultiplier (requantize_s64.h; 16x8 FULLY_CONNECTED
 * matches the other form). The walk is conv2d_s8's.
 */
#include "tinyforge/kernels.h"

#include "requantize_s64.h"

void conv2d_s16(const tf_conv_params *params, const tf_requant *requant,
                const tf_dims *input_dims, const int16_t *input,
                const tf_dims *filter_dims, const int8_t *filter,
                const int64_t *bias,
                const tf_dims *output_dims, int16_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    int32_t b, oy, ox, oc, ky, kx, ic;

    for (b = 0; b < input_dims->n; ++b) {
        const int16_t *in_batch = input + (int32_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                int16_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                for (oc = 0; oc < out_c; ++oc) {
                    const int8_t *w_oc = filter + oc * k_h * k_w * in_c;
                    const int32_t q = requant->per_channel ? oc : 0;
                    int64_t acc = 0;
                    int32_t out;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t in_y = in_y0 + params->dilation_h * ky;
                        if (in_y < 0 || in_y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t in_x = in_x0 + params->dilation_w * kx;
                            const int16_t *in_px;
                            const int8_t *w_px;
                            int32_t sum = 0;
                            if (in_x < 0 || in_x >= in_w) {
                                continue;
                            }
                            in_px = in_batch + (in_y * in_w + in_x) * in_c;
                            w_px = w_oc + (ky * k_w + kx) * in_c;
                            /* |w * x| <= 2^22, so 256 products stay within int32 (2^30); a deeper
                             * tap goes to the int64 sum in runs of 256 */
                            for (ic = 0; ic < in_c; ++ic) {
                                sum += (int32_t)w_px[ic] * (int32_t)in_px[ic];
                                if ((ic + 1) % 256 == 0) {
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
