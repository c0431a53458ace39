/*
 * CONV_2D with a 1x1 filter and stride 1: the pointwise layers of DS-CNN and
 * MobileNet, where most of their multiply-accumulates are.
 *
 * The kernel takes two pixels at a time, and the input offset is not added
 * per tap: sum w * (x + offset) = sum w * x + offset * sum w, the second term
 * folded into each channel's bias by codegen (a 1x1 filter never reads
 * padding). The sums are the integers TFLite's reference kernel forms, so
 * results are bit-exact (tests/test_kernels.py and the conformance suite).
 *
 * Filter layout (codegen/compiler/layouts/pointwise.py), one layout for every core:
 * groups of four output channels c0..c3; within a group, quads of four input
 * channels t0..t3 (zero-padded to a multiple of 4), 16 bytes per quad:
 *     c0t0 c1t0 c0t2 c1t2 | c0t1 c1t1 c0t3 c1t3 | c2t0 c3t0 c2t2 c3t2 | c2t1 c3t1 c2t3 c3t3
 * so SXTB16 of a word, and of the word rotated by 8, gives one channel's
 * weights for taps (t0, t2) or (t1, t3) as an int16 pair.
 *
 *  - Cortex-M4/M33 (TF_KERNELS_DSP): the pixel pair's input is expanded once
 *    into int16 pairs in scratch, [p0 (t0,t2), p1 (t0,t2), p0 (t1,t3),
 *    p1 (t1,t3)] per quad, and SMLAD does two multiply-accumulates: per half
 *    quad and group of four channels, one LDRD of input, two weight words and
 *    eight SMLAD for 16 products.
 *  - Cortex-M3 and the plain C path: one 32x32->64 multiply-accumulate
 *    (SMLAL) for both pixels. Scratch holds X = x0 + x1 * 2^23 per input
 *    channel, so (int64)X * w = w * x0 + (w * x1) * 2^23: one instruction for
 *    two products. The low lane, sum w * x0, stays inside [-2^22, 2^22)
 *    because codegen allows at most 256 input channels (|w * x| <= 2^14); its
 *    sign-extended 23 bits are split off exactly at the end. X fits int32
 *    with x1 * 2^23 in [-2^30, 2^30).
 *
 * In place: the pair's input bytes are copied into scratch before its
 * outputs are written, so when out_c <= in_c the outputs of pixels p, p+1
 * only overwrite input already consumed.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
#include "requantize.h"

/* -O3 keeps the accumulators and pointers in registers. */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

/* after the pragma, so that its functions are compiled as this file's are */
#include "pixel_pair_sums_s8.h"

/* One channel's outputs for the pixel pair (the second only when there is one): its sums, bias added, are
 * sum0, sum1. */
TF_PAIR_INLINE void store_channel(int8_t *out0, int32_t out_c, int32_t oc, int32_t both, int32_t sum0, int32_t sum1,
                                  const tf_channel_requant *ch, int32_t rounding_offset, int32_t act_min,
                                  int32_t act_max, const int output_stage)
{
    out0[oc] = tf_pair_channel_output(sum0, ch, rounding_offset, act_min, act_max, output_stage);
    if (both) {
        out0[out_c + oc] = tf_pair_channel_output(sum1, ch, rounding_offset, act_min, act_max, output_stage);
    }
}

#if TF_KERNELS_DSP && TF_KERNELS_THUMB2_ASM   /* Cortex-M4, M33 */
/* Input channels t0..t3 of quad q as one word; channels past in_c read as 0 (their weights are 0 too,
 * and reading them could run past the tensor). */
static inline int32_t quad_word(const int8_t *x, int32_t q, int32_t in_c)
{
    int32_t word = 0, k;
    if (4 * q + 4 <= in_c) {
        return tf_load_word(x + 4 * q);
    }
    for (k = 0; 4 * q + k < in_c; ++k) {
        word |= (int32_t)((uint32_t)(uint8_t)x[4 * q + k] << (8 * k));
    }
    return word;
}


