/*
 * AVERAGE_POOL_2D, int8 in and out with the same scale and zero point.
 *
 * Mirrors tflite::reference_integer_ops::AveragePool
 * (internal/reference/integer_ops/pooling.h): the window is clipped to the
 * input (padding cells are not counted), the raw int8 values are summed and
 * divided by the number of cells, rounding half away from zero, then
 * clamped to the fused activation range.
 */
#include "tinyforge/kernels.h"

#include "pool_window.h"

void average_pool2d_s8(const tf_pool_params *params, const tf_dims *input_dims, const int8_t *input,
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
                const int32_t count = (y_end - y_start) * (x_end - x_start);
                int8_t *out_px = output + ((b * output_dims->h + oy) * output_dims->w + ox) * depth;
                for (c = 0; c < depth; ++c) {
                    int32_t acc = 0;
                    for (y = y_start; y < y_end; ++y) {
                        const int8_t *row = input + ((b * in_h + y0 + y) * in_w + x0) * depth + c;
                        for (x = x_start; x < x_end; ++x) {
                            acc += row[x * depth];
                        }
                    }
                    /* codegen rejects geometries where a window misses the input
                     * entirely (TFLite's Eval fails on them), so count > 0. */
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    if (acc < params->act_min) {
                        acc = params->act_min;
                    }
                    if (acc > params->act_max) {
                        acc = params->act_max;
                    }
                    out_px[c] = (int8_t)acc;
                }
            }
        }
    }
}
