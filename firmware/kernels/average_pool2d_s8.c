/*
 * AVERAGE_POOL_2D, int8 in and out with the same scale and zero point.
 *
 * Mirrors tflite::reference_integer_ops::AveragePool
 * (internal/reference/integer_ops/pooling.h): the window is clipped to the
 * input (padding cells are not counted), the raw int8 values are summed and
 * divided by the number of cells, rounding half away from zero, then
 * clamped to the fused activation range.
 *
 * The sums run over eight channels at a time, a window pixel's channels
 * being contiguous: on cores with the DSP extension as int16 pairs (two
 * words, four SXTB16 and four SADD16 per pixel), exact while a window holds
 * at most 255 cells (|sum| <= 255 * 128 < 2^15); elsewhere, and for larger
 * windows, in eight int32 sums. Leftover channels take one sum each.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
#include "pool_window.h"

#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

#define CHANNEL_BLOCK 8
#define MAX_PAIR_CELLS 255

static inline int8_t average(int32_t acc, int32_t count, const tf_pool_params *params)
{
    /* codegen rejects geometries where a window misses the input entirely (TFLite's Eval fails on
     * them), so count > 0. */
    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    if (acc < params->act_min) {
        acc = params->act_min;
    }
    if (acc > params->act_max) {
        acc = params->act_max;
    }
    return (int8_t)acc;
}

/* Sums of channels c .. c + 7 over the window, whose first pixel is `first`; rows are `row_stride`
 * bytes apart and pixels `depth` bytes. */
static inline void block_sums(const int8_t *first, int32_t rows, int32_t cols, int32_t row_stride, int32_t depth,
                              int32_t count, int32_t sums[CHANNEL_BLOCK])
{
    int32_t y, x;
#if TF_KERNELS_DSP
    if (count <= MAX_PAIR_CELLS) {
        int32_t s02 = 0, s13 = 0, s46 = 0, s57 = 0;   /* int16 pairs: channels (0,2) (1,3) (4,6) (5,7) */
        for (y = 0; y < rows; ++y) {
            const int8_t *p = first + y * row_stride;
            for (x = 0; x < cols; ++x) {
                const int32_t lo = tf_load_word(p), hi = tf_load_word(p + 4);
                s02 = __sadd16(s02, tf_sxtb16(lo));
                s13 = __sadd16(s13, tf_sxtb16_ror8(lo));
                s46 = __sadd16(s46, tf_sxtb16(hi));
                s57 = __sadd16(s57, tf_sxtb16_ror8(hi));
                p += depth;
            }
        }
        sums[0] = (int16_t)s02, sums[2] = s02 >> 16, sums[1] = (int16_t)s13, sums[3] = s13 >> 16;
        sums[4] = (int16_t)s46, sums[6] = s46 >> 16, sums[5] = (int16_t)s57, sums[7] = s57 >> 16;
        return;
    }
#else
    (void)count;
#endif
    {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (y = 0; y < rows; ++y) {
            const int8_t *p = first + y * row_stride;
            for (x = 0; x < cols; ++x) {
                a0 += p[0], a1 += p[1], a2 += p[2], a3 += p[3];
                a4 += p[4], a5 += p[5], a6 += p[6], a7 += p[7];
                p += depth;
            }
        }
        sums[0] = a0, sums[1] = a1, sums[2] = a2, sums[3] = a3;
        sums[4] = a4, sums[5] = a5, sums[6] = a6, sums[7] = a7;
    }
}

void average_pool2d_s8(const tf_pool_params *params, const tf_dims *input_dims, const int8_t *input,
                       const tf_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t depth = input_dims->c;
    const int32_t row_stride = in_w * depth;
    int32_t b, oy, ox, c, y, x, k;

    for (b = 0; b < output_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride_h - params->pad_h;
            int32_t y_start, y_end;
            tf_pool_window(y0, params->filter_h, in_h, &y_start, &y_end);
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t x0 = ox * params->stride_w - params->pad_w;
                int32_t x_start, x_end;
                tf_pool_window(x0, params->filter_w, in_w, &x_start, &x_end);
                const int32_t rows = y_end - y_start, cols = x_end - x_start;
                const int32_t count = rows * cols;
                const int8_t *window = input + ((b * in_h + y0 + y_start) * in_w + x0 + x_start) * depth;
                int8_t *out_px = output + ((b * output_dims->h + oy) * output_dims->w + ox) * depth;
                for (c = 0; c + CHANNEL_BLOCK <= depth; c += CHANNEL_BLOCK) {
                    int32_t sums[CHANNEL_BLOCK];
                    block_sums(window + c, rows, cols, row_stride, depth, count, sums);
                    for (k = 0; k < CHANNEL_BLOCK; ++k) {
                        out_px[c + k] = average(sums[k], count, params);
                    }
                }
                for (; c < depth; ++c) {
                    int32_t acc = 0;
                    for (y = 0; y < rows; ++y) {
                        const int8_t *p = window + y * row_stride + c;
                        for (x = 0; x < cols; ++x) {
                            acc += p[x * depth];
                        }
                    }
                    out_px[c] = average(acc, count, params);
                }
            }
        }
    }
}
