/*
 * SVDF, TFLite's integer variant: int8 input and feature weights, int16 time
 * weights and state, int32 bias, int8 output.
 *
 * Mirrors tflite::reference_ops::EvalIntegerSVDF (internal/reference/svdf.h):
 *   1. the state (per batch: filters x memory, newest value last) shifts left
 *      by one value, the whole buffer at once as TFLite's std::copy does;
 *   2. feature matmul: each filter's dot product with the input (minus its
 *      zero point), requantized by scale_1 and saturated to int16, becomes
 *      the newest state value;
 *   3. time: each filter's state . time weights (int32);
 *   4. rank reduction: the sum of each unit's `rank` filters plus bias,
 *      requantized by scale_2, plus the output zero point, clamped to int8.
 * The state persists between invokes (model_reset() zeroes it).
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void svdf_s8(const tf_svdf_params *p, const int8_t *input, int16_t *state, int8_t *output)
{
    const int32_t state_count = p->n_batch * p->n_filter * p->n_memory;
    int32_t b, f, i, k;

    for (i = 0; i + 1 < state_count; ++i) {
        state[i] = state[i + 1];
    }
    for (b = 0; b < p->n_batch; ++b) {
        const int8_t *x = input + b * p->n_input;
        int16_t *batch_state = state + b * p->n_filter * p->n_memory;
        for (f = 0; f < p->n_filter; ++f) {
            const int8_t *w = p->weights_feature + f * p->n_input;
            int32_t acc = 0;
            for (i = 0; i < p->n_input; ++i) {
                acc += (int32_t)w[i] * ((int32_t)x[i] - p->input_zero_point);
            }
            acc = tf_mbqm(acc, p->multiplier_1, p->shift_1);
            acc = acc < -32768 ? -32768 : (acc > 32767 ? 32767 : acc);
            batch_state[f * p->n_memory + p->n_memory - 1] = (int16_t)acc;
        }
        for (k = 0; k < p->n_unit; ++k) {
            int32_t acc = p->bias != 0 ? p->bias[k] : 0;
            for (f = k * p->rank; f < (k + 1) * p->rank; ++f) {
                const int16_t *s = batch_state + f * p->n_memory;
                const int16_t *w = p->weights_time + f * p->n_memory;
                int32_t dot = 0;
                for (i = 0; i < p->n_memory; ++i) {
                    dot += (int32_t)s[i] * (int32_t)w[i];
                }
                acc += dot;
            }
            acc = tf_mbqm(acc, p->multiplier_2, p->shift_2) + p->output_zero_point;
            acc = acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc);
            output[b * p->n_unit + k] = (int8_t)acc;
        }
    }
}
