/*
 * ADD, SUB, MUL and DIV, float32, with broadcasting: TFLite's reference Add,
 * BroadcastAdd6DSlow and their SUB, MUL and DIV twins for float. One IEEE
 * operation per element, then the fused activation's clamp (a division by
 * zero gives the infinity IEEE gives, clamped, as in TFLite).
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "float_clamp.h"

#define TF_ARITHMETIC_WALK(expr)                                                 \
    do {                                                                         \
        const int32_t total = tf_shape_size(shape->shape);                       \
        tf_odometer at;                                                          \
        int32_t i;                                                               \
        tf_odometer_start(&at);                                                  \
        for (i = 0; i < total; ++i) {                                            \
            const float a = input1[at.offset[0]];                                \
            const float b = input2[at.offset[1]];                                \
            output[i] = tf_clamp_f32(expr, range);                               \
            tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);     \
        }                                                                        \
    } while (0)

void add_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output)
{
    TF_ARITHMETIC_WALK(a + b);
}

void sub_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output)
{
    TF_ARITHMETIC_WALK(a - b);
}

void mul_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output)
{
    TF_ARITHMETIC_WALK(a * b);
}

void div_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output)
{
    TF_ARITHMETIC_WALK(a / b);
}