/* The pixel pair's input as int16 pairs: per quad, p0 (t0,t2), p1 (t0,t2), p0 (t1,t3), p1 (t1,t3). */
static inline void load_pixel_pair(int32_t *scratch, const int8_t *x0, int32_t in_c, int32_t quads, int32_t both)
{
    int32_t q;
    for (q = 0; q < quads; ++q) {
        const int32_t w0 = quad_word(x0, q, in_c);
        const int32_t w1 = both ? quad_word(x0 + in_c, q, in_c) : 0;
        scratch[4 * q] = tf_sxtb16(w0);
        scratch[4 * q + 1] = tf_sxtb16(w1);
        scratch[4 * q + 2] = tf_sxtb16_ror8(w0);
        scratch[4 * q + 3] = tf_sxtb16_ror8(w1);
    }
}

/* Every output channel of the pixel pair. The sums of up to CHUNK channels, four at a time (the group's
 * 16-byte quads follow one another in the filter, so one pointer walks the whole layer), go to a small
 * table, and the output stage then runs over the table in a loop of its own: done per group among the
 * sums, pointers and counts, it cost GCC about 20 instructions per output in spills and moves. */
#define CHUNK 16
TF_PAIR_INLINE void pixel_pair_outputs(const tf_pointwise_params *params, const tf_channel_requant *channels,
                                       const int8_t *filter, const int32_t *scratch, int32_t quads, int8_t *out0,
                                       int32_t both, const int output_stage)
{
    const int32_t out_c = params->out_c;
    const int32_t rounding_offset = tf_rounding_offset(params->output_offset);
    int32_t oc;
    for (oc = 0; oc < out_c; oc += CHUNK) {
        int32_t sums[CHUNK][2];   /* sums[channel][pixel] */
        const int32_t chunk = out_c - oc < CHUNK ? out_c - oc : CHUNK;
        tf_pair_block_sums(filter + (oc >> 2) * quads * 16, quads * 16, scratch, quads, sums, chunk);
        tf_pair_store_stage((const int32_t(*)[2])sums, channels + oc, chunk, out0 + oc, both ? out0 + out_c + oc : 0,
                            rounding_offset, params->act_min, params->act_max, output_stage);
    }
}
#undef CHUNK

#elif TF_KERNELS_ARMV6M   /* Cortex-M0, M0+ */
/* ARMv6-M has no SMLAL, and a 64-bit product would be a library call: one pixel at a time, four output
 * channels' sums in registers, 32-bit MULS. Scratch holds the pair's input bytes, pixel 0 then pixel 1,
 * each zero-padded to whole quads. */
static inline void load_pixel_pair(int32_t *scratch, const int8_t *x0, int32_t in_c, int32_t quads, int32_t both)
{
    int8_t *s = (int8_t *)scratch;
    int32_t i;
    for (i = 0; i < 4 * quads; ++i) {
        s[i] = i < in_c ? x0[i] : 0;
        s[4 * quads + i] = i < in_c && both ? x0[in_c + i] : 0;
    }
}

TF_PAIR_INLINE void pixel_pair_outputs(const tf_pointwise_params *params, const tf_channel_requant *channels,
                                       const int8_t *filter, const int32_t *scratch, int32_t quads, int8_t *out0,
                                       int32_t both, const int output_stage)
{
    const int32_t out_c = params->out_c;
    const int32_t rounding_offset = tf_rounding_offset(params->output_offset);
    int32_t oc, p, j, left;
    for (oc = 0; oc < out_c; oc += 4) {
        const int32_t count = out_c - oc < 4 ? out_c - oc : 4;
        for (p = 0; p <= both; ++p) {
            const int8_t *x = (const int8_t *)scratch + p * 4 * quads;
            const int8_t *w = filter + (oc >> 2) * quads * 16;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (left = quads; left > 0; --left) {
                /* tap k of channel j sits at byte (j / 2) * 8 + (k % 2) * 4 + (k / 2) * 2 + j % 2 */
                int32_t v = x[0];
                a0 += v * w[0], a1 += v * w[1], a2 += v * w[8], a3 += v * w[9];
                v = x[1];
                a0 += v * w[4], a1 += v * w[5], a2 += v * w[12], a3 += v * w[13];
                v = x[2];
                a0 += v * w[2], a1 += v * w[3], a2 += v * w[10], a3 += v * w[11];
                v = x[3];
                a0 += v * w[6], a1 += v * w[7], a2 += v * w[14], a3 += v * w[15];
                x += 4;
                w += 16;
            }
            {
                const int32_t sums[4] = {a0, a1, a2, a3};
                int8_t *out = out0 + p * out_c + oc;
                for (j = 0; j < count; ++j) {
                    out[j] = tf_pair_channel_output(sums[j] + channels[oc + j].bias, &channels[oc + j],
                                                    rounding_offset, params->act_min, params->act_max, output_stage);
                }
            }
        }
    }
}

