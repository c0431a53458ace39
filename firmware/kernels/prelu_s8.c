/*
 * PRELU, int8: the numbers of TFLite's reference Prelu / BroadcastPrelu4DSlow.
 * An input at or above its zero point is rescaled by input scale / output
 * scale; one below it is multiplied by its (offset) alpha and rescaled by
 * input scale * alpha scale / output scale. Both rescales are
 * MultiplyByQuantizedMultiplier; the result is clamped to int8.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void prelu_s8(const tf_prelu_params *params, const tf_broadcast *shape, const int8_t *input,
              const int8_t *alpha, int8_t *output)
{
    const int32_t total = tf_shape_size(shape->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        const int32_t x = params->input_offset + input[at.offset[0]];
        int32_t out;
        if (x >= 0) {
            out = tf_mbqm(x, params->multiplier_1, params->shift_1);
        } else {
            out = tf_mbqm(x * (params->alpha_offset + alpha[at.offset[1]]), params->multiplier_2, params->shift_2);
        }
        output[i] = tf_offset_clamp(out, params->output_offset, -128, 127);
        tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);
    }
}
