/*
 * MAXIMUM and MINIMUM, int8 and int16, with broadcasting up to TF_MAX_DIMS
 * dimensions.
 *
 * TFLite's maximum_minimum.cc compares the stored integers and writes the
 * winner unchanged (MaximumMinimumBroadcastSlow): no offsets, no rescaling.
 * Its converter gives both inputs and the output one quantization, so that is
 * the real maximum; where a file says otherwise, TFLite still compares the raw
 * values, and so do these.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"

/* One walk over the output; `larger` picks maximum (1) or minimum (0). */
#define TF_PICK_WALK(type, larger)                                               \
    do {                                                                         \
        const int32_t total = tf_shape_size(shape->shape);                       \
        tf_odometer at;                                                          \
        int32_t i;                                                               \
        tf_odometer_start(&at);                                                  \
        for (i = 0; i < total; ++i) {                                            \
            const type a = input1[at.offset[0]];                                 \
            const type b = input2[at.offset[1]];                                 \
            output[i] = ((a > b) == (larger)) ? a : b;                           \
            tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);     \
        }                                                                        \
    } while (0)

void maximum_s8(const tf_broadcast *shape, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    TF_PICK_WALK(int8_t, 1);
}

void minimum_s8(const tf_broadcast *shape, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    TF_PICK_WALK(int8_t, 0);
}

void maximum_s16(const tf_broadcast *shape, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    TF_PICK_WALK(int16_t, 1);
}

void minimum_s16(const tf_broadcast *shape, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    TF_PICK_WALK(int16_t, 0);
}
