/*
 * DEPTHWISE_CONV_2D with a 3x3 filter, depth multiplier 1 and no dilation,
 * for cores with the DSP extension (Cortex-M4, M33): the same arithmetic as
 * depthwise_conv2d_s8.c (the reference). Codegen sends it DS-CNN's and
 * MobileNet's depthwise layers when the channel count is a multiple of 4 and
 * tf_mbqm_fast_halves can requantize them; other cores, and other filter sizes,
 * take depthwise_conv2d_fast_s8.
 *
 * The receptive field is read from a ring of 3 zero-point-padded input rows
 * (depthwise_ring.h): no bounds in the loop, the input offset folded into
 * the bias, and the output may overwrite the input.
 *
 * Four channels per pass. An input word holds their four bytes; SXTB16
 * makes int16 pairs of bytes 0,2 and (rotated by 8) 1,3, and SMLABB/SMLATT
 * multiply the bottom or top halves. The filter is stored already as those
 * int16 pairs, which spends 1,152 instead of 576 bytes of flash on a 64-channel
 * layer and saves two SXTB16 per tap: per group of four channels (c0..c3) and
 * tap (ky, kx) in row-major order, the words (c0 | c2 << 16) and
 * (c1 | c3 << 16), 72 bytes per group (codegen/compiler/layouts/depthwise_pairs.py).
 * Each tap is then one LDR, one LDRD, two SXTB16 and four multiply-adds.
 */
#include <stddef.h>

#include "tinyforge/kernels.h"

#include "core_features.h"
#include "depthwise_ring.h"
#include "requantize.h"

/* -O3 keeps the accumulators, row pointers and channel pointer in registers and unrolls the output stage
 * (GCC 12). */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

/* The filter words of one group of four channels. */
#define GROUP_WORDS 18

/* store_group_full_range's asm reads channel j's multiplier and shift with one LDRD at byte 12 * j + 4. */
TF_STATIC_ASSERT(sizeof(tf_channel_requant) == 12, channel_requant_is_three_words);
TF_STATIC_ASSERT(offsetof(tf_channel_requant, multiplier) == 4, channel_requant_multiplier_at_4);
TF_STATIC_ASSERT(offsetof(tf_channel_requant, shift_less_one) == 8, channel_requant_shift_at_8);

/* The group's four sums, started from the biases in acc, over the window whose rows start at *x0, *x1, *x2
 * (ch bytes between taps); the row pointers move on to the next group, and *w past the group's filter. */
static inline void accumulate_group(const int8_t **x0, const int8_t **x1, const int8_t **x2, int32_t ch,
                                    const int32_t **w, int32_t *acc)
{
#if TF_KERNELS_DSP && TF_KERNELS_THUMB2_ASM
    /* Each row's kx = 0 tap comes last so its load can step the row pointer, and the group's first tap
     * (0, 0) last of all so its LDRD can step the filter pointer. */
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t xv, xr, wa, wb;
    /* Locals, not *x0 and so on: the asm's "memory" clobber would make GCC store and reload those between
     * the statements below. */
    const int8_t *p0 = *x0, *p1 = *x1, *p2 = *x2;
    const int32_t *pw = *w;
#define TAP(x_load, w_load)                               \
    "ldr    %[xv], " x_load "\n\t"                        \
    "ldrd   %[wa], %[wb], " w_load "\n\t"                 \
    "sxtb16 %[xr], %[xv], ror #8\n\t"                     \
    "sxtb16 %[xv], %[xv]\n\t"                             \
    "smlabb %[a0], %[xv], %[wa], %[a0]\n\t"               \
    "smlatt %[a2], %[xv], %[wa], %[a2]\n\t"               \
    "smlabb %[a1], %[xr], %[wb], %[a1]\n\t"               \
    "smlatt %[a3], %[xr], %[wb], %[a3]\n\t"
    /* Four asm statements rather than one: each names one row pointer, so none needs more than 11
     * registers, and GCC can allocate them at -Og too (13 in one statement were "impossible constraints"
     * there). The instructions and their order are the same. */
#define TAP_OPERANDS(row)                                                                                  \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(row), [w] "+r"(pw),              \
      [xv] "=&r"(xv), [xr] "=&r"(xr), [wa] "=&r"(wa), [wb] "=&r"(wb)                                      \
    : [ch] "r"(ch)                                                                                          \
    : "memory"
    __asm__(TAP("[%[x], %[ch]]", "[%[w], #8]")
            TAP("[%[x], %[ch], lsl #1]", "[%[w], #16]")
            TAP_OPERANDS(p0));
    __asm__(TAP("[%[x], %[ch]]", "[%[w], #32]")
            TAP("[%[x], %[ch], lsl #1]", "[%[w], #40]")
            TAP("[%[x]], #4", "[%[w], #24]")
            TAP_OPERANDS(p1));
    __asm__(TAP("[%[x], %[ch]]", "[%[w], #56]")
            TAP("[%[x], %[ch], lsl #1]", "[%[w], #64]")
            TAP("[%[x]], #4", "[%[w], #48]")
            TAP_OPERANDS(p2));
    __asm__(TAP("[%[x]], #4", "[%[w]], #72")
            TAP_OPERANDS(p0));
#undef TAP_OPERANDS
#undef TAP
    *x0 = p0;
    *x1 = p1;
    *x2 = p2;
    *w = pw;
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    const int8_t *rows[3];
    int32_t ky, kx;
    rows[0] = *x0;
    rows[1] = *x1;
    rows[2] = *x2;
    for (ky = 0; ky < 3; ++ky) {
        for (kx = 0; kx < 3; ++kx) {
            const int32_t xv = tf_load_word(rows[ky] + kx * ch);
            const int32_t *tap = *w + 2 * (3 * ky + kx);
            acc[0] += (int32_t)(int8_t)xv * (int32_t)(int16_t)tap[0];
            acc[2] += (int32_t)(int8_t)((uint32_t)xv >> 16) * (int32_t)(int16_t)((uint32_t)tap[0] >> 16);
            acc[1] += (int32_t)(int8_t)((uint32_t)xv >> 8) * (int32_t)(int16_t)tap[1];
            acc[3] += tf_asr(xv, 24) * (int32_t)(int16_t)((uint32_t)tap[1] >> 16);
        }
    }
    *x0 += 4;
    *x1 += 4;
    *x2 += 4;
    *w += GROUP_WORDS;
#endif
}

