/*
 * 16-bit fixed-point logistic and tanh, bit-exact with gemmlowp's
 * fixedpoint.h for FixedPoint<int16_t, IntegerBits>, which TFLite's integer
 * LSTM applies to its gates (tensor_utils ApplySigmoid / ApplyTanh).
 *
 * gemmlowp fixes the number of integer bits at compile time; here it is a
 * run-time argument, so each helper takes the format it works in.
 * Arithmetic mirrors gemmlowp's scalar int16 primitives: Add/Sub/Neg wrap,
 * SaturatingRoundingMultiplyByPOT saturates on left shifts and rounds on
 * right shifts, products use SaturatingRoundingDoublingHighMul.
 *
 * Not part of the public API: include only from firmware/kernels/ sources.
 */
#ifndef TINYFORGE_KERNELS_FIXEDPOINT_S16_H
#define TINYFORGE_KERNELS_FIXEDPOINT_S16_H

#include <stddef.h>
#include <stdint.h>

/* Forced inline: called with constant formats (the LSTM's gates are Q3.12),
 * the shifts, masks and the barrel shifter's loop fold away; as calls, which
 * GCC chose at -O3 for code size, they cost several times the arithmetic. */
#if defined(__GNUC__)
#define TF_FP16_INLINE static inline __attribute__((always_inline))
#else
#define TF_FP16_INLINE static inline
#endif

#define TF_INT16_MAX 32767
#define TF_INT16_MIN (-32768)

TF_FP16_INLINE int16_t tf_wrap16(int32_t x)
{
    return (int16_t)(uint16_t)(uint32_t)x;
}

TF_FP16_INLINE int16_t tf_sat16(int32_t x)
{
    return (int16_t)(x > TF_INT16_MAX ? TF_INT16_MAX : (x < TF_INT16_MIN ? TF_INT16_MIN : x));
}

/* gemmlowp::SaturatingRoundingDoublingHighMul<int16_t>: (ab + nudge) / 2^15 truncated toward zero, the
 * nudge 2^14 for ab >= 0 and 1 - 2^14 below. Both cases are floor((ab + 2^14) / 2^15): for ab = -m < 0,
 * -floor((m + 2^14 - 1) / 2^15) = floor((2^14 - m) / 2^15). The one product that overflows, -2^15 * -2^15,
 * gives 2^15 there, and saturating to int16 gives gemmlowp's 2^15 - 1. So: a multiply, an add and one
 * SSAT with a shifted operand, instead of a compare and a signed division. */
TF_FP16_INLINE int16_t tf_srdhm16(int16_t a, int16_t b)
{
    const int32_t rounded = (int32_t)a * (int32_t)b + (1 << 14);
    /* a flooring shift, portable for negative values */
    return tf_sat16(rounded < 0 ? ~(~rounded >> 15) : rounded >> 15);
}

/* gemmlowp::RoundingDivideByPOT<int16_t>. */
TF_FP16_INLINE int16_t tf_rdbpot16(int16_t x, int exponent)
{
    const int32_t mask = (1 << exponent) - 1;
    const int32_t remainder = (int32_t)x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    const int32_t shifted = (x < 0) ? ~(~(int32_t)x >> exponent) : ((int32_t)x >> exponent);
    return (int16_t)(shifted + (remainder > threshold ? 1 : 0));
}

/* gemmlowp::SaturatingRoundingMultiplyByPOT<exponent> on int16. */
TF_FP16_INLINE int16_t tf_srmbpot16(int16_t x, int exponent)
{
    if (exponent > 0) {
        const int32_t threshold = (1 << (15 - exponent)) - 1;
        if (x > threshold) {
            return TF_INT16_MAX;
        }
        if (x < -threshold) {
            return TF_INT16_MIN;
        }
        return (int16_t)((int32_t)x * (1 << exponent));
    }
    return exponent < 0 ? tf_rdbpot16(x, -exponent) : x;
}

/* gemmlowp::RescaleConstantInitializer for int16: a Q0.31 constant rounded to Q0.15. */
TF_FP16_INLINE int16_t tf_const16(int32_t q31)
{
    const int32_t remainder = q31 & 0xFFFF;
    const int32_t threshold = 0x7FFF + (q31 < 0 ? 1 : 0);
    const int32_t shifted = (q31 < 0) ? ~(~q31 >> 16) : (q31 >> 16);
    return (int16_t)(shifted + (remainder > threshold ? 1 : 0));
}

/* gemmlowp::exp_on_interval_between_negative_one_quarter_and_0_excl on int16, a in [-1/4, 0) as Q0.15:
 * exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24) with x = a + 1/8, in gemmlowp's order of roundings
 * (codegen/compiler/fixedpoint.py exp_quarter16 is the same arithmetic). */
TF_FP16_INLINE int16_t tf_exp_quarter16(int16_t a)
{
    const int16_t constant_term = tf_const16(1895147668);   /* exp(-1/8) */
    const int16_t one_third = tf_const16(715827883);
    const int16_t x = tf_wrap16((int32_t)a + (1 << 12));
    const int16_t x2 = tf_srdhm16(x, x);
    const int16_t x3 = tf_srdhm16(x2, x);
    const int16_t x4 = tf_srdhm16(x2, x2);
    const int16_t x4_over_4 = tf_srmbpot16(x4, -2);
    const int16_t poly = tf_srmbpot16(tf_wrap16((int32_t)tf_srdhm16(tf_wrap16((int32_t)x4_over_4 + x3), one_third) +
                                                x2), -1);
    return tf_sat16((int32_t)constant_term + tf_srdhm16(constant_term, tf_wrap16((int32_t)x + poly)));
}

