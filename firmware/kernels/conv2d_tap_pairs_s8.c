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
/* The patch's byte loops stay byte loops: not a call to newlib's memcpy, which copies a byte at a time too
 * after a call and its checks, nor GCC's word copy of a few bytes behind alignment checks. (Unicorn 2.1.4
 * with a memory-read hook also runs that copy's unaligned post-indexed loads wrongly, which left the
 * profile's flash wait states unpriced.) */
#pragma GCC optimize("O3", "no-tree-loop-distribute-patterns", "no-tree-loop-vectorize")
#endif

/* after the pragma, so that its functions are compiled as this file's are */
#include "pixel_pair_sums_s8.h"

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
     * SXTB16 and eight SMLAD, 21 instructions for 16 products. Rows of one to three quads (DS-CNN's 10x4,
     * micro_speech's 10x8, a 3x3 filter over 3 channels) are unrolled, so a row costs only its step; GCC 12 spills three of the sums in
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
    if (quads <= 3) {
        const int8_t *x = x_row;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int32_t n = k_h, t, ta, k, k2, c;   /* rows left */
        if (quads == 1) {
            __asm__ volatile("1:\n\t" TF_TAP_PAIRS_QUAD
                             "add    %[x], %[x], %[skip]\n\t"
                             "subs   %[n], %[n], #1\n\t"
                             "bne    1b\n\t" TF_TAP_PAIRS_OPERANDS
                             : [skip] "r"(row_stride - 4) : "cc", "memory");
        } else if (quads == 3) {
            /* a 3x3 filter over 3 channels, its rows padded to 12 bytes (VWW's and ResNet-8's first layers) */
            __asm__ volatile("1:\n\t" TF_TAP_PAIRS_QUAD TF_TAP_PAIRS_QUAD TF_TAP_PAIRS_QUAD
                             "add    %[x], %[x], %[skip]\n\t"
                             "subs   %[n], %[n], #1\n\t"
                             "bne    1b\n\t" TF_TAP_PAIRS_OPERANDS
                             : [skip] "r"(row_stride - 12) : "cc", "memory");
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

/* One layer's geometry and output stage, as both entry points read them. */
typedef struct {
    const tf_conv_params *params;
    const tf_channel_requant *channels;
    const int8_t *filter;
    int32_t k_h, k_w, in_h, in_w, in_c, out_w, out_c, run, quads, dil_h;
    int32_t rounding_offset, act_min, act_max, full_range;
    int32_t zero_word;   /* four bytes of the input's zero point: what a tap outside the input reads */
} tap_pairs_layer;

static void layer_of(tap_pairs_layer *L, const tf_conv_params *params, const tf_channel_requant *channels,
                     const tf_dims *input_dims, const tf_dims *filter_dims, const int8_t *filter,
                     const tf_dims *output_dims)
{
    /* filter_dims is OHWI for CONV_2D and 1HWO for DEPTHWISE_CONV_2D; h and w are the kernel's either way. */
    L->params = params;
    L->channels = channels;
    L->filter = filter;
    L->k_h = filter_dims->h;
    L->k_w = filter_dims->w;
    L->in_h = input_dims->h;
    L->in_w = input_dims->w;
    L->in_c = input_dims->c;
    L->out_w = output_dims->w;
    L->out_c = output_dims->c;
    L->run = L->k_w * L->in_c;
    L->quads = L->run >> 2;
    L->dil_h = params->dilation_h;
    L->rounding_offset = tf_rounding_offset(params->output_offset);
    L->act_min = params->act_min;
    L->act_max = params->act_max;
    L->full_range = tf_full_range(params->act_min, params->act_max);
    L->zero_word = (int32_t)((uint32_t)(uint8_t)(int8_t)(-params->input_offset) * 0x01010101u);
}

/* The columns kx0 .. kx1 - 1 of a window `width` columns wide from input column in_x0 that lie inside the
 * input. */
static inline void columns_inside(const tap_pairs_layer *L, int32_t in_x0, int32_t width, int32_t *kx0,
                                  int32_t *kx1)
{
    *kx0 = in_x0 < 0 ? -in_x0 : 0;
    *kx1 = in_x0 + width > L->in_w ? L->in_w - in_x0 : width;
}

/* Whether the receptive field of the pixel whose top left input is (in_y0, in_x0) lies inside the input. */
static inline int interior(const tap_pairs_layer *L, int32_t in_y0, int32_t in_x0)
{
    return in_y0 >= 0 && in_y0 + L->dil_h * (L->k_h - 1) < L->in_h && in_x0 >= 0 && in_x0 + L->k_w <= L->in_w;
}

/* Channels oc.. oc + 3 (fewer at the end) of one pixel from their sums. The layer's numbers come by value:
 * convolve_pixel holds them in locals across its channel loop, where reading them through the layer struct
 * costs a load each per group of four channels. */
static inline void store_group(const tf_channel_requant *channels, int32_t out_c, int32_t full_range,
                               int32_t rounding_offset, int32_t act_min, int32_t act_max, int32_t oc,
                               const int32_t *acc, int8_t *out_px)
{
    const tf_channel_requant *chan = channels + oc;
    int32_t j;
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

/* The input window whose top left is (in_y0, in_x0), k_h rows of `width` columns, copied into `patch` with
 * rows `run` bytes apart, the zero point where it crosses the border: one pixel's receptive field (width k_w,
 * run L->run), or two side by side in an output row (conv2d_tap_pairs_two_pixels_s8). Out of line: only
 * border pixels take it. */
static __attribute__((noinline)) void fill_patch(const tap_pairs_layer *L, const int8_t *in_batch,
                                                 int32_t in_y0, int32_t in_x0, int32_t width, int32_t run,
                                                 int8_t *patch)
{
    int32_t kx0, kx1, ky;
    columns_inside(L, in_x0, width, &kx0, &kx1);
    for (ky = 0; ky < L->k_h; ++ky) {
        const int32_t y = in_y0 + L->dil_h * ky;
        fill_patch_row(patch + ky * run, y >= 0 && y < L->in_h ? in_batch + y * L->in_w * L->in_c : 0,
                       in_x0, kx0, kx1, L->in_c, run, L->zero_word);
    }
}

/* One output pixel, every channel: its receptive field read in place, or through the patch at a border. */
static void convolve_pixel(const tap_pairs_layer *L, const int8_t *in_batch, int32_t in_y0, int32_t in_x0,
                           int8_t *patch, int8_t *out_px)
{
    const tf_channel_requant *const channels = L->channels;
    const int32_t out_c = L->out_c, k_h = L->k_h, quads = L->quads, full_range = L->full_range;
    const int32_t rounding_offset = L->rounding_offset, act_min = L->act_min, act_max = L->act_max;
    const int8_t *x_row = patch;
    int32_t row_stride = L->run;
    const int8_t *w = L->filter;
    int32_t oc;

    if (interior(L, in_y0, in_x0)) {
        x_row = in_batch + (in_y0 * L->in_w + in_x0) * L->in_c;
        row_stride = L->dil_h * L->in_w * L->in_c;
    } else {
        fill_patch(L, in_batch, in_y0, in_x0, L->k_w, L->run, patch);
    }
    for (oc = 0; oc < out_c; oc += 4) {
        int32_t acc[4];
        w = accumulate_group(x_row, row_stride, k_h, quads, w, acc);
        store_group(channels, out_c, full_range, rounding_offset, act_min, act_max, oc, acc, out_px);
    }
}

/* Every output pixel, one at a time. */
static void one_pixel_per_pass(const tap_pairs_layer *layer, const tf_dims *input_dims, const int8_t *input,
                               const tf_dims *output_dims, int8_t *output)
{
    const tap_pairs_layer L = *layer;
    const tf_conv_params *const params = L.params;
    int32_t b, oy, ox;
    {
        /* Only as large as this layer's receptive field (codegen keeps it within TF_TAP_PAIRS_MAX_TAPS): the
         * stack peak of a model with small layers stays small. */
        int8_t patch[L.k_h * L.run];
        for (b = 0; b < input_dims->n; ++b) {
            const int8_t *in_batch = input + b * L.in_h * L.in_w * L.in_c;
            for (oy = 0; oy < output_dims->h; ++oy) {
                const int32_t in_y0 = oy * params->stride_h - params->pad_h;
                for (ox = 0; ox < L.out_w; ++ox) {
                    convolve_pixel(&L, in_batch, in_y0, ox * params->stride_w - params->pad_w, patch,
                                   output + ((b * output_dims->h + oy) * L.out_w + ox) * L.out_c);
                }
            }
        }
    }
}

#if TF_KERNELS_DSP
/* ---- two pixels per pass on DSP cores (Cortex-M4, M33, M7) ----------------------------------------------
 *
 * The receptive fields of two output pixels p and q, next to each other in raster order (an odd row's last
 * pixel goes with the next row's first), are widened once into int16 pairs, [p (t0,t2), q (t0,t2), p (t1,t3),
 * q (t1,t3)] per quad, and pixel_pair_sums_s8.h's loop then takes four channels of both pixels at a time:
 * 15 instructions for 16 products, where one pixel took 21 (its weight words widened by SXTB16 for one pixel
 * only). The filter layout is the one above, whose quads run in (ky, kx, ic) order, so a block of filter rows
 * is one run of quads both in the filter and in the widened fields. A block is as many rows as fit
 * PAIR_BLOCK_QUADS: the whole field for micro_speech's, DS-CNN's and ResNet-8's 16-channel layers, fewer
 * rows of the wider ones, whose table of sums then carries over from block to block. */

/* The widened fields' size, in quads: 768 bytes of stack. */
#define PAIR_BLOCK_QUADS 48
/* At most this many channels' sums in the table (512 bytes): ResNet-8's widest layer, whose fields are then
 * widened once per pair. */
#define PAIR_CHANNELS 64

/* One row's `quads` words at src, widened into one pixel's slots of the pair's quads at dst. */
static inline void widen_row(int32_t *dst, const int8_t *src, int32_t quads)
{
    int32_t q;
    for (q = 0; q < quads; ++q, src += 4, dst += 4) {
        const int32_t word = tf_load_word(src);
        dst[0] = tf_sxtb16(word);
        dst[2] = tf_sxtb16_ror8(word);
    }
}

/* Rows ky0 .. ky0 + rows - 1 of the receptive field of the pixel whose top left input is (in_y0, in_x0),
 * widened into its slot of the pair's quads at dst (slot 0 p, 1 q); a row that crosses the border is read
 * from row_patch, filled with the zero point there. */
static void widen_field(const tap_pairs_layer *L, const int8_t *in_batch, int32_t in_y0, int32_t in_x0,
                        int32_t ky0, int32_t rows, int8_t *row_patch, int32_t *dst)
{
    const int32_t inside_x = in_x0 >= 0 && in_x0 + L->k_w <= L->in_w;
    const int32_t row_step = L->dil_h * L->in_w * L->in_c;
    int32_t kx0, kx1, ky;
    columns_inside(L, in_x0, L->k_w, &kx0, &kx1);
    if (inside_x && in_y0 + L->dil_h * ky0 >= 0 && in_y0 + L->dil_h * (ky0 + rows - 1) < L->in_h) {
        /* inside the input: the rows one step apart, nothing to check */
        const int8_t *src = in_batch + ((in_y0 + L->dil_h * ky0) * L->in_w + in_x0) * L->in_c;
        for (ky = 0; ky < rows; ++ky, dst += 4 * L->quads, src += row_step) {
            widen_row(dst, src, L->quads);
        }
        return;
    }
    for (ky = ky0; ky < ky0 + rows; ++ky, dst += 4 * L->quads) {
        const int32_t y = in_y0 + L->dil_h * ky;
        const int8_t *in_row = y >= 0 && y < L->in_h ? in_batch + y * L->in_w * L->in_c : 0;
        if (in_row != 0 && inside_x) {
            widen_row(dst, in_row + in_x0 * L->in_c, L->quads);
        } else {
            fill_patch_row(row_patch, in_row, in_x0, kx0, kx1, L->in_c, L->run, L->zero_word);
            widen_row(dst, row_patch, L->quads);
        }
    }
}

/* Whether widening a pair's fields pays: it costs about eight instructions a quad and a dozen a row of the
 * field, once per pixel, and saves six a quad for every group of four channels. Measured on the M33: ResNet-8's
 * 3x3 layers over 16 to 64 channels (1.70 -> 1.35 instructions per MAC at 16 channels in and out) and DS-CNN's
 * first layer (64 channels: 2.14 -> 1.73) gain; layers of 8 or 16 channels over rows of two or three quads
 * (micro_speech's 10x8 layer, VWW's and ResNet-8's first layers over RGB) take 3 to 50 % longer, and keep one
 * pixel per pass. */
static inline int pairs_pay(const tap_pairs_layer *L)
{
    return ((L->out_c + 3) >> 2) * L->quads >= 16;
}

/* tf_pair_block_sums out of line: pixel_pairs keeps a frame pointer for its arrays. */
static __attribute__((noinline)) void block_sums(const int8_t *w, int32_t group_bytes, const int32_t *x,
                                                 int32_t quads, int32_t (*sums)[2], int32_t count)
{
    tf_pair_block_sums(w, group_bytes, x, quads, sums, count);
}

/* A later block of filter rows: its sums, a group at a time, added to the table's. */
static __attribute__((noinline)) void add_block_sums(const int8_t *w, int32_t group_bytes, const int32_t *x,
                                                     int32_t quads, int32_t (*sums)[2], int32_t count)
{
    int32_t j, k;
    for (j = 0; j < count; j += 4, w += group_bytes) {
        int32_t more[4][2];
        tf_pair_block_sums(w, group_bytes, x, quads, more, 4);
        for (k = 0; k < 4 && j + k < count; ++k) {
            sums[j + k][0] += more[k][0];
            sums[j + k][1] += more[k][1];
        }
    }
}

/* Every output pixel, two at a time, for one output stage (a constant: one copy of the loops per stage). */
TF_PAIR_INLINE void pixel_pairs(const tap_pairs_layer *L, int32_t batches, const int8_t *input, int32_t out_h,
                                int8_t *output, const int output_stage)
{
    const tf_conv_params *const params = L->params;
    const int32_t pixels = out_h * L->out_w, out_c = L->out_c, row_quads = L->quads;
    const int32_t fit = PAIR_BLOCK_QUADS / row_quads;
    const int32_t block_rows = fit >= L->k_h ? L->k_h : (fit > 0 ? fit : 1);
    const int32_t group_bytes = 16 * L->k_h * row_quads;
    const int32_t table = out_c < PAIR_CHANNELS ? out_c : PAIR_CHANNELS;
    int32_t fields[4 * block_rows * row_quads];
    int32_t sums[table][2];
    int8_t row_patch[L->run];
    int32_t b, i, oc, ky0;

    for (b = 0; b < batches; ++b) {
        const int8_t *in_batch = input + b * L->in_h * L->in_w * L->in_c;
        int8_t *out_p = output + b * pixels * out_c;
        int32_t oy = 0, ox = 0;   /* p's position */
        for (i = 0; i < pixels; i += 2, out_p += 2 * out_c) {
            /* q: the pixel after p, or p again when p is the last (its outputs are then not stored) */
            const int32_t both = i + 1 < pixels;
            const int32_t qy = !both || ox + 1 < L->out_w ? oy : oy + 1;
            const int32_t qx = !both ? ox : (ox + 1 < L->out_w ? ox + 1 : 0);
            const int32_t py0 = oy * params->stride_h - params->pad_h, px0 = ox * params->stride_w - params->pad_w;
            const int32_t qy0 = qy * params->stride_h - params->pad_h, qx0 = qx * params->stride_w - params->pad_w;
            int32_t held = -1;   /* the first row of the block the fields hold */
            for (oc = 0; oc < out_c; oc += table) {
                const int32_t count = out_c - oc < table ? out_c - oc : table;
                for (ky0 = 0; ky0 < L->k_h; ky0 += block_rows) {
                    const int32_t rows = L->k_h - ky0 < block_rows ? L->k_h - ky0 : block_rows;
                    if (held != ky0) {
                        widen_field(L, in_batch, py0, px0, ky0, rows, row_patch, fields);
                        widen_field(L, in_batch, qy0, qx0, ky0, rows, row_patch, fields + 1);
                        held = ky0;
                    }
                    const int8_t *const w = L->filter + (oc >> 2) * group_bytes + ky0 * row_quads * 16;
                    if (ky0 == 0) {
                        block_sums(w, group_bytes, fields, rows * row_quads, sums, count);
                    } else {
                        add_block_sums(w, group_bytes, fields, rows * row_quads, sums, count);
                    }
                }
                tf_pair_store_stage((const int32_t(*)[2])sums, L->channels + oc, count, out_p + oc,
                                    both ? out_p + out_c + oc : 0, L->rounding_offset, L->act_min, L->act_max,
                                    output_stage);
            }
            /* on to the pixel after q */
            oy = qx + 1 < L->out_w ? qy : qy + 1;
            ox = qx + 1 < L->out_w ? qx + 1 : 0;
        }
    }
}

void conv2d_tap_pairs_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                         const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                         const int8_t *filter, const tf_dims *output_dims, int8_t *output)
{
    tap_pairs_layer L;
    layer_of(&L, params, channels, input_dims, filter_dims, filter, output_dims);
    if (!pairs_pay(&L)) {
        one_pixel_per_pass(&L, input_dims, input, output_dims, output);
    } else if (L.full_range) {
        pixel_pairs(&L, input_dims->n, input, output_dims->h, output, OUTPUT_FULL_RANGE);
    } else {
        pixel_pairs(&L, input_dims->n, input, output_dims->h, output, OUTPUT_CLAMPED);
    }
}

#undef PAIR_BLOCK_QUADS
#undef PAIR_CHANNELS

#else /* one pixel per pass: the Cortex-M3, M0+ and the host */

void conv2d_tap_pairs_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                         const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                         const int8_t *filter, const tf_dims *output_dims, int8_t *output)
{
    tap_pairs_layer L;
    layer_of(&L, params, channels, input_dims, filter_dims, filter, output_dims);
    one_pixel_per_pass(&L, input_dims, input, output_dims, output);
}
#endif /* TF_KERNELS_DSP */

#if !TF_KERNELS_DSP && !TF_KERNELS_ARMV6M
/* Only where the selector can choose it (cores with SMLAL and no SMLAD) and on the host, whose tests run its C
 * path: elsewhere the unused code would only enlarge the object that the fit estimate measures. */

/* ---- two pixels per pass on the Cortex-M3 (conv2d_tap_pairs_two_pixels_s8) ---------------------------------
 *
 * Without SMLAD each product is one multiply, but SMLAL adds a 32x32-bit product into 64 bits: with
 * X = x_p + x_q * 2^23 for a tap of two output pixels p and q, w * X adds w * x_p to the low 23 bits and
 * w * x_q above them, two products per multiply. Codegen chooses this entry point only where each channel's
 * sum for one pixel stays in [-2^22, 2^22) for every input (128 * sum |w| < 2^22, select.py
 * fits_two_pixel_lanes), so the low lane is the 64-bit sum's low 23 bits read as signed, and the high lane
 * the rest, exactly. Per tap: two input loads and an ADD make X, then four weight loads and four SMLAL
 * (the weights in the DSP layout above), 44 instructions for 32 products where accumulate_rows takes 40 for
 * 16. Pixels pair in raster order, so an odd row's last pixel goes with the next row's first; a pair with a
 * pixel at the border reads both receptive fields from patches, and only an odd pixel count's last pixel
 * takes the one-pixel path. */

/* At -O0 GCC keeps r7 as the frame pointer and addresses the loop's counts through it, so the 14 registers
 * are not there; this file's optimize pragma defines __OPTIMIZE__ even then, __NO_INLINE__ tells -O0 apart. */
#if TF_KERNELS_THUMB2_ASM && !TF_KERNELS_DSP && defined(__OPTIMIZE__) && !defined(__NO_INLINE__)
/* Tap j of a quad for both pixels: X from x[j] and xq[j], then channels 0..3 at their bytes o0..o3 of the
 * quad (the first tap's first load moves w past the quad, so they are less 16 after it). */
#define TF_TWO_PIXEL_TAP(first, o1, o2, o3)            \
    "ldrsb  %[X], [%[x]], #1\n\t"                      \
    "ldrsb  %[t], [%[xq]], #1\n\t"                     \
    "add    %[X], %[X], %[t], lsl #23\n\t"             \
    first                                              \
    "smlal  %Q[a0], %R[a0], %[t], %[X]\n\t"            \
    "ldrsb  %[t], [%[w], #" o1 "]\n\t"                 \
    "smlal  %Q[a1], %R[a1], %[t], %[X]\n\t"            \
    "ldrsb  %[t], [%[w], #" o2 "]\n\t"                 \
    "smlal  %Q[a2], %R[a2], %[t], %[X]\n\t"            \
    "ldrsb  %[t], [%[w], #" o3 "]\n\t"                 \
    "smlal  %Q[a3], %R[a3], %[t], %[X]\n\t"
/* Taps 0..3 of the quad: channel c's tap j sits at byte (c & 1) + 8 * (c >> 1) + (0, 4, 2, 6)[j]. */
#define TF_TWO_PIXEL_QUAD                                                   \
    TF_TWO_PIXEL_TAP("ldrsb  %[t], [%[w]], #16\n\t", "-15", "-8", "-7")    \
    TF_TWO_PIXEL_TAP("ldrsb  %[t], [%[w], #-12]\n\t", "-11", "-4", "-3")   \
    TF_TWO_PIXEL_TAP("ldrsb  %[t], [%[w], #-14]\n\t", "-13", "-6", "-5")   \
    TF_TWO_PIXEL_TAP("ldrsb  %[t], [%[w], #-10]\n\t", "-9", "-2", "-1")
#endif

/* Four channels' 64-bit lane pairs over the receptive field of pixel p at x_row and pixel q at
 * x_row + q_offset: k_h runs of `quads` quads, row_stride bytes apart. Returns the next group's weights. */
static __attribute__((noinline)) const int8_t *accumulate_two_pixels(const int8_t *x_row, int32_t q_offset,
                                                                     int32_t row_stride, int32_t k_h,
                                                                     int32_t quads, const int8_t *w,
                                                                     int64_t lanes[4])
{
    int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if TF_KERNELS_THUMB2_ASM && !TF_KERNELS_DSP && defined(__OPTIMIZE__) && !defined(__NO_INLINE__)
    /* every register holds a sum, a pointer or a temporary: the row step and the counts are read from memory */
    int32_t skip = row_stride - 4 * quads, rows = k_h, quads_per_row = quads;
    const int8_t *x = x_row, *xq = x_row + q_offset;
    int32_t n, X, t;
    __asm__ volatile(
        "2:\n\t"
        "ldr    %[n], %[quads_m]\n\t"
        "1:\n\t"
        TF_TWO_PIXEL_QUAD
        "subs   %[n], %[n], #1\n\t"
        "bne    1b\n\t"
        "ldr    %[t], %[skip_m]\n\t"
        "add    %[x], %[x], %[t]\n\t"
        "add    %[xq], %[xq], %[t]\n\t"
        "ldr    %[t], %[rows_m]\n\t"
        "subs   %[t], %[t], #1\n\t"
        "str    %[t], %[rows_m]\n\t"
        "bne    2b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [xq] "+r"(xq), [w] "+r"(w),
          [n] "=&r"(n), [X] "=&r"(X), [t] "=&r"(t), [rows_m] "+m"(rows)
        : [quads_m] "m"(quads_per_row), [skip_m] "m"(skip)
        : "cc", "memory");
#undef TF_TWO_PIXEL_QUAD
#undef TF_TWO_PIXEL_TAP
#else
    /* The same sums in C (the host's tests run this path). */
    int32_t ky, q, j;
    static const int8_t tap_byte[4] = {0, 4, 2, 6};   /* tap j of channel 0 within the quad */
    for (ky = 0; ky < k_h; ++ky, x_row += row_stride) {
        const int8_t *x = x_row;
        for (q = 0; q < quads; ++q, x += 4, w += 16) {
            for (j = 0; j < 4; ++j) {
                const int64_t X = (int64_t)x[j] + (int64_t)x[q_offset + j] * ((int64_t)1 << 23);
                const int8_t *k = w + tap_byte[j];
                a0 += k[0] * X;
                a1 += k[1] * X;
                a2 += k[8] * X;
                a3 += k[9] * X;
            }
        }
    }
#endif
    lanes[0] = a0;
    lanes[1] = a1;
    lanes[2] = a2;
    lanes[3] = a3;
    return w;
}

/* store_group out of line: inlined twice in the pair loop, the output stage took the user's -O3 build of two
 * models past the Blue Pill's 64 KB. */
static __attribute__((noinline)) void store_pixel_group(const tap_pairs_layer *L, int32_t oc, const int32_t *acc,
                                                        int8_t *out_px)
{
    store_group(L->channels, L->out_c, L->full_range, L->rounding_offset, L->act_min, L->act_max, oc, acc, out_px);
}

/* The low lane (pixel p's sum, in [-2^22, 2^22)) and the high lane (pixel q's) of a 64-bit sum. */
static inline void split_lanes(int64_t lanes, int32_t *p, int32_t *q)
{
    const int32_t low = tf_asr((int32_t)((uint32_t)lanes << 9), 9);
    *p = low;
    *q = (int32_t)((lanes - low) / ((int64_t)1 << 23));
}

void conv2d_tap_pairs_two_pixels_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                                    const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                                    const int8_t *filter, const tf_dims *output_dims, int8_t *output)
{
    tap_pairs_layer L;
    const int32_t pixels = output_dims->h * output_dims->w;
    int32_t b, i, oc;

    layer_of(&L, params, channels, input_dims, filter_dims, filter, output_dims);
    {
        /* A pair with a pixel at the border reads both receptive fields from the patch, so both have its row
         * stride: side by side in rows of k_w + stride_w columns (padded to whole words for fill_patch_row's
         * word stores) when the two pixels share an output row, else one field after the other, which only
         * an odd row width needs. */
        const int32_t pair_w = L.k_w + params->stride_w;
        const int32_t pair_run = (pair_w * L.in_c + 3) & ~3;
        const int32_t fields_run = (L.out_w & 1) ? 2 * L.run : L.run;
        const int32_t patch_bytes = L.k_h * (pair_run > fields_run ? pair_run : fields_run);
        int8_t patch[patch_bytes];
        for (b = 0; b < input_dims->n; ++b) {
            const int8_t *in_batch = input + b * L.in_h * L.in_w * L.in_c;
            int8_t *out_px = output + b * pixels * L.out_c;
            /* Pixels p and q = p + 1 in raster order, so an odd row's last pixel pairs with the next row's
             * first; (oy, ox) is p's position. */
            int32_t oy = 0, ox = 0;
            for (i = 0; i + 1 < pixels; i += 2, out_px += 2 * L.out_c) {
                const int32_t qy = ox + 1 < L.out_w ? oy : oy + 1, qx = ox + 1 < L.out_w ? ox + 1 : 0;
                const int32_t py0 = oy * params->stride_h - params->pad_h, px0 = ox * params->stride_w - params->pad_w;
                const int32_t qy0 = qy * params->stride_h - params->pad_h, qx0 = qx * params->stride_w - params->pad_w;
                const int8_t *x_row = patch, *w = L.filter;
                int32_t q_offset = L.k_h * L.run, row_stride = L.run;
                if (interior(&L, py0, px0) && interior(&L, qy0, qx0)) {
                    x_row = in_batch + (py0 * L.in_w + px0) * L.in_c;
                    q_offset = ((qy0 - py0) * L.in_w + (qx0 - px0)) * L.in_c;
                    row_stride = L.dil_h * L.in_w * L.in_c;
                } else if (qy == oy) {
                    fill_patch(&L, in_batch, py0, px0, pair_w, pair_run, patch);
                    q_offset = params->stride_w * L.in_c;
                    row_stride = pair_run;
                } else {
                    fill_patch(&L, in_batch, py0, px0, L.k_w, L.run, patch);
                    fill_patch(&L, in_batch, qy0, qx0, L.k_w, L.run, patch + L.k_h * L.run);
                }
                for (oc = 0; oc < L.out_c; oc += 4) {
                    int64_t lanes[4];
                    int32_t acc[2][4];
                    int32_t pixel;
                    w = accumulate_two_pixels(x_row, q_offset, row_stride, L.k_h, L.quads, w, lanes);
                    split_lanes(lanes[0], &acc[0][0], &acc[1][0]);
                    split_lanes(lanes[1], &acc[0][1], &acc[1][1]);
                    split_lanes(lanes[2], &acc[0][2], &acc[1][2]);
                    split_lanes(lanes[3], &acc[0][3], &acc[1][3]);
                    for (pixel = 0; pixel < 2; ++pixel) {
                        store_pixel_group(&L, oc, acc[pixel], out_px + pixel * L.out_c);
                    }
                }
                /* on to the pixel after q */
                oy = qx + 1 < L.out_w ? qy : qy + 1;
                ox = qx + 1 < L.out_w ? qx + 1 : 0;
            }
            if (i < pixels) {
                /* an odd count's last pixel alone */
                convolve_pixel(&L, in_batch, oy * params->stride_h - params->pad_h,
                               ox * params->stride_w - params->pad_w, patch, out_px);
            }
        }
    }
}
#endif
