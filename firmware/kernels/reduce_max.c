/*
 * REDUCE_MAX, int8 and int16, over any set of axes.
 *
 * TFLite's reduce.cc takes the largest stored value of each output's reduced
 * elements (ReduceGeneric with the type's lowest value to start from): no
 * offsets, no rescaling, since input and output share one quantization.
 * The walk is mean_s8's: outputs in order, the reduced elements of each by a
 * second walk with the reduced axes' counts and steps.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"

#define TF_REDUCE_MAX_WALK(type, lowest)                                              \
    do {                                                                              \
        const int32_t outputs = tf_shape_size(params->kept_shape);                    \
        tf_odometer out_at;                                                           \
        int32_t o, r;                                                                 \
        tf_odometer_start(&out_at);                                                   \
        for (o = 0; o < outputs; ++o) {                                               \
            tf_odometer in_at;                                                        \
            type best = (lowest);                                                     \
            tf_odometer_start(&in_at);                                                \
            for (r = 0; r < params->count; ++r) {                                     \
                const type v = input[out_at.offset[0] + in_at.offset[0]];             \
                best = v > best ? v : best;                                           \
                tf_odometer_next(&in_at, params->reduced_shape, params->reduced_step, 0); \
            }                                                                         \
            output[o] = best;                                                         \
            tf_odometer_next(&out_at, params->kept_shape, params->kept_step, 0);      \
        }                                                                             \
    } while (0)

void reduce_max_s8(const tf_mean_params *params, const int8_t *input, int8_t *output)
{
    TF_REDUCE_MAX_WALK(int8_t, -128);
}

void reduce_max_s16(const tf_mean_params *params, const int16_t *input, int16_t *output)
{
    TF_REDUCE_MAX_WALK(int16_t, -32768);
}
