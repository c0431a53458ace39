/*
 * The interpolated table lookup TFLite's int16 LOGISTIC and TANH share
 * (reference_integer_ops/logistic.h and tanh.h): the input rescaled by the
 * multiplier and shift codegen computed as their Prepare does, then
 * sigmoid(|x|) read from a 256-entry unsigned 0.16 table, linearly between
 * entries 2^step_bits rescaled steps apart. Internal: include only from
 * firmware/kernels/ sources.
 */
#ifndef TINYFORGE_KERNELS_SIGMOID_TABLE_S16_H
#define TINYFORGE_KERNELS_SIGMOID_TABLE_S16_H

#include <stdint.h>

static inline int32_t tf_s16_rescale(int16_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
    /* Arithmetic right shift on negative values, as TFLite's own C++ relies on. */
    return ((int32_t)x * multiplier + round) >> shift;
}

/* sigmoid(magnitude) in 0.(16 + step_bits); `saturated` past the table's last entry, as TFLite writes it. */
static inline uint32_t tf_sigmoid_table_at(const uint16_t table[256], uint32_t magnitude, int step_bits,
                                           uint32_t saturated)
{
    const uint32_t index = magnitude >> step_bits;
    if (index >= 255) {
        return saturated;
    }
    /* The table increases, so above - below does not wrap. */
    return ((uint32_t)table[index] << step_bits) +
           (magnitude & ((1u << step_bits) - 1u)) * ((uint32_t)table[index + 1] - table[index]);
}

#endif
