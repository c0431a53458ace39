/*
 * MAX_POOL_2D, int8 in and out with the same scale and zero point.
 *
 * Mirrors tflite::reference_integer_ops::MaxPool
 * (internal/reference/integer_ops/pooling.h): the largest value in the
 * window clipped to the input, starting from -128, then clamped to the
 * fused activation range.
 */
#include "tinyforge/kernels.h"

#include "pool_window.h"

void max_pool2d_s8(const tf_pool_params *params, const tf_dims *input_dims, const int8_t *input,
                   const tf_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t depth = input_dims->c;
    int32_t b, oy, ox, c, y, x;

    for (b = 0; b < output_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride_h - params->pad_h;
            int32_t y_start, y_end;
            tf_pool_window(y0, params->filter_h, in_h, &y_start, &y_end);
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t x0 = ox * params->stride_w - params->pad_w;
                int32_t x_start, x_end;
                tf_pool_window(x0, params->filter_w, in_w, &x_start, &x_end);
                int8_t *out_px = output + ((b * output_dims->h + oy) * output_dims->w + ox) * depth;
                for (c = 0; c < depth; ++c) {
                    int32_t max = -128;
                    for (y = y_start; y < y_end; ++y) {
                        const int8_t *row = input + ((b * in_h + y0 + y) * in_w + x0) * depth + c;
                        for (x = x_start; x < x_end; ++x) {
                            if (row[x * depth] > max) {
                                max = row[x * depth];
                            }
                        }
                    }
                    if (max < params->act_min) {
                        max = params->act_min;
                    }
                    if (max > params->act_max) {
                        max = params->act_max;
                    }
                    out_px[c] = (int8_t)max;
                }
            }
        }
    }
}
