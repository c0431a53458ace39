/*
 * CONV_2D (and one-channel DEPTHWISE_CONV_2D) for cores with the DSP
 * extension: taps taken in pairs by SMLAD. Codegen chooses it on boards whose
 * CPU has the extension, for filters whose rows are whole words
 * (k_w * in_c a multiple of 4) and whose receptive field fits
 * TF_TAP_PAIRS_MAX_TAPS: micro_speech's 10x8, DS-CNN's first 10x4 layer and
 * ResNet's 3x3 layers over up to 64 channels.
 * The same source compiles to plain C elsewhere (core_features.h), which is
 * how the host tests check it.
 *
 * One filter row of the receptive field is a contiguous run of k_w * in_c
 * input bytes, read a word (four taps t0..t3) at a time: SXTB16 of the word,
 * and of the word rotated by 8, gives taps (t0, t2) and (t1, t3) as int16
 * pairs. The filter is laid out to match (codegen/compiler/layouts/pointwise.py, shared
 * with pointwise_conv_s8): groups of four output channels, then quads of four
 * taps in (ky, kx, ic) order, 16 bytes per quad, so each weight word gives two
 * channels' pairs. Per quad and four channels: one input word, four weight
 * words, ten SXTB16 and eight SMLAD for 16 products. The Thumb-2 loop reads
 * the weights with LDRD, so the filter must be 8-byte aligned (codegen
 * aligns it).
 *
 * The input offset is folded into each channel's bias by codegen:
 * sum w * (x + offset) = sum w * x + offset * sum w. So a tap outside the
 * input must contribute w * zero_point, not be skipped: an output pixel whose
 * receptive field crosses the border copies it into a patch on the stack,
 * padded with the zero point. TFLite skips those taps, and
 * w * (zero_point + offset) = 0 is what a skipped tap adds; the results are
 * bit-exact (tests/test_kernels.py, the on-device conformance suite).
 */
#include <string.h>

#include "tinyforge/kernels.h"

#include "core_features.h"
#include "requantize.h"

#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

#if TF_KERNELS_DSP
/* Four channels' sums over one receptive field: k_h runs of `quads` words, row_stride bytes apart, with
 * SXTB16 and SMLAD. Returns the next group's weights, which follow this group's. Out of line, so
 * its spills do not enlarge the frame of the unrolled path below: micro_speech's RAM target counts the peak
 * stack. */
