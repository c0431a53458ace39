/*
 * TANH with int16 input and output (16x8 quantization), bit-exact with
 * TFLite's reference_integer_ops::Tanh for int16.
 *
 * tanh(x) = 2 * sigmoid(2x) - 1, so this interpolates the same 256-entry
 * sigmoid table as logistic_s16 (sigmoid(i/24) in unsigned 0.16), with
 * entries 256 rescaled input steps apart instead of 512. codegen computes
 * multiplier and shift as TanhPrepare does. Output in steps of 1/32768.
 *
 * Input and output may be the same buffer.
 */
#include "tinyforge/kernels.h"

#include "sigmoid_table_s16.h"

void tanh_s16(const uint16_t table[256], int32_t multiplier, int32_t shift, int32_t count,
              const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t x = tf_s16_rescale(input[i], multiplier, shift);
        int32_t result = (int32_t)tf_sigmoid_table_at(table, (uint32_t)(x >= 0 ? x : -x), 8, 0xFFFFu << 8);
        /* 2 * sigmoid - 1 in 0.23 with rounding; odd symmetry for x < 0. */
        result = x >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
        output[i] = (int16_t)(result >> 8);
    }
}