#else /* SMLAL on two pixels */

#define PAIR_SHIFT 23

static inline int32_t low_lane(int64_t lanes)
{
    return tf_asr((int32_t)((uint32_t)lanes << (32 - PAIR_SHIFT)), 32 - PAIR_SHIFT);
}

/* floor(lanes / 2^23) + (low < 0): the high lane, from the low 32 bits of a 64-bit shift. */
static inline int32_t high_lane(int64_t lanes, int32_t low)
{
    const int32_t floor_div = (int32_t)(((uint32_t)lanes >> PAIR_SHIFT) |
                                        ((uint32_t)((uint64_t)lanes >> 32) << (32 - PAIR_SHIFT)));
    return floor_div + (low < 0 ? 1 : 0);
}

/* X = x0 + x1 * 2^23 per input channel, formed in uint32 (wrapping is the intended two's complement). */
static inline void load_pixel_pair(int32_t *scratch, const int8_t *x0, int32_t in_c, int32_t quads, int32_t both)
{
    int32_t i;
    for (i = 0; i < 4 * quads; ++i) {
        const uint32_t lo = i < in_c ? (uint32_t)(int32_t)x0[i] : 0u;
        const uint32_t hi = i < in_c && both ? (uint32_t)(int32_t)x0[in_c + i] : 0u;
        scratch[i] = (int32_t)(lo + (hi << PAIR_SHIFT));
    }
}

/* Every output channel of the pixel pair, a group of four at a time. */
TF_PAIR_INLINE void pixel_pair_outputs(const tf_pointwise_params *params, const tf_channel_requant *channels,
                                       const int8_t *filter, const int32_t *scratch, int32_t quads, int8_t *out0,
                                       int32_t both, const int output_stage)
{
    const int32_t out_c = params->out_c;
    /* Locals, so the asm's "memory" clobber does not make GCC reload and recompute them for every store. */
    const int32_t rounding_offset = tf_rounding_offset(params->output_offset);
    const int32_t act_min = params->act_min, act_max = params->act_max;
    const int8_t *w = filter;
    int32_t oc, j;
    for (oc = 0; oc < out_c; oc += 4) {
        int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int32_t *x = scratch;
#if TF_KERNELS_THUMB2_ASM
        /* Per quad: four words of X, sixteen weight bytes at fixed offsets (see the layout above),
         * sixteen SMLAL, and the pointer and counter: 39 instructions for 32 products. */
        {
            int32_t n = quads, v, k;
            __asm__ volatile(
                "1:\n\t"
                "ldr    %[v], [%[x]], #4\n\t"
                "ldrsb  %[k], [%[w], #0]\n\t"
                "smlal  %Q[a0], %R[a0], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #1]\n\t"
                "smlal  %Q[a1], %R[a1], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #8]\n\t"
                "smlal  %Q[a2], %R[a2], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #9]\n\t"
                "smlal  %Q[a3], %R[a3], %[v], %[k]\n\t"
                "ldr    %[v], [%[x]], #4\n\t"
                "ldrsb  %[k], [%[w], #4]\n\t"
                "smlal  %Q[a0], %R[a0], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #5]\n\t"
                "smlal  %Q[a1], %R[a1], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #12]\n\t"
                "smlal  %Q[a2], %R[a2], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #13]\n\t"
                "smlal  %Q[a3], %R[a3], %[v], %[k]\n\t"
                "ldr    %[v], [%[x]], #4\n\t"
                "ldrsb  %[k], [%[w], #2]\n\t"
                "smlal  %Q[a0], %R[a0], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #3]\n\t"
                "smlal  %Q[a1], %R[a1], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #10]\n\t"
                "smlal  %Q[a2], %R[a2], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #11]\n\t"
                "smlal  %Q[a3], %R[a3], %[v], %[k]\n\t"
                "ldr    %[v], [%[x]], #4\n\t"
                "ldrsb  %[k], [%[w], #6]\n\t"
                "smlal  %Q[a0], %R[a0], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #7]\n\t"
                "smlal  %Q[a1], %R[a1], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #14]\n\t"
                "smlal  %Q[a2], %R[a2], %[v], %[k]\n\t"
                "ldrsb  %[k], [%[w], #15]\n\t"
                "smlal  %Q[a3], %R[a3], %[v], %[k]\n\t"
                "adds   %[w], %[w], #16\n\t"
                "subs   %[n], %[n], #1\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                  [n] "+r"(n), [v] "=&r"(v), [k] "=&r"(k)
                :
                : "cc", "memory");
        }
#else
        int32_t left;
        for (left = quads; left > 0; --left) {
            /* Byte of channel j, tap k within the quad: (j / 2) * 8 + (k % 2) * 4 + (k / 2) * 2 + j % 2. */
            static const int8_t at[4][4] = {{0, 1, 8, 9}, {4, 5, 12, 13}, {2, 3, 10, 11}, {6, 7, 14, 15}};
            int32_t k;
            for (k = 0; k < 4; ++k) {
                const int32_t v = x[k];
                a0 += (int64_t)v * w[at[k][0]];
                a1 += (int64_t)v * w[at[k][1]];
                a2 += (int64_t)v * w[at[k][2]];
                a3 += (int64_t)v * w[at[k][3]];
            }
            x += 4;
            w += 16;
        }
#endif
        {
            const int64_t lanes[4] = {a0, a1, a2, a3};
            const int32_t count = out_c - oc < 4 ? out_c - oc : 4;
            for (j = 0; j < count; ++j) {
                const int32_t lo = low_lane(lanes[j]), bias = channels[oc + j].bias;
                store_channel(out0, out_c, oc + j, both, lo + bias, high_lane(lanes[j], lo) + bias,
                              &channels[oc + j], rounding_offset, act_min, act_max, output_stage);
            }
        }
    }
}