static __attribute__((noinline)) const int8_t *accumulate_rows(const int8_t *x_row, int32_t row_stride,
                                                               int32_t k_h, int32_t quads, const int8_t *w,
                                                               int32_t *acc)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t ky, q;
    for (ky = 0; ky < k_h; ++ky, x_row += row_stride) {
        const int8_t *x = x_row;
        for (q = 0; q < quads; ++q, x += 4, w += 16) {
            const int32_t taps = tf_load_word(x);
            const int32_t t02 = tf_sxtb16(taps);
            const int32_t t13 = tf_sxtb16_ror8(taps);
            int32_t k = tf_load_word(w);
            a0 = tf_smlad(t02, tf_sxtb16(k), a0);
            a1 = tf_smlad(t02, tf_sxtb16_ror8(k), a1);
            k = tf_load_word(w + 4);
            a0 = tf_smlad(t13, tf_sxtb16(k), a0);
            a1 = tf_smlad(t13, tf_sxtb16_ror8(k), a1);
            k = tf_load_word(w + 8);
            a2 = tf_smlad(t02, tf_sxtb16(k), a2);
            a3 = tf_smlad(t02, tf_sxtb16_ror8(k), a3);
            k = tf_load_word(w + 12);
            a2 = tf_smlad(t13, tf_sxtb16(k), a2);
            a3 = tf_smlad(t13, tf_sxtb16_ror8(k), a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return w;
}
#else
/* The same sums on cores without SIMD (Cortex-M0+ and M3, the host's plain C): the weight budget gives a layer
 * this kernel there when its packed filter (packed_conv_s8) would not fit what the .tflite holds. Emulating
 * SXTB16 and SMLAD in C took micro_speech's layer 5.3 instructions per MAC on the M3; one multiply-accumulate
 * per weight byte, each tap loaded once per quad and one pointer over the receptive field, takes it 3.7
 * (2.75 in this loop; border patches and the output stage are the rest). The weights keep the DSP layout: in the quad's word at w,
 * bytes 0 and 2 are channel 0's taps 0 and 2, bytes 1 and 3 channel 1's; the word at w + 4 holds taps 1 and 3
 * the same way, and w + 8, w + 12 channels 2 and 3. */
static __attribute__((noinline)) const int8_t *accumulate_rows(const int8_t *x_row, int32_t row_stride,
                                                               int32_t k_h, int32_t quads, const int8_t *w,
                                                               int32_t *acc)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    /* one pointer walks the receptive field: `quads` words of a row, then on to the next row */
    const int32_t row_skip = row_stride - 4 * quads;
    const int8_t *x = x_row;
    const int8_t *const w_end = w + 16 * quads * k_h;
    const int8_t *row_end = x + 4 * quads;
    while (w != w_end) {
        const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        a0 += w[0] * x0;
        a1 += w[1] * x0;
        a2 += w[8] * x0;
        a3 += w[9] * x0;
        a0 += w[2] * x2;
        a1 += w[3] * x2;
        a2 += w[10] * x2;
        a3 += w[11] * x2;
        a0 += w[4] * x1;
        a1 += w[5] * x1;
        a2 += w[12] * x1;
        a3 += w[13] * x1;
        a0 += w[6] * x3;
        a1 += w[7] * x3;
        a2 += w[14] * x3;
        a3 += w[15] * x3;
        w += 16;
        x += 4;
        if (x == row_end) {
            x += row_skip;
            row_end = x + 4 * quads;
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return w;
}
#endif

/* accumulate_rows, with the rows of one or two quads unrolled in Thumb-2 on DSP cores. */
static inline const int8_t *accumulate_group(const int8_t *x_row, int32_t row_stride, int32_t k_h, int32_t quads,
                                             const int8_t *w, int32_t *acc)
{
#if TF_KERNELS_DSP && TF_KERNELS_THUMB2_ASM
    /* Per quad: one input word, four weight words in two LDRD (codegen aligns the filter to 8 bytes), ten
     * SXTB16 and eight SMLAD, 21 instructions for 16 products. Rows of one or two quads (DS-CNN's 10x4,
     * micro_speech's 10x8) are unrolled, so a row costs only its step; GCC 12 spills three of the sums in
     * accumulate_rows, which takes the other shapes. */
#define TF_TAP_PAIRS_QUAD                          \
    "ldr    %[t], [%[x]], #4\n\t"                  \
    "ldrd   %[k], %[k2], [%[w]], #16\n\t"          \
    "sxtb16 %[ta], %[t]\n\t"                       \
    "sxtb16 %[t], %[t], ror #8\n\t"                \
    "sxtb16 %[c], %[k]\n\t"                        \
    "smlad  %[a0], %[ta], %[c], %[a0]\n\t"         \
    "sxtb16 %[c], %[k], ror #8\n\t"                \
    "smlad  %[a1], %[ta], %[c], %[a1]\n\t"         \
    "sxtb16 %[c], %[k2]\n\t"                       \
    "smlad  %[a0], %[t], %[c], %[a0]\n\t"          \
    "sxtb16 %[c], %[k2], ror #8\n\t"               \
    "smlad  %[a1], %[t], %[c], %[a1]\n\t"          \
    "ldrd   %[k], %[k2], [%[w], #-8]\n\t"          \
    "sxtb16 %[c], %[k]\n\t"                        \
    "smlad  %[a2], %[ta], %[c], %[a2]\n\t"         \
    "sxtb16 %[c], %[k], ror #8\n\t"                \
    "smlad  %[a3], %[ta], %[c], %[a3]\n\t"         \
    "sxtb16 %[c], %[k2]\n\t"                       \
    "smlad  %[a2], %[t], %[c], %[a2]\n\t"          \
    "sxtb16 %[c], %[k2], ror #8\n\t"               \
    "smlad  %[a3], %[t], %[c], %[a3]\n\t"
#define TF_TAP_PAIRS_OPERANDS                                                                          \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),            \
      [n] "+r"(n), [t] "=&r"(t), [ta] "=&r"(ta), [k] "=&r"(k), [k2] "=&r"(k2),          \
      [c] "=&r"(c)
    if (quads <= 2) {
        const int8_t *x = x_row;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int32_t n = k_h, t, ta, k, k2, c;   /* rows left */
        if (quads == 1) {
            __asm__ volatile("1:\n\t" TF_TAP_PAIRS_QUAD
                             "add    %[x], %[x], %[skip]\n\t"
                             "subs   %[n], %[n], #1\n\t"
                             "bne    1b\n\t" TF_TAP_PAIRS_OPERANDS
                             : [skip] "r"(row_stride - 4) : "cc", "memory");
        } else {
            __asm__ volatile("1:\n\t" TF_TAP_PAIRS_QUAD TF_TAP_PAIRS_QUAD
                             "add    %[x], %[x], %[skip]\n\t"
                             "subs   %[n], %[n], #1\n\t"
                             "bne    1b\n\t" TF_TAP_PAIRS_OPERANDS
                             : [skip] "r"(row_stride - 8) : "cc", "memory");
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
        return w;
    }
    {
        /* Longer rows (ResNet's 3x3 over 16 to 64 channels): the same quad in a loop per row, 23
         * instructions for 16 products. */
        const int8_t *row = x_row;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int32_t ky;
        for (ky = 0; ky < k_h; ++ky) {
            const int8_t *x = row;
            int32_t n = quads, t, ta, k, k2, c;   /* quads left in the row */
            __asm__ volatile("1:\n\t" TF_TAP_PAIRS_QUAD
                             "subs   %[n], %[n], #1\n\t"
                             "bne    1b\n\t" TF_TAP_PAIRS_OPERANDS
                             : : "cc", "memory");
            row += row_stride;
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
        return w;
    }
#undef TF_TAP_PAIRS_QUAD
#undef TF_TAP_PAIRS_OPERANDS
#endif
    return accumulate_rows(x_row, row_stride, k_h, quads, w, acc);
}

/* One row of a border pixel's patch: the input row's bytes from kx0 to kx1 (none when in_row is NULL, a
 * row above or below the input), the zero point elsewhere. Word stores: newlib's byte-wise memset and
 * memcpy cost more than the convolution of a border pixel. */
static inline void fill_patch_row(int8_t *row, const int8_t *in_row, int32_t in_x0, int32_t kx0, int32_t kx1,
                                  int32_t in_c, int32_t run, int32_t zero_word)
{
    int32_t i;
    if (in_row != 0 && kx0 == 0 && kx1 * in_c == run) {
        for (i = 0; i < run; i += 4) {
            const int32_t word = tf_load_word(in_row + in_x0 * in_c + i);
            memcpy(row + i, &word, sizeof word);
        }
        return;
    }
    for (i = 0; i < run; i += 4) {
        memcpy(row + i, &zero_word, sizeof zero_word);
    }
    if (in_row != 0) {
        for (i = kx0 * in_c; i < kx1 * in_c; ++i) {
            row[i] = in_row[in_x0 * in_c + i];
        }
    }
}

void conv2d_tap_pairs_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                         const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                         const int8_t *filter, const tf_dims *output_dims, int8_t *output)
{
    /* filter_dims is OHWI for CONV_2D and 1HWO for DEPTHWISE_CONV_2D; h and w are the kernel's either way. */
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int full_range = tf_full_range(params->act_min, params->act_max);
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t run = k_w * in_c;
    const int32_t quads = run >> 2;
    const int32_t dil_h = params->dilation_h;
    const int32_t rounding_offset = tf_rounding_offset(params->output_offset);
    const int32_t act_min = params->act_min;
    const int32_t act_max = params->act_max;
    /* Only as large as this layer's receptive field (codegen keeps it within TF_TAP_PAIRS_MAX_TAPS): the
     * stack peak of a model with small layers stays small. */
    int8_t patch[k_h * run];
    const int8_t *w;
    int32_t b, oy, ox, oc, j, ky;

    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                const int8_t *x_row = patch;
                int32_t row_stride = run;
                if (in_y0 < 0 || in_y0 + dil_h * (k_h - 1) >= in_h || in_x0 < 0 || in_x0 + k_w > in_w) {
                    /* The receptive field crosses the border: its rows, zero-point padded, into the patch. */
                    const int32_t kx0 = in_x0 < 0 ? -in_x0 : 0;
                    const int32_t kx1 = in_x0 + k_w > in_w ? in_w - in_x0 : k_w;
                    const int32_t zero_word = (int32_t)((uint32_t)(uint8_t)(int8_t)(-params->input_offset) *
                                                        0x01010101u);
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = in_y0 + dil_h * ky;
                        fill_patch_row(patch + ky * run, y >= 0 && y < in_h ? in_batch + y * in_w * in_c : 0,
                                       in_x0, kx0, kx1, in_c, run, zero_word);
                    }
                } else {
                    x_row = in_batch + (in_y0 * in_w + in_x0) * in_c;
                    row_stride = dil_h * in_w * in_c;
                }
                w = filter;
                for (oc = 0; oc < out_c; oc += 4) {
                    const tf_channel_requant *chan = channels + oc;
                    int32_t acc[4];
                    w = accumulate_group(x_row, row_stride, k_h, quads, w, acc);
                    if (full_range && out_c - oc >= 4) {
                        /* The common case, unrolled: four channels, the clamp one SSAT. */
                        out_px[oc] = tf_channel_output_full_range(acc[0], &chan[0], rounding_offset);
                        out_px[oc + 1] = tf_channel_output_full_range(acc[1], &chan[1], rounding_offset);
                        out_px[oc + 2] = tf_channel_output_full_range(acc[2], &chan[2], rounding_offset);
                        out_px[oc + 3] = tf_channel_output_full_range(acc[3], &chan[3], rounding_offset);
                    } else {
                        for (j = 0; j < 4 && oc + j < out_c; ++j) {
                            out_px[oc + j] = tf_channel_output(acc[j], &chan[j], rounding_offset, act_min, act_max);
                        }
                    }
                }
            }
        }
    }
}
