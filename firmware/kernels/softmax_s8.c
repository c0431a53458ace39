/*
 * SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128).
 *
 * Mirrors the quantized template of tflite::reference_ops::Softmax
 * (tensorflow/lite/kernels/internal/reference/softmax.h), which is what
 * BUILTIN_REF runs for int8: input differences to the row maximum are
 * rescaled into Q5.26, exponentiated with gemmlowp's exp_on_negative_values,
 * summed in Q12.19, and divided via a Newton-Raphson reciprocal
 * (tflite::GetReciprocal -> gemmlowp::one_over_one_plus_x_for_x_in_0_1).
 *
 * The gemmlowp FixedPoint<int32, N> types are plain int32 raws here; the
 * comments give N as "Qm" (m integer bits, 31 - m fractional bits).
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

/* kScaledDiffIntegerBits and kAccumulationIntegerBits of reference Softmax. */
#define SCALED_DIFF_INT_BITS 5
#define ACCUM_INT_BITS 12

/*
 * gemmlowp::SaturatingRoundingMultiplyByPOT for a positive exponent: a left
 * shift that saturates. gemmlowp's threshold is 2^(31-e) - 1 on both sides,
 * so x == -2^(31-e) saturates to INT32_MIN although it would fit; keep that.
 */
static int32_t sat_shl(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)(((int32_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return TF_INT32_MAX;
    }
    if (x < -threshold) {
        return TF_INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp::RoundingHalfSum for int32: (a + b) / 2, ties away from zero. */
static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/*
 * gemmlowp::exp_on_interval_between_negative_one_quarter_and_0_excl:
 * Taylor series of exp around -1/8, input and output Q0.31.
 */
static int32_t exp_on_neg_quarter_interval(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0.31 */
    const int32_t x = a + ((int32_t)1 << 28);        /* a + 1/8 */
    const int32_t x2 = tf_srdhm(x, x);
    const int32_t x3 = tf_srdhm(x2, x);
    const int32_t x4 = tf_srdhm(x2, x2);
    const int32_t x4_over_4 = tf_rdbpot(x4, 2);
    const int32_t poly = tf_rdbpot(tf_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + tf_srdhm(exp_minus_one_eighth, x + poly);
}

/*
 * gemmlowp::exp_on_negative_values for a Q5.26 input (kIntegerBits = 5),
 * returning Q0.31. The input is split into a part in [-1/4, 0) handled by
 * the polynomial and whole multiples of 1/4, each set bit of which
 * multiplies the result by a constant exp(-2^k). With 5 integer bits the
 * clamp at -32 of the generic version never applies.
 */
static int32_t exp_on_negative_values_q5(int32_t a)
{
    /* exp(-2^k) in Q0.31 for k = -2 .. 4, in gemmlowp's order. */
    static const int32_t barrel[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242
    };
    const int frac_bits = 31 - SCALED_DIFF_INT_BITS;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    int32_t result;
    int k;

    /* Rescale<0> from Q5.26 to Q0.31 is a saturating shift by 5. */
    result = exp_on_neg_quarter_interval(sat_shl(a_mod_quarter_minus_quarter,
                                                 SCALED_DIFF_INT_BITS));
    for (k = 0; k < 7; ++k) {
        /* bit for 2^(k-2) in Q5.26 */
        if (remainder & ((int32_t)1 << (frac_bits - 2 + k))) {
            result = tf_srdhm(result, barrel[k]);
        }
    }
    if (a == 0) {
        result = TF_INT32_MAX; /* FixedPoint<int32, 0>::One() */
    }
    return result;
}

/*
 * gemmlowp::one_over_one_plus_x_for_x_in_0_1: 1 / (1 + x) for x in [0, 1)
 * in Q0.31, by three Newton-Raphson steps on the half denominator in Q2.29.
 */
static int32_t one_over_one_plus_x(int32_t x)
{
    const int32_t half_denominator = rounding_half_sum(x, TF_INT32_MAX);
    const int32_t c48_over_17 = 1515870810;      /* 48/17 in Q2.29 */
    const int32_t c_neg32_over_17 = -1010580540; /* -32/17 in Q2.29 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t r = c48_over_17 + tf_srdhm(half_denominator, c_neg32_over_17);
    int i;

    for (i = 0; i < 3; ++i) {
        const int32_t hd_times_r = tf_srdhm(half_denominator, r); /* Q2.29 */
        const int32_t one_minus = one_q2 - hd_times_r;           /* Q2.29 */
        /* Q2 * Q2 is Q4; Rescale<2> shifts left by 2 with saturation. */
        r = r + sat_shl(tf_srdhm(r, one_minus), 2);
    }
    /* ExactMulByPot<-1> reinterprets Q2.29 as Q1.30 (halving); Rescale<0>
     * then shifts left by 1 with saturation. */
    return sat_shl(r, 1);
}

static int count_leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

/*
 * tflite::GetReciprocal (internal/common.h): normalise the Q12.19 sum to
 * [1, 2), take 1/(1 + fraction) in Q0.31, and report how many bits the sum
 * had above 1.0 so the caller can shift the quotient back.
 */
static int32_t get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit)
{
    const int headroom_plus_one = count_leading_zeros((uint32_t)x);
    const int32_t shifted_minus_one =
        (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    return one_over_one_plus_x(shifted_minus_one);
}

static inline __attribute__((always_inline)) void store(void *output, int32_t index, int32_t value, int out_bits)
{
    if (out_bits == 8) {
        ((int8_t *)output)[index] = (int8_t)value;
    } else {
        ((int16_t *)output)[index] = (int16_t)value;
    }
}

/* The reference kernel's loops for either output type (reference_ops::Softmax<int8_t, OutputT>): only the
 * final shift and the clamp depend on it. Inlined into each entry point with its constants. */
static inline __attribute__((always_inline)) void softmax_rows(const tf_softmax_params *params, int32_t rows,
                                                               int32_t depth, const int8_t *input, void *output,
                                                               int out_bits)
{
    const int32_t out_min = -((int32_t)1 << (out_bits - 1));
    const int32_t out_max = ((int32_t)1 << (out_bits - 1)) - 1;
    const int32_t mult = params->input_multiplier;
    const int left_shift = (int)params->input_left_shift;
    int32_t r, c;

    for (r = 0; r < rows; ++r) {
        const int8_t *in_row = input + r * depth;
        int32_t max_in_row = -128;
        int32_t sum_of_exps = 0; /* Q12.19 */
        int32_t reciprocal;
        int num_bits_over_unit;
        int out_shift;

        for (c = 0; c < depth; ++c) {
            if (in_row[c] > max_in_row) {
                max_in_row = in_row[c];
            }
        }

        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)in_row[c] - max_in_row;
            if (diff >= params->diff_min) {
                /* MultiplyByQuantizedMultiplierGreaterThanOne (double
                 * rounding build): shift left, then rounding high mul. diff_min
                 * keeps diff * 2^left_shift inside int32. */
                const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << left_shift), mult);
                /* Rescale<12> of a Q0.31 value into Q12.19. */
                sum_of_exps += tf_rdbpot(exp_on_negative_values_q5(scaled), ACCUM_INT_BITS);
            }
        }

        reciprocal = get_reciprocal(sum_of_exps, ACCUM_INT_BITS, &num_bits_over_unit);
        /* The Q0.31 quotient is scaled down to 8 output bits. The shift is
         * 35 - clz(sum), so it stays <= 31 while the Q12.19 sum is below
         * 2^28, guaranteed for depth < 512. Beyond that TFLite itself shifts
         * an int32 by >= 32 (undefined behaviour), so there is no reference
         * result to match; codegen must reject wider softmax rows. */
        out_shift = num_bits_over_unit + 31 - out_bits;

        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)in_row[c] - max_in_row;
            if (diff >= params->diff_min) {
                const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << left_shift), mult);
                const int32_t e = exp_on_negative_values_q5(scaled);
                int32_t out = tf_rdbpot(tf_srdhm(reciprocal, e), out_shift) + out_min;
                if (out > out_max) {
                    out = out_max;
                }
                if (out < out_min) {
                    out = out_min;
                }
                store(output, r * depth + c, out, out_bits);
            } else {
                store(output, r * depth + c, out_min, out_bits);
            }
        }
    }
}

void softmax_s8(const tf_softmax_params *params, int32_t rows, int32_t depth, const int8_t *input,
                int8_t *output)
{
    softmax_rows(params, rows, depth, input, output, 8);
}

/* int8 input, int16 output (TFLite requires its zero point -32768 and scale 1/65536). */
void softmax_s8_s16(const tf_softmax_params *params, int32_t rows, int32_t depth, const int8_t *input,
                    int16_t *output)
{
    softmax_rows(params, rows, depth, input, output, 16);
}
