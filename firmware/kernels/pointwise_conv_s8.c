/*
 * CONV_2D with a 1x1 filter and stride 1: the pointwise layers of DS-CNN and
 * MobileNet, where most of their multiply-accumulates are.
 *
 * Two pixels share one 32x32->64 multiply-accumulate (SMLAL, on every
 * ARMv7-M and ARMv8-M Mainline core): for each input channel the kernel
 * first forms X = x0 + x1 * 2^23 from the two pixels' bytes, so
 *     (int64)X * w = w * x0 + (w * x1) * 2^23,
 * one instruction for two products with the weight loaded once. The pair
 * of words is built once per pixel pair and reused by every output channel,
 * and the weights stay int8 in flash (half the size of packed_conv_s8's
 * packed words).
 *  - The input offset is not added per tap: sum w * (x + offset) =
 *    sum w * x + offset * sum w, and the second term is folded into each
 *    channel's bias by codegen (a 1x1 filter never reads padding).
 *  - The low lane, sum w * x0, stays inside [-2^22, 2^22) because codegen
 *    allows at most 256 input channels (|w * x| <= 2^14); its sign-extended
 *    23 bits are split off exactly at the end.
 *  - X fits int32 with x1 * 2^23 in [-2^30, 2^30).
 * The sums are the integers TFLite's reference kernel forms, so results are
 * bit-exact (tests/test_kernels.py and the conformance suite check it).
 *
 * In place: the pair's input bytes are copied into scratch before its
 * outputs are written, so when out_c <= in_c the outputs of pixels p, p+1
 * only overwrite input already consumed.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
#include "requantize.h"

/* -O3 keeps the four two-lane sums and both pointers in registers. */
#pragma GCC optimize("O3")

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

void pointwise_conv_s8(const tf_pointwise_params *params, const tf_channel_requant *channels,
                       const int8_t *filter, const int8_t *input, int8_t *output, int32_t *scratch)
{
    const int32_t pixels = params->pixels;
    const int32_t in_c = params->in_c;
    const int32_t out_c = params->out_c;
    const int32_t output_offset = params->output_offset;
    const int32_t act_min = params->act_min;
    const int32_t act_max = params->act_max;
    int32_t p, i, oc, j;

    for (p = 0; p < pixels; p += 2) {
        const int32_t both = pixels - p >= 2;
        const int8_t *x0 = input + p * in_c;
        int8_t *out0 = output + p * out_c;
        /* X = x0 + x1 * 2^23, formed in uint32 (wrapping is the intended two's complement). */
        if (both) {
            const int8_t *x1 = x0 + in_c;
            for (i = 0; i < in_c; ++i) {
                scratch[i] = (int32_t)((uint32_t)(int32_t)x0[i] + ((uint32_t)(int32_t)x1[i] << PAIR_SHIFT));
            }
        } else {
            for (i = 0; i < in_c; ++i) {
                scratch[i] = x0[i];
            }
        }
        const int8_t *w = filter;
        for (oc = 0; oc < out_c; oc += 4) {
            int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            const int32_t *x = scratch;
#if TF_KERNELS_THUMB2_ASM
            /* Nine instructions per input channel (one word, four weights, four SMLAL) plus the
             * down-counter's two; GCC 12's own schedule of the C loop spills and takes 11.5. */
            {
                int32_t n = in_c, v, k;
                __asm__ volatile(
                    "1:\n\t"
                    "ldr    %[v], [%[x]], #4\n\t"
                    "ldrsb  %[k], [%[w]], #1\n\t"
                    "smlal  %Q[a0], %R[a0], %[v], %[k]\n\t"
                    "ldrsb  %[k], [%[w]], #1\n\t"
                    "smlal  %Q[a1], %R[a1], %[v], %[k]\n\t"
                    "ldrsb  %[k], [%[w]], #1\n\t"
                    "smlal  %Q[a2], %R[a2], %[v], %[k]\n\t"
                    "ldrsb  %[k], [%[w]], #1\n\t"
                    "smlal  %Q[a3], %R[a3], %[v], %[k]\n\t"
                    "subs   %[n], %[n], #1\n\t"
                    "bne    1b\n\t"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                      [n] "+r"(n), [v] "=&r"(v), [k] "=&r"(k)
                    :
                    : "cc", "memory");
            }
#else
            int32_t left;
            for (left = in_c; left > 0; --left) {
                const int32_t v = *x++;
                a0 += (int64_t)v * w[0];
                a1 += (int64_t)v * w[1];
                a2 += (int64_t)v * w[2];
                a3 += (int64_t)v * w[3];
                w += 4;
            }
#endif
            {
                const int64_t lanes[4] = {a0, a1, a2, a3};
                const int32_t count = out_c - oc < 4 ? out_c - oc : 4;
                for (j = 0; j < count; ++j) {
                    const tf_channel_requant *ch = &channels[oc + j];
                    const int32_t lo = low_lane(lanes[j]);
                    out0[oc + j] = tf_channel_output(lo, ch, output_offset, act_min, act_max);
                    if (both) {
                        out0[out_c + oc + j] = tf_channel_output(high_lane(lanes[j], lo), ch, output_offset,
                                                                 act_min, act_max);
                    }
                }
            }
        }
    }
}
