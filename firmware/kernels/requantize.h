/*
 * Internal fixed-point helpers shared by the int8 kernels.
 *
 * These reproduce, bit for bit, the integer arithmetic that TensorFlow Lite's
 * reference kernels inherit from gemmlowp (fixedpoint/fixedpoint.h) and from
 * tensorflow/lite/kernels/internal/common.h. Being bit-exact with the
 * BUILTIN_REF interpreter depends on every rounding detail here, so each
 * helper names the function whose behaviour it copies.
 *
 * Not part of the public API: include only from firmware/kernels/ sources.
 */
#ifndef TINYFORGE_KERNELS_REQUANTIZE_H
#define TINYFORGE_KERNELS_REQUANTIZE_H

#include <stdint.h>

#include "core_features.h"
#include "tinyforge/kernels.h"

#if defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

#define TF_INT32_MAX ((int32_t)0x7fffffff)
#define TF_INT32_MIN ((int32_t)(-TF_INT32_MAX - 1))

/*
 * Arithmetic (flooring) right shift. Right-shifting a negative signed value
 * is implementation-defined in C99; gemmlowp assumes it floors. ~x is
 * non-negative for negative x, so this form is well defined everywhere and
 * still compiles to a single ASR on GCC/Clang for ARM and x86.
 */
static inline int32_t tf_asr(int32_t x, int exponent)
{
    return (x < 0) ? ~(~x >> exponent) : (x >> exponent);
}

/*
 * gemmlowp::SaturatingRoundingDoublingHighMul for int32: the high 32 bits of
 * 2*a*b, rounded to nearest (gemmlowp's sign-dependent nudge and
 * truncating division amount to ties toward +infinity, see below). The only
 * overflowing input, INT32_MIN * INT32_MIN, saturates to INT32_MAX.
 */
#if TF_KERNELS_ARMV6M
/* ARMv6-M has no 32x32->64 multiply, and a 64-bit product in C is a library call. The signed product of
 * a and b from four 16x16 partial products (MULS), a = ah * 2^16 + al with al in [0, 2^16):
 *     a * b = ah*bh * 2^32 + (ah*bl + al*bh) * 2^16 + al*bl,
 * each partial product exact in 32 bits, summed into (hi, lo) with explicit carries. */
static inline void tf_smull_armv6m(int32_t a, int32_t b, uint32_t *lo_out, uint32_t *hi_out)
{
    const uint32_t al = (uint32_t)a & 0xffffu, bl = (uint32_t)b & 0xffffu;
    const int32_t ah = tf_asr(a, 16), bh = tf_asr(b, 16);
    const int32_t m1 = ah * (int32_t)bl, m2 = (int32_t)al * bh;
    uint32_t lo = al * bl;
    uint32_t hi = (uint32_t)(ah * bh);
    uint32_t add = (uint32_t)m1 << 16;
    lo += add;
    hi += (uint32_t)tf_asr(m1, 16) + (lo < add ? 1u : 0u);
    add = (uint32_t)m2 << 16;
    lo += add;
    hi += (uint32_t)tf_asr(m2, 16) + (lo < add ? 1u : 0u);
    *lo_out = lo;
    *hi_out = hi;
}

/* tf_srdhm below, with the product from tf_smull_armv6m. */
static inline int32_t tf_srdhm(int32_t a, int32_t b)
{
    uint32_t lo, hi;
    const uint32_t round = (uint32_t)1 << 30;
    if (a == TF_INT32_MIN && b == TF_INT32_MIN) {
        return TF_INT32_MAX;
    }
    tf_smull_armv6m(a, b, &lo, &hi);
    lo += round;
    hi += lo < round ? 1u : 0u;
    return (int32_t)((lo >> 31) | (hi << 1));
}
#else
static inline int32_t tf_srdhm(int32_t a, int32_t b)
{
    int64_t v;
    if (a == TF_INT32_MIN && b == TF_INT32_MIN) {
        return TF_INT32_MAX;
    }
    /* gemmlowp adds 2^30 (or 1 - 2^30 for a negative product) and divides
     * by 2^31 truncating toward zero; for integers that equals
     * floor((ab + 2^30) / 2^31), since trunc((t - 2^31 + 1) / N) for t < 0
     * is floor(t / N) with N = 2^31. The floor is one arithmetic shift
     * instead of a 64-bit division, which dominates the requantization cost. */
    v = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
    /* Bits 31..62 of v are floor(v / 2^31), which fits int32; taken from
     * the two halves so no signed shift is involved (SMULL, ADDS, ADC, and
     * two shifts on ARMv7-M). */
    return (int32_t)(((uint32_t)v >> 31) | ((uint32_t)((uint64_t)v >> 32) << 1));
}
#endif

