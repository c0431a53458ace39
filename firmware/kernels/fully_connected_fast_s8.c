/*
 * FULLY_CONNECTED, tuned: the same arithmetic and arguments as
 * fully_connected_s8.c (the reference), four output rows per pass, so each
 * input byte is loaded once for four multiply-accumulates. Each four rows of
 * the filter are stored as one block (codegen/compiler/layouts/row_blocks.py,
 * tf_dot_row_block_s8 in dot_rows_s8.h): one pointer walks it, and DSP cores
 * load a group's 16 weights with one LDM. The last one to three rows stay
 * rows, and take tf_dot_rows_s8 with the last of them repeated, so a 3-output
 * layer has no scalar tail. With fewer than four inputs the blocks are the
 * rows themselves.
 *
 * Codegen chooses this kernel only when the weight offset is 0 (TFLite's
 * int8 weights are symmetric), and folds the input offset into the bias
 * (bias + input_offset * row sum, the integer TFLite's sum holds) so that
 * params->input_offset is 0 and the hand-scheduled loops apply. A non-zero
 * input offset still gives the right sums, through the C loops.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
#include "dot_rows_s8.h"
#include "requantize.h"

/* At -Os GCC spills the four accumulators and row pointers of the blocked
 * loop; -O3 keeps them in registers (arm-none-eabi-gcc 12, Cortex-M3/M4). */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif


/* The output stage: requantization, zero point and clamp. Bit-exact with fully_connected_s8 for every sum and
 * shift (tests/test_kernels.py checks both sides of each limit below).
 *
 * tf_mbqm_single for a multiplier below 1 (shift = -s, s in 0..31) and a sum x with |x| < 2^30, which is
 * nearly every FULLY_CONNECTED layer: round(x * m / 2^(31 + s)) = floor((2x * m + 2^(31 + s)) / 2^(32 + s)),
 * and with 2x still an int32 that is one multiply-accumulate into a preset 64-bit pair (SMLAL) and a shift of
 * its high word; the rounding term 2^(31 + s) is (hi 2^(s-1), lo 0) for s >= 1 and (hi 0, lo 2^31) for
 * s = 0. Other sums and multipliers take the general form, whose variable 64-bit shift costs several times
 * that. fc_rescale_for works the constants out: once per layer for one multiplier, per output (in registers)
 * for per-channel ones. */
typedef struct {
    int64_t preset;                    /* the rounding term as a (high, low) pair */
    int32_t multiplier, shift;         /* TFLite's; the shift for the general form */
    int32_t right_shift;               /* s, or -1: the short form does not apply to this multiplier */
} fc_rescale;

static inline fc_rescale fc_rescale_for(int32_t multiplier, int32_t shift)
{
    fc_rescale r;
    const int32_t s = -shift;
    r.multiplier = multiplier;
    r.shift = shift;
    r.right_shift = (s >= 0 && s <= 31) ? s : -1;
    r.preset = r.right_shift >= 0
        ? (int64_t)(((uint64_t)((1u << r.right_shift) >> 1) << 32) | ((uint32_t)(s == 0) << 31)) : 0;
    return r;
}

#if defined(__GNUC__)
__attribute__((noinline))   /* apart, so GCC does not compute it ahead of the short form's branch */
#endif
static int32_t rescale_general(int32_t x, int32_t multiplier, int32_t shift)
{
    return tf_mbqm_single(x, multiplier, shift);
}

static inline int32_t rescale(int32_t x, const fc_rescale *r)
{
    /* x in [-2^30, 2^30): one unsigned compare checks both ends */
    if (r->right_shift >= 0 && (uint32_t)x + 0x40000000u < 0x80000000u) {
        const int64_t sum = r->preset + (int64_t)(x * 2) * r->multiplier;
        /* the high word, floored portably (see tf_asr); GCC takes it straight from SMLAL's register pair */
        return tf_asr((int32_t)(sum < 0 ? ~(~sum >> 32) : sum >> 32), r->right_shift);
    }
    return rescale_general(x, r->multiplier, r->shift);
}

/* One output: the sum rescaled, moved to the output zero point and clamped to the activation range. */
static inline int8_t fc_output(int32_t acc, const fc_rescale *r, int32_t out_off, int32_t act_min, int32_t act_max)
{
    int32_t v = rescale(acc, r) + out_off;
    v = v < act_min ? act_min : v;
    v = v > act_max ? act_max : v;
    return (int8_t)v;
}