/* gemmlowp::exp_on_negative_values: a <= 0 in Q(integer_bits), result in Q0.15. Its first step,
 * tf_exp_quarter16, depends only on a's bits below one quarter. With optimize=speed codegen computes it for
 * each of their 2^(13 - integer_bits) values (codegen/compiler/fixedpoint.py exp_quarter_table) and
 * quarter_table holds the results; when the weight budget leaves the tables out, quarter_table is NULL and
 * it is computed here. The barrel shifter for the whole quarters follows. */
TF_FP16_INLINE int16_t tf_exp_negative16(int16_t a, int integer_bits, const int16_t *quarter_table)
{
    /* exp(-2^k) for k = -2..4, as gemmlowp's barrel shifter constants (Q0.31). */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int fractional_bits = 15 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int16_t a_mod_quarter_minus_quarter = tf_wrap16(((int32_t)a & (one_quarter - 1)) - one_quarter);
    const int32_t remainder = (uint16_t)tf_wrap16((int32_t)a_mod_quarter_minus_quarter - a);
    int16_t result = quarter_table != NULL ? quarter_table[(int32_t)a & (one_quarter - 1)]
                                           : tf_exp_quarter16(tf_srmbpot16(a_mod_quarter_minus_quarter, integer_bits));
    int exponent;

    for (exponent = -2; exponent <= 4; ++exponent) {
        if (integer_bits > exponent) {
            const int shift = fractional_bits + exponent;
            if (remainder & (1 << shift)) {
                result = tf_srdhm16(result, tf_const16(barrel[exponent + 2]));
            }
        }
    }
    if (integer_bits > 5) {
        const int16_t clamp = tf_const16(-(1 << (36 - integer_bits)));   /* -32 */
        if (a < clamp) {
            result = 0;
        }
    }
    return a == 0 ? TF_INT16_MAX : result;
}

/* Newton-Raphson reciprocal of (1 + a) / 2 for a in (0, 1), result in Q2.13
 * (gemmlowp's one_over_one_plus_x_for_x_in_0_1 and its tanh sibling share it). */
TF_FP16_INLINE int16_t tf_newton_reciprocal16(int16_t half_denominator)
{
    const int16_t one_q2 = 1 << 13;
    int16_t x = tf_wrap16((int32_t)tf_const16(1515870810) +                       /* 48/17 */
                          tf_srdhm16(half_denominator, tf_const16(-1010580540)));  /* -32/17 */
    int i;
    for (i = 0; i < 3; ++i) {
        const int16_t one_minus = tf_wrap16((int32_t)one_q2 - tf_srdhm16(half_denominator, x));
        x = tf_wrap16((int32_t)x + tf_srmbpot16(tf_srdhm16(x, one_minus), 2));
    }
    return x;
}

/* gemmlowp::RoundingHalfSum<int16_t>(a, 1.0 in Q0.15). */
TF_FP16_INLINE int16_t tf_half_sum_with_one16(int16_t a)
{
    const int32_t sum = (int32_t)a + TF_INT16_MAX;
    return (int16_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* gemmlowp::logistic on FixedPoint<int16_t, integer_bits>; result in Q0.15. quarter_table: see
 * tf_exp_negative16, for integer_bits. */
TF_FP16_INLINE int16_t tf_logistic16(int16_t a, int integer_bits, const int16_t *quarter_table)
{
    const int16_t abs_a = a > 0 ? a : tf_wrap16(-(int32_t)a);
    const int16_t e = tf_exp_negative16(tf_wrap16(-(int32_t)abs_a), integer_bits, quarter_table);
    /* Rescale<0>(ExactMulByPot<-1>(x)): x is Q2.13, read as Q1.14, shifted to Q0.15. */
    const int16_t positive = tf_srmbpot16(tf_newton_reciprocal16(tf_half_sum_with_one16(e)), 1);
    if (a == 0) {
        return 1 << 14;
    }
    return a > 0 ? positive : tf_wrap16((int32_t)TF_INT16_MAX - positive);
}

/* gemmlowp::tanh on FixedPoint<int16_t, integer_bits>; result in Q0.15. quarter_table: see
 * tf_exp_negative16, for integer_bits + 1. */
TF_FP16_INLINE int16_t tf_tanh16(int16_t a, int integer_bits, const int16_t *quarter_table)
{
    const int16_t negative = a < 0 ? a : tf_wrap16(-(int32_t)a);
    /* exp(2 * negative): ExactMulByPot<1> keeps the raw value, one more integer bit. */
    const int16_t e = tf_exp_negative16(negative, integer_bits + 1, quarter_table);
    const int16_t t = tf_srmbpot16(tf_wrap16((int32_t)tf_newton_reciprocal16(tf_half_sum_with_one16(e)) -
                                             (1 << 13)), 2);
    if (a == 0) {
        return 0;
    }
    return a < 0 ? tf_wrap16(-(int32_t)t) : t;
}

#endif /* TINYFORGE_KERNELS_FIXEDPOINT_S16_H */