/* The group's four outputs from its sums (biases included), for a layer whose activation range is all of
 * int8 (tf_biased_output_full_range). The rounding offset is passed by address: it stays in the caller's
 * frame, where the asm reads it once per group. */
static inline void store_group_full_range(const int32_t *acc, const tf_channel_requant *chan, int8_t *out,
                                          const int32_t *rounding_offset)
{
#if TF_KERNELS_DSP && TF_KERNELS_THUMB2_ASM
    /* In C, GCC 12 runs out of registers here (the row and filter pointers stay live) and reloads the
     * output pointer and the rounding offset from the stack for every channel. Here the offset is read
     * once, into a register the multiplies no longer need. The memory the asm reads and writes is named in
     * its operands: with a "memory" clobber instead, GCC 12 fails to find registers for
     * accumulate_group's asm ("impossible constraints"). */
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t m, s;
#define HALVES(a, chan_offset)                                 \
    "ldrd   %[m], %[s], [%[chan], #" chan_offset "]\n\t"       \
    "lsl    %[" a "], %[" a "], #1\n\t"                         \
    "smmulr %[" a "], %[" a "], %[m]\n\t"                       \
    "add    %[" a "], %[" a "], %[" a "], asr #31\n\t"          \
    "asr    %[" a "], %[" a "], %[s]\n\t"
#define STORE(a, out_offset)                                   \
    "add    %[" a "], %[" a "], %[m]\n\t"                       \
    "ssat   %[" a "], #8, %[" a "], asr #1\n\t"                 \
    "strb   %[" a "], [%[out], #" out_offset "]\n\t"
    __asm__ volatile(HALVES("a0", "4") HALVES("a1", "16") HALVES("a2", "28") HALVES("a3", "40")
                     "ldr    %[m], %[k]\n\t"
                     STORE("a0", "0") STORE("a1", "1") STORE("a2", "2") STORE("a3", "3")
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m] "=&r"(m), [s] "=&r"(s),
                       "=m"(*(int8_t(*)[4])out)
                     : [chan] "r"(chan), [out] "r"(out), [k] "m"(*rounding_offset),
                       "m"(*(const tf_channel_requant(*)[4])chan));
#undef HALVES
#undef STORE
#else
    int32_t j;
    for (j = 0; j < 4; ++j) {
        out[j] = tf_biased_output_full_range(acc[j], &chan[j], *rounding_offset);
    }
#endif
}

/* All output rows, for one choice of clamp: inlined twice so the test leaves the loop. */
static inline __attribute__((always_inline)) void depthwise_rows(
    const tf_conv_params *params, const tf_channel_requant *channels, const tf_dims *input_dims, const int8_t *input,
    const int32_t *filter, const tf_dims *output_dims, int8_t *output, tf_dw_ring *ring, const int full_range)
{
    const int32_t ch = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t next_pixel = (params->stride_w - 1) * ch;   /* after the groups stepped the rows by ch */
    const int32_t rounding_offset = tf_rounding_offset(params->output_offset);
    const int32_t act_min = params->act_min;
    const int32_t act_max = params->act_max;
    const tf_channel_requant *const channels_end = channels + ch;
    int32_t b, oy, ox, j;

    for (b = 0; b < input_dims->n; ++b) {
        int8_t *out_px = output + b * out_h * out_w * ch;
        tf_dw_ring_batch(ring, input + b * input_dims->h * ring->row_bytes, params->pad_h);
        for (oy = 0; oy < out_h; ++oy) {
            const int8_t *rows[3], *x0, *x1, *x2;
            tf_dw_ring_window(ring, oy * params->stride_h - params->pad_h, rows);
            x0 = rows[0];
            x1 = rows[1];
            x2 = rows[2];
            for (ox = 0; ox < out_w; ++ox) {
                const tf_channel_requant *chan;
                const int32_t *w = filter;
                for (chan = channels; chan < channels_end; chan += 4, out_px += 4) {
                    int32_t acc[4];
                    for (j = 0; j < 4; ++j) {
                        acc[j] = chan[j].bias;
                    }
                    accumulate_group(&x0, &x1, &x2, ch, &w, acc);
                    if (full_range) {
                        store_group_full_range(acc, chan, out_px, &rounding_offset);
                    } else {
                        for (j = 0; j < 4; ++j) {
                            out_px[j] = tf_biased_output(acc[j], &chan[j], rounding_offset, act_min, act_max);
                        }
                    }
                }
                x0 += next_pixel;
                x1 += next_pixel;
                x2 += next_pixel;
            }
        }
    }
}

void depthwise_conv2d_3x3_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                             const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                             const int32_t *filter, const tf_dims *output_dims, int8_t *output, int8_t *ring)
{
    tf_dw_ring ring_rows = tf_dw_ring_init(ring, params, input_dims, filter_dims, output_dims);
    if (tf_full_range(params->act_min, params->act_max)) {
        depthwise_rows(params, channels, input_dims, input, filter, output_dims, output, &ring_rows, 1);
    } else {
        depthwise_rows(params, channels, input_dims, input, filter, output_dims, output, &ring_rows, 0);
    }
}