/*
 * gemmlowp::RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties
 * away from zero (the threshold is raised by one for negative x).
 * exponent must be in [0, 31].
 */
static inline int32_t tf_rdbpot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + ((x < 0) ? 1 : 0);
    return tf_asr(x, exponent) + ((remainder > threshold) ? 1 : 0);
}

/*
 * tflite::MultiplyByQuantizedMultiplier (internal/common.h) in its default
 * build, i.e. without TFLITE_SINGLE_ROUNDING: a left shift for positive
 * shifts, a rounding doubling high multiply, then a second rounding for
 * negative shifts. Two roundings differ from the single-rounding variant
 * in ties; the pip TensorFlow 2.21 BUILTIN_REF CONV_2D and DEPTHWISE_CONV_2D
 * use this one (tests/test_kernels.py fails on ~1 output in 1000 with the
 * single-rounding form). FULLY_CONNECTED does not: see tf_mbqm_single.
 *
 * The left shift multiplies in uint32 because TFLite's "x * (1 << shift)"
 * wraps on the targets it runs on, and signed overflow would be UB in C.
 */
static inline int32_t tf_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left_shift = shift > 0 ? (int)shift : 0;
    const int right_shift = shift > 0 ? 0 : (int)-shift;
    const int32_t shifted = (int32_t)((uint32_t)x << left_shift);
    return tf_rdbpot(tf_srdhm(shifted, multiplier), right_shift);
}

/* tf_mbqm as a call: a fast form's fallback, kept out of line so the compiler does not compute it ahead of
 * the fast form's branch on every element. */
#if defined(__GNUC__)
__attribute__((noinline, unused))
#endif
static int32_t tf_mbqm_out_of_line(int32_t x, int32_t multiplier, int32_t shift)
{
    return tf_mbqm(x, multiplier, shift);
}

/*
 * Single-rounding MultiplyByQuantizedMultiplier: round(x * multiplier /
 * 2^(31 - shift)) with ties toward +infinity, computed exactly in 64 bits.
 * This is the TFLITE_SINGLE_ROUNDING form of the function in
 * internal/common.cc. The pip TensorFlow 2.21 interpreter's int8
 * FULLY_CONNECTED (per-tensor and per-channel) matches this, not the
 * double-rounding form that its CONV_2D and DEPTHWISE_CONV_2D match; the
 * two disagree by one LSB when the first rounding lands on a tie
 * (tests/test_kernels.py shows cases). Requires shift <= 30, i.e. a real
 * multiplier below 2^30; FC layers have multipliers far below 1.
 */
static inline int32_t tf_mbqm_single(int32_t x, int32_t multiplier, int32_t shift)
{
    const int total_shift = 31 - (int)shift;
    const int64_t prod = (int64_t)x * (int64_t)multiplier + ((int64_t)1 << (total_shift - 1));
    /* flooring shift, portable for negative values (see tf_asr) */
    return (int32_t)((prod < 0) ? ~(~prod >> total_shift) : (prod >> total_shift));
}

/*
 * tf_mbqm for what every tuned convolution kernel meets, checked by codegen
 * before it selects one (codegen/compiler/layouts/channel_requant.py): a multiplier
 * >= 0, a right shift s of 1..31 (real multiplier below 1/2) and
 * |acc| < 2^30. Same double rounding, fewer instructions:
 *  - The high multiply h is floor((acc * m + 2^30) / 2^31) =
 *    floor((2 * acc * m + 2^31) / 2^32), with 2 * acc still an int32: one
 *    SMMULR on cores with the DSP extension, and on the others SMULL plus the
 *    carry of adding 2^31 to the low word, which is its top bit. The
 *    INT32_MIN * INT32_MIN case cannot occur (the multiplier is not
 *    negative).
 *  - RoundingDivideByPOT(h, s) rounds half away from zero:
 *    floor((h' + 2^(s-1)) / 2^s) with h' = h - (h < 0). With d = 2^(s-1)
 *    that is floor((floor(h' / d) + 1) / 2), since nested floors by
 *    integers compose. This returns the inner floor, "halves":
 *    the channel table stores s - 1, so no per-channel nudge is built, and
 *    the caller's final halving absorbs the +1 and the output zero point in
 *    one constant (tf_rounding_offset) and, on ARM, rides on SSAT's shifted
 *    operand.
 */
