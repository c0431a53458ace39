/*
 * SOFTMAX, float32: TFLite's reference_ops::Softmax for float. Per row, the
 * largest value (std::max order, from the lowest float); each exponential
 * expf((x - max) * beta) stored and summed in order; then each divided by the
 * sum. expf is the C library's: the host's glibc and the boards' newlib both
 * carry Arm's optimized-routines expf, so the bits agree (the conformance
 * tests check them on every board).
 */
#include <float.h>
#include <math.h>

#include "tinyforge/kernels.h"

void softmax_f32(int32_t rows, int32_t depth, float beta, const float *input, float *output)
{
    int32_t r, c;

    for (r = 0; r < rows; ++r) {
        const float *x = input + r * depth;
        float *y = output + r * depth;
        float largest = -FLT_MAX;
        float sum = 0.0f;
        for (c = 0; c < depth; ++c) {
            largest = (largest < x[c]) ? x[c] : largest;
        }
        for (c = 0; c < depth; ++c) {
            const float e = expf((x[c] - largest) * beta);
            y[c] = e;
            sum += e;
        }
        for (c = 0; c < depth; ++c) {
            y[c] = y[c] / sum;
        }
    }
}
