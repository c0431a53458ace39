/*
 * Elementwise int8 operators (LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1,
 * LEAKY_RELU, HARD_SWISH, ABS, EXP, RSQRT) as a 256-entry table.
 *
 * Each of these maps one int8 input to one int8 output with per-tensor
 * parameters, so codegen evaluates TFLite's exact arithmetic for every
 * input byte (codegen/compiler/fixedpoint.py, codegen/compiler/ops/_lookup.py) and the device
 * does one load per value. The interpreter runs int8 LOGISTIC and TANH from
 * such a table too (activations.cc, PopulateLookupTable).
 *
 * Input and output may be the same buffer.
 */
#include "tinyforge/kernels.h"

void lookup_s8(const int8_t table[256], int32_t count, const int8_t *input, int8_t *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