/* `rows` (1 to 4) outputs from their sums. Out of line, as is the blocked dot product below: each then has
 * the registers to itself, where one function holding both spilled nearly every value to the stack. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void store_rows(const int32_t *acc, int32_t rows, const fc_rescale *layer, const tf_requant *requant,
                       int32_t first, const tf_fc_params *params, int8_t *out)
{
    const int32_t out_off = params->output_offset, act_min = params->act_min, act_max = params->act_max;
    int32_t k;

    if (!requant->per_channel) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1
#endif
        for (k = 0; k < rows; ++k) {
            out[k] = fc_output(acc[k], layer, out_off, act_min, act_max);
        }
        return;
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1
#endif
    for (k = 0; k < rows; ++k) {
        const fc_rescale channel = fc_rescale_for(requant->multiplier[first + k], requant->shift[first + k]);
        out[k] = fc_output(acc[k], &channel, out_off, act_min, act_max);
    }
}

/* Four rows are one block of the filter; one to three rows left over are plain rows. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void dot_rows(const int8_t *x, int32_t x_offset, const int8_t *w, int32_t n, int32_t rows,
                     const int32_t *bias, int32_t acc[4])
{
    int32_t k;
    for (k = 0; k < 4; ++k) {
        acc[k] = (bias != 0 && k < rows) ? bias[k] : 0;
    }
    if (rows == 4) {
        tf_dot_row_block_s8(x, x_offset, w, n, acc);
    } else {
        tf_dot_rows_s8(x, x_offset, w, n, rows, n, acc);
    }
}

/* A layer of one output (hello_world's last) alone: the four-row loop would compute it four times. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int32_t dot_one_row(const int8_t *x, const int8_t *w, int32_t n, int32_t sum)
{
#if TF_KERNELS_DSP
    for (; n >= 4; n -= 4) {
        const int32_t xw = tf_load_word(x), ww = tf_load_word(w);
        sum = tf_smlad(tf_sxtb16(ww), tf_sxtb16(xw), sum);
        sum = tf_smlad(tf_sxtb16_ror8(ww), tf_sxtb16_ror8(xw), sum);
        x += 4;
        w += 4;
    }
#endif
    for (; n > 0; --n) {
        sum += (int32_t)*w++ * (int32_t)*x++;
    }
    return sum;
}

/* Rows of one input with one multiplier for the layer (hello_world's first layer): each output is
 * bias + w * x, then the output stage. Every constant is a local, so GCC keeps them all in registers
 * (the general loop below reloads them from the stack for every output). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void single_input_rows(int32_t x, int32_t output_depth, const int8_t *w, const int32_t *bias,
                              const fc_rescale *layer, int32_t out_off, int32_t act_min, int32_t act_max,
                              int8_t *out)
{
    const fc_rescale r = *layer;
    int32_t o;

    for (o = 0; o < output_depth; ++o) {
        out[o] = fc_output((bias != 0 ? bias[o] : 0) + (int32_t)w[o] * x, &r, out_off, act_min, act_max);
    }
}

/* Rows of one to three inputs (hello_world's first layer has one): too short for the blocked loop, whose
 * setup and four-row output stage would cost several times their products. One row at a time. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void short_rows(const tf_fc_params *params, const tf_requant *requant, int32_t batches, int32_t input_depth,
                       const int8_t *input, int32_t output_depth, const int8_t *filter, const int32_t *bias,
                       int8_t *output, const fc_rescale *layer)
{
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const int32_t act_min = params->act_min, act_max = params->act_max;
    int32_t b, o, k;

    if (input_depth == 1 && !requant->per_channel) {
        for (b = 0; b < batches; ++b) {
            single_input_rows((int32_t)input[b] + in_off, output_depth, filter, bias, layer, out_off, act_min,
                              act_max, output + b * output_depth);
        }
        return;
    }
    for (b = 0; b < batches; ++b) {
        const int8_t *x = input + b * input_depth;
        const int8_t *w = filter;
        for (o = 0; o < output_depth; ++o) {
            int32_t acc = bias != 0 ? bias[o] : 0;
            for (k = 0; k < input_depth; ++k) {
                acc += (int32_t)*w++ * ((int32_t)x[k] + in_off);
            }
            if (requant->per_channel) {
                const fc_rescale channel = fc_rescale_for(requant->multiplier[o], requant->shift[o]);
                *output++ = fc_output(acc, &channel, out_off, act_min, act_max);
            } else {
                *output++ = fc_output(acc, layer, out_off, act_min, act_max);
            }
        }
    }
}

void fully_connected_fast_s8(const tf_fc_params *params, const tf_requant *requant,
                             int32_t batches, int32_t input_depth, const int8_t *input,
                             int32_t output_depth, const int8_t *filter,
                             const int32_t *bias, int8_t *output)
{
    const fc_rescale layer = fc_rescale_for(requant->multiplier[0], requant->shift[0]);
    int32_t b, o;

    if (input_depth < 4) {
        short_rows(params, requant, batches, input_depth, input, output_depth, filter, bias, output, &layer);
        return;
    }
    if (output_depth == 1 && params->input_offset == 0) {
        for (b = 0; b < batches; ++b) {
            int32_t acc[1];
            acc[0] = dot_one_row(input + b * input_depth, filter, input_depth, bias != 0 ? bias[0] : 0);
            store_rows(acc, 1, &layer, requant, 0, params, output + b);
        }
        return;
    }
    for (b = 0; b < batches; ++b) {
        const int8_t *in_row = input + b * input_depth;
        int8_t *out_row = output + b * output_depth;
        for (o = 0; o < output_depth; o += 4) {
            const int32_t rows = output_depth - o < 4 ? output_depth - o : 4;
            int32_t acc[4];
            dot_rows(in_row, params->input_offset, filter + o * input_depth, input_depth, rows,
                     bias != 0 ? bias + o : 0, acc);
            store_rows(acc, rows, &layer, requant, o, params, out_row + o);
        }
    }
}
