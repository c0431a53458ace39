/*
 * AVERAGE_POOL_2D and MAX_POOL_2D with int16 activations (16x8), zero points
 * 0: TFLite's reference_integer_ops::AveragePool and MaxPool for int16_t.
 * The window is clipped to the input. The average sums in int32 and divides
 * by the count, rounding half away from zero; the maximum starts from
 * -32768. Both are clamped to the fused activation.
 */
#include "tinyforge/kernels.h"

#include "pool_window.h"

#define TF_POOL_S16_WALK(start, step, finish)                                                         \
    do {                                                                                             \
        const int32_t in_h = input_dims->h, in_w = input_dims->w, depth = input_dims->c;            \
        int32_t b, oy, ox, c, y, x;                                                                  \
        for (b = 0; b < output_dims->n; ++b) {                                                       \
            for (oy = 0; oy < output_dims->h; ++oy) {                                                \
                const int32_t y0 = oy * params->stride_h - params->pad_h;                            \
                int32_t y_start, y_end;                                                              \
                tf_pool_window(y0, params->filter_h, in_h, &y_start, &y_end);                        \
                for (ox = 0; ox < output_dims->w; ++ox) {                                            \
                    const int32_t x0 = ox * params->stride_w - params->pad_w;                        \
                    int32_t x_start, x_end;                                                          \
                    tf_pool_window(x0, params->filter_w, in_w, &x_start, &x_end);                    \
                    for (c = 0; c < depth; ++c) {                                                    \
                        int32_t acc = (start), count = 0;                                            \
                        for (y = y_start; y < y_end; ++y) {                                          \
                            for (x = x_start; x < x_end; ++x) {                                      \
                                const int32_t v = input[((b * in_h + y0 + y) * in_w + x0 + x) * depth + c]; \
                                step;                                                                \
                                ++count;                                                             \
                            }                                                                        \
                        }                                                                            \
                        finish;                                                                      \
                        acc = acc < params->act_min ? params->act_min : acc;                         \
                        acc = acc > params->act_max ? params->act_max : acc;                         \
                        *output++ = (int16_t)acc;                                                    \
                    }                                                                                \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    } while (0)

void average_pool2d_s16(const tf_pool_params *params, const tf_dims *input_dims, const int16_t *input,
                        const tf_dims *output_dims, int16_t *output)
{
    TF_POOL_S16_WALK(0, acc += v,
                     acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count);
}

void max_pool2d_s16(const tf_pool_params *params, const tf_dims *input_dims, const int16_t *input,
                    const tf_dims *output_dims, int16_t *output)
{
    TF_POOL_S16_WALK(-32768, acc = v > acc ? v : acc, (void)count);
}
