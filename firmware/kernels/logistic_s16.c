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

void logistic_s16(const uint16_t table[256], int32_t multiplier, int32_t shift, int32_t count,
                  const int16_t *input, int16_t *output)
{
    const int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
    int32_t i;

    for (i = 0; i < count; ++i) {
        /* Arithmetic right shift on negative values, as TFLite's own C++ relies on. */
        const int32_t x = ((int32_t)input[i] * multiplier + round) >> shift;
        const uint32_t magnitude = (uint32_t)(x >= 0 ? x : -x);
        const uint32_t index = magnitude >> 9;
        uint32_t result;

        if (index >= 255) {
            result = 0x7FFFu << 10;
        } else {
            const uint32_t below = table[index];
            const uint32_t above = table[index + 1];
            /* The table increases, so above - below does not wrap. */
            result = (below << 9) + (magnitude & 0x1FFu) * (above - below);
        }
        /* Round to 15 fractional bits; for x < 0 take 1 - sigmoid(|x|) in 0.25. */
        result = x >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
        output[i] = (int16_t)(result >> 10);
    }
}
