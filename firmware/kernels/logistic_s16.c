/*
 * LOGISTIC with int16 input and output (16x8 quantization), bit-exact with
 * TFLite's reference_integer_ops::Logistic for int16.
 *
 * The input is rescaled to steps of 1/(3*4096) (codegen computes multiplier
 * and shift as SigmoidPrepare does), then sigmoid(|x|) is interpolated
 * linearly between entries of a 256-entry table of sigmoid(i/24) in unsigned
 * 0.16, 512 rescaled steps apart; negative inputs use sigmoid(-x) =
 * 1 - sigmoid(x). The output is in steps of 1/32768, zero point 0.
 *
 * Input and output may be the same buffer.
 */
#include "tinyforge/kernels.h"

#include "sigmoid_table_s16.h"

void logistic_s16(const uint16_t table[256], int32_t multiplier, int32_t shift, int32_t count,
                  const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t x = tf_s16_rescale(input[i], multiplier, shift);
        uint32_t result = tf_sigmoid_table_at(table, (uint32_t)(x >= 0 ? x : -x), 9, 0x7FFFu << 10);
        /* Round to 15 fractional bits; for x < 0 take 1 - sigmoid(|x|) in 0.25. */
        result = x >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
        output[i] = (int16_t)(result >> 10);
    }
}