/* Forced inline: five instructions, and GCC 12 made it a call in pointwise_conv_s8's M3 loops, where the call
 * cost as much as the arithmetic. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int32_t tf_mbqm_fast_halves(int32_t acc, int32_t multiplier, int32_t shift_less_one)
{
    const int32_t doubled = (int32_t)((uint32_t)acc << 1);
#if TF_KERNELS_DSP
    int32_t high;
    __asm__("smmulr %0, %1, %2" : "=r"(high) : "r"(doubled), "r"(multiplier));   /* not in GCC 12's ACLE */
#elif TF_KERNELS_ARMV6M
    uint32_t lo, hi;
    tf_smull_armv6m(doubled, multiplier, &lo, &hi);
    const int32_t high = (int32_t)hi + (int32_t)(lo >> 31);
#else
    const int64_t product = (int64_t)doubled * (int64_t)multiplier;
    const int32_t high = (int32_t)((uint64_t)product >> 32) + (int32_t)((uint32_t)product >> 31);
#endif
    return tf_asr(high + tf_asr(high, 31), shift_less_one);
}

/*
 * tf_mbqm for a multiplier >= 0 (codegen's always are), in fewer instructions where it can:
 *  - A left shift (an effective scale of 1 or more, as an LSTM's input weights often have) leaves no second
 *    rounding, and SaturatingRoundingDoublingHighMul of the wrapped shifted value a is
 *    floor((a * m + 2^30) / 2^31) (see tf_mbqm_fast_halves above), which cannot saturate with m >= 0: one
 *    64-bit multiply-accumulate and a shift.
 *  - A right shift of 1..31 with x in [-2^30, 2^30) takes tf_mbqm_fast_halves and the final halving.
 * Everything else, and everything on ARMv6-M (no SMULL), takes tf_mbqm. tests/test_kernels.py compares the
 * two on every shift and on both sides of each limit.
 */
/* The two short forms, for the conditions tf_mbqm_fast_form checks. */
#if defined(__GNUC__)
__attribute__((always_inline))   /* as the expression it names: callers' code is unchanged */
#endif
static inline int32_t tf_mbqm_left_form(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t shifted = (int32_t)((uint32_t)x << shift);
    const int64_t rounded = (int64_t)shifted * multiplier + ((int64_t)1 << 30);
    return (int32_t)(rounded < 0 ? ~(~rounded >> 31) : rounded >> 31);
}

#if defined(__GNUC__)
__attribute__((always_inline))   /* as the expression it names: callers' code is unchanged */
#endif
static inline int32_t tf_mbqm_right_form(int32_t x, int32_t multiplier, int32_t shift)
{
    return tf_asr(tf_mbqm_fast_halves(x, multiplier, -shift - 1) + 1, 1);
}

static inline int32_t tf_mbqm_fast_form(int32_t x, int32_t multiplier, int32_t shift)
{
#if TF_KERNELS_ARMV6M
    /* Without SMULL both forms cost more than tf_mbqm's own (tf_smull_armv6m serves them all). */
    return tf_mbqm(x, multiplier, shift);
#else
    if (multiplier >= 0) {
        if (shift >= 0 && shift <= 31) {
            return tf_mbqm_left_form(x, multiplier, shift);
        }
        if (shift <= -1 && shift >= -31 && (uint32_t)x + 0x40000000u < 0x80000000u) {
            return tf_mbqm_right_form(x, multiplier, shift);
        }
    }
    return tf_mbqm_out_of_line(x, multiplier, shift);
#endif
}

/* tf_mbqm_fast_form with its choice of form made once, for a caller whose multiplier and shift serve many
 * values (an LSTM gate's): tf_mbqm_form decides it, tf_mbqm_in_form takes it as a constant. */
enum { TF_MBQM_LEFT, TF_MBQM_RIGHT, TF_MBQM_GENERAL };

