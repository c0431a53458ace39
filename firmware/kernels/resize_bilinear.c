/*
 * RESIZE_BILINEAR, int8 and int16: the numbers of TFLite's
 * ResizeBilinearInteger. rows[3 * y .. 3 * y + 2] hold output row y's two
 * input rows and the weight of the second in 1/1024ths (codegen computes
 * them as ComputeInterpolationValuesInteger does; with half-pixel centres the
 * weight may fall outside [0, 1024]); columns likewise. The four pixels are
 * blended into a 20-bit fraction, rounded half away from zero and truncated,
 * without requantizing, as TFLite does. The int8 blend fits in int32
 * (|v| * 1536 * 1536 < 2^29); the int16 one needs 64 bits.
 */
#include "tinyforge/kernels.h"

#define TF_BILINEAR_WALK(type, acc_type)                                                           \
    do {                                                                                           \
        const int32_t c_n = params->channels;                                                      \
        int32_t b, y, x, c;                                                                        \
        for (b = 0; b < params->batches; ++b) {                                                    \
            const type *image = input + b * params->input_height * params->input_width * c_n;      \
            for (y = 0; y < params->output_height; ++y) {                                          \
                const type *row0 = image + params->rows[3 * y] * params->input_width * c_n;        \
                const type *row1 = image + params->rows[3 * y + 1] * params->input_width * c_n;    \
                const int32_t wy = params->rows[3 * y + 2];                                        \
                for (x = 0; x < params->output_width; ++x) {                                       \
                    const int32_t x0 = params->columns[3 * x] * c_n;                               \
                    const int32_t x1 = params->columns[3 * x + 1] * c_n;                           \
                    const int32_t wx = params->columns[3 * x + 2];                                 \
                    for (c = 0; c < c_n; ++c) {                                                    \
                        const acc_type sum = (acc_type)row0[x0 + c] * (1024 - wy) * (1024 - wx) +  \
                                             (acc_type)row1[x0 + c] * wy * (1024 - wx) +           \
                                             (acc_type)row0[x1 + c] * (1024 - wy) * wx +           \
                                             (acc_type)row1[x1 + c] * wy * wx;                     \
                        const acc_type half = sum > 0 ? (1 << 19) : -(1 << 19);                    \
                        *output++ = (type)((sum + half) / (1 << 20));                              \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

void resize_bilinear_s8(const tf_resize_bilinear_params *params, const int8_t *input, int8_t *output)
{
    TF_BILINEAR_WALK(int8_t, int32_t);
}

void resize_bilinear_s16(const tf_resize_bilinear_params *params, const int16_t *input, int16_t *output)
{
    TF_BILINEAR_WALK(int16_t, int64_t);
}