#endif

TF_PAIR_INLINE void pointwise_pairs(const tf_pointwise_params *params, const tf_channel_requant *channels,
                                    const int8_t *filter, const int8_t *input, int8_t *output, int32_t *scratch,
                                    const int output_stage)
{
    const int32_t in_c = params->in_c;
    const int32_t quads = (in_c + 3) >> 2;
    int32_t p;
    for (p = 0; p < params->pixels; p += 2) {
        const int32_t both = params->pixels - p >= 2;
        /* The pair's input is in scratch before any of its outputs is written (in place). */
        load_pixel_pair(scratch, input + p * in_c, in_c, quads, both);
#if TF_KERNELS_THUMB2_ASM
        /* both as a constant in the common case: its test leaves every output's store (DS-CNN's pointwise
         * layers 3 % faster, for about 2 KB of code) */
        if (both) {
            pixel_pair_outputs(params, channels, filter, scratch, quads, output + p * params->out_c, 1, output_stage);
        } else {
            pixel_pair_outputs(params, channels, filter, scratch, quads, output + p * params->out_c, 0, output_stage);
        }
#else
        pixel_pair_outputs(params, channels, filter, scratch, quads, output + p * params->out_c, both, output_stage);
#endif
    }
}

void pointwise_conv_s8(const tf_pointwise_params *params, const tf_channel_requant *channels,
                       const int8_t *filter, const int8_t *input, int8_t *output, int32_t *scratch)
{
    /* A copy of the loops per output stage, so the common full int8 range clamps with one SSAT. */
    if (params->general_requant) {
        pointwise_pairs(params, channels, filter, input, output, scratch, OUTPUT_GENERAL);
    } else if (tf_full_range(params->act_min, params->act_max)) {
        pointwise_pairs(params, channels, filter, input, output, scratch, OUTPUT_FULL_RANGE);
    } else {
        pointwise_pairs(params, channels, filter, input, output, scratch, OUTPUT_CLAMPED);
    }
}