static inline int tf_mbqm_form(int32_t multiplier, int32_t shift)
{
#if TF_KERNELS_ARMV6M
    (void)multiplier;
    (void)shift;
    return TF_MBQM_GENERAL;
#else
    if (multiplier >= 0 && shift >= 0 && shift <= 31) {
        return TF_MBQM_LEFT;
    }
    return multiplier >= 0 && shift <= -1 && shift >= -31 ? TF_MBQM_RIGHT : TF_MBQM_GENERAL;
#endif
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int32_t tf_mbqm_in_form(int32_t x, int32_t multiplier, int32_t shift, int form)
{
#if !TF_KERNELS_ARMV6M
    if (form == TF_MBQM_LEFT) {
        return tf_mbqm_left_form(x, multiplier, shift);
    }
    if (form == TF_MBQM_RIGHT && (uint32_t)x + 0x40000000u < 0x80000000u) {
        return tf_mbqm_right_form(x, multiplier, shift);
    }
#endif
    (void)form;
    return tf_mbqm_out_of_line(x, multiplier, shift);
}

/* The constant a kernel adds to tf_mbqm_fast_halves before halving: the rounding's +1 and twice the
 * output zero point. Computed once per layer. */
static inline int32_t tf_rounding_offset(int32_t output_offset)
{
    return 2 * output_offset + 1;
}

/* Clamp to int8: one SSAT on ARM. */
static inline int32_t tf_saturate_s8(int32_t x)
{
#if defined(__ARM_FEATURE_SAT)
    return __ssat(x, 8);
#else
    return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

/* Add the output zero point to a requantized accumulator and clamp to the
 * fused activation range, as the tail of every reference_integer_ops kernel
 * does. */
static inline int8_t tf_offset_clamp(int32_t acc, int32_t output_offset,
                                     int32_t act_min, int32_t act_max)
{
    acc += output_offset;
    if (acc < act_min) {
        acc = act_min;
    }
    if (acc > act_max) {
        acc = act_max;
    }
    return (int8_t)acc;
}

/* The output stage of the tuned convolutions for a sum that already holds
 * the channel's bias: its tf_mbqm_fast_halves requantization, the final
 * halving with the zero point (rounding_offset =
 * tf_rounding_offset(output_offset)) and the activation clamp. */
static inline int8_t tf_biased_output(int32_t biased, const tf_channel_requant *channel, int32_t rounding_offset,
                                      int32_t act_min, int32_t act_max)
{
    int32_t out = tf_asr(tf_mbqm_fast_halves(biased, channel->multiplier, channel->shift_less_one) + rounding_offset,
                         1);
    if (out < act_min) {
        out = act_min;
    }
    if (out > act_max) {
        out = act_max;
    }
    return (int8_t)out;
}

/* tf_biased_output for a layer whose activation range is all of int8 (no fused activation, or a
 * ReLU whose zero point is -128): the clamp is one SSAT, whose operand shift does the halving.
 * Kernels test the range once per layer and take this in their output loop, where it saves the two
 * compare-and-select pairs and the registers that held the range. */
static inline int8_t tf_biased_output_full_range(int32_t biased, const tf_channel_requant *channel,
                                                 int32_t rounding_offset)
{
    return (int8_t)tf_saturate_s8(
        tf_asr(tf_mbqm_fast_halves(biased, channel->multiplier, channel->shift_less_one) + rounding_offset, 1));
}

/* The same for a sum without the bias. */
static inline int8_t tf_channel_output(int32_t sum, const tf_channel_requant *channel, int32_t rounding_offset,
                                       int32_t act_min, int32_t act_max)
{
    return tf_biased_output(sum + channel->bias, channel, rounding_offset, act_min, act_max);
}

static inline int8_t tf_channel_output_full_range(int32_t sum, const tf_channel_requant *channel,
                                                  int32_t rounding_offset)
{
    return tf_biased_output_full_range(sum + channel->bias, channel, rounding_offset);
}

/* tf_channel_output for a layer whose upper bound is 127 (no activation, RELU): the full-range stage's
 * SSAT does the upper clamp, and only the lower bound is compared. */
static inline int8_t tf_channel_output_upper_127(int32_t sum, const tf_channel_requant *channel,
                                                 int32_t rounding_offset, int32_t act_min)
{
    const int32_t out = tf_biased_output_full_range(sum + channel->bias, channel, rounding_offset);
    return (int8_t)(out < act_min ? act_min : out);
}

/* True when the _full_range output stages may stand in for the clamping ones. */
static inline int tf_full_range(int32_t act_min, int32_t act_max)
{
    return act_min == -128 && act_max == 127;
}

#endif /* TINYFORGE_KERNELS_REQUANTIZE_H */
