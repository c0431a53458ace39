/*
 * Internal: requantizing a 64-bit accumulator (16x8 FULLY_CONNECTED and
 * CONV_2D). Not part of the public API: include only from firmware/kernels/.
 *
 * The TF 2.21 interpreter's kernels do not agree on one form, so there are two,
 * each measured against it (tests/conformance/): 16x8 FULLY_CONNECTED rounds
 * acc * multiplier / 2^(31 - shift) once, ties toward +infinity (tf_mbqm64;
 * the other form gets about one output in thirty wrong there), and 16x8
 * CONV_2D first rounds the multiplier to 16 bits (tf_mbqm64_reduced; the
 * single rounding gets a few outputs per case wrong there).
 */
#ifndef TINYFORGE_KERNELS_REQUANTIZE_S64_H
#define TINYFORGE_KERNELS_REQUANTIZE_S64_H

#include <stdint.h>

/* floor(x / 2^n) for any sign (right-shifting negatives is implementation-defined in C99). */
static inline int64_t tf_floor_shift64(int64_t x, int n)
{
    return x < 0 ? ~(~x >> n) : (x >> n);
}

/* round(x * multiplier / 2^(31 - shift)) exactly, for |x| < 2^47 and shift <= 7: x * multiplier can
 * need 78 bits, so x is split at bit 24 and the low part's contribution carried in first. */
static inline int32_t tf_mbqm64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int total_shift = 31 - (int)shift;
    const int64_t high = tf_floor_shift64(x, 24);
    const int64_t low = x - high * ((int64_t)1 << 24);
    const int64_t low_part = tf_floor_shift64(low * multiplier + ((int64_t)1 << (total_shift - 1)), 24);
    return (int32_t)tf_floor_shift64(high * multiplier + low_part, total_shift - 24);
}

/*
 * tflite::MultiplyByQuantizedMultiplier(int64_t, int32_t, int) in its default
 * (double-rounding) build, internal/common.cc: the multiplier is first rounded
 * to 16 bits (0x7FFF at most), then x * that is rounded once by 15 - shift
 * bits. The 16x8 CONV_2D of the TF 2.21 interpreter matches this one.
 */
static inline int32_t tf_mbqm64_reduced(int64_t x, int32_t multiplier, int32_t shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - (int)shift;
    return (int32_t)tf_floor_shift64(x * reduced + ((int64_t)1 << (total_shift - 1)), total_shift);
}

#endif
