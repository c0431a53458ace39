/*
 * MAX_POOL_2D, float32: TFLite's reference_ops::MaxPool for float. The largest
 * value of the window inside the input, starting from the lowest float
 * (std::max order), then clamped.
 */
#include <float.h>

#include "tinyforge/kernels.h"

#include "float_clamp.h"
#include "pool_window.h"

void max_pool2d_f32(const tf_pool_f32_params *params, const tf_dims *input_dims, const float *input,
                    const tf_dims *output_dims, float *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c_n = input_dims->c;
    int32_t b, oy, ox, c, y, x;

    for (b = 0; b < input_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride_h - params->pad_h;
            int32_t y_start, y_end;
            tf_pool_window(y0, params->filter_h, in_h, &y_start, &y_end);
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t x0 = ox * params->stride_w - params->pad_w;
                int32_t x_start, x_end;
                tf_pool_window(x0, params->filter_w, in_w, &x_start, &x_end);
                for (c = 0; c < c_n; ++c) {
                    float largest = -FLT_MAX;
                    for (y = y_start; y < y_end; ++y) {
                        for (x = x_start; x < x_end; ++x) {
                            const float v = input[((b * in_h + y0 + y) * in_w + x0 + x) * c_n + c];
                            largest = (largest < v) ? v : largest;
                        }
                    }
                    *output++ = tf_clamp_f32(largest, &params->range);
                }
            }
        }
    }
}
