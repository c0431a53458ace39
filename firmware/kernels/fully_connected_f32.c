/*
 * FULLY_CONNECTED, float32: the loop of TFLite's reference_ops::FullyConnected
 * for float. Each output sums input times weight in input order from 0.0f,
 * then adds the bias (0.0f without one) and clamps to the fused activation.
 * Built with -ffp-contract=off, every product and sum is rounded on its own,
 * as in TFLite, so the bits agree on every core (FPU or soft float).
 */
#include "tinyforge/kernels.h"

#include "float_clamp.h"

void fully_connected_f32(const tf_float_range *range, int32_t batches, int32_t input_depth, const float *input,
                         int32_t output_depth, const float *weights, const float *bias, float *output)
{
    int32_t b, o, d;

    for (b = 0; b < batches; ++b) {
        const float *x = input + b * input_depth;
        for (o = 0; o < output_depth; ++o) {
            const float *w = weights + o * input_depth;
            float total = 0.0f;
            for (d = 0; d < input_depth; ++d) {
                total += x[d] * w[d];
            }
            output[b * output_depth + o] = tf_clamp_f32(total + (bias != 0 ? bias[o] : 0.0f), range);
        }
    }
}
