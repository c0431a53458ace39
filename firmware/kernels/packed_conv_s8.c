/*
 * CONV_2D and DEPTHWISE_CONV_2D with one input channel as one kernel: every output channel is a dot product over the same input taps,
 * so each input byte is loaded once and multiplied into all output channels
 * of a group (weight reuse across output channels, register blocking).
 *
 * Two output channels share one 32x32->64 multiply-accumulate (SMLAL on
 * ARMv7-M, which every Cortex-M3/M4/M33 has): codegen packs their weights
 * into one word, W = w_lo + w_hi * 2^24, so
 *     (int64)W * x = w_lo * x + (w_hi * x) * 2^24.
 * The low lane's running sum stays inside [-2^23, 2^23) because codegen
 * bounds it (max_taps = (2^23 - 1) / (max |w| * max |x + input_offset|));
 * after at most max_taps taps the 64-bit sum is split exactly into its two
 * lanes and added to 32-bit accumulators. The products and sums are the
 * integers TFLite's reference kernels form, so the results are bit-exact;
 * tests/test_kernels.py runs every CONV_2D and one-channel DEPTHWISE_CONV_2D
 * case through both this kernel and the plain ones, with lane splits forced.
 *
 * Packed filter layout (built by codegen/compiler/layouts/packed.py): groups of 8 output
 * channels (4 packed words per tap; the last group may have 2), then taps in
 * (ky, kx, ic) order, so one input row of the receptive field is a
 * contiguous run of input bytes and of packed words. Channels past out_c
 * in the last group have zero weights and are not stored.
 */
#include "tinyforge/kernels.h"

#include "core_features.h"
#include "requantize.h"

/* The hot loop of every convolution: -O3 keeps its four two-lane sums in
 * registers (at -Os GCC spills them, 25 instead of 13 instructions per tap;
 * measured on Cortex-M3 with arm-none-eabi-gcc 12). */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

/* Split a two-lane 64-bit sum into its low (sign-extended 24-bit) and high
 * lanes; exact because the low lane is known to lie in [-2^23, 2^23). */
static inline void unpack_lanes(int64_t lanes, int32_t *lo_acc, int32_t *hi_acc)
{
    const int32_t lo = tf_asr((int32_t)((uint32_t)lanes << 8), 8);
    /* lanes = lo + hi * 2^24, so floor(lanes / 2^24) = hi - (lo < 0); only
     * the low 32 bits of the 64-bit shift are needed. */
    const int32_t floor_div = (int32_t)(((uint32_t)lanes >> 24) | ((uint32_t)(lanes >> 32) << 8));
    *lo_acc += lo;
    *hi_acc += floor_div + (lo < 0 ? 1 : 0);
}

/* taps * 4 packed words into four two-lane sums (8 output channels). */
static inline void dot_lanes4(const int8_t *x, const int32_t *w, int32_t taps, int32_t input_offset,
                              int64_t *lanes)
{
    int64_t a0 = lanes[0], a1 = lanes[1], a2 = lanes[2], a3 = lanes[3];
    do {
        const int32_t v = (int32_t)*x++ + input_offset;
        a0 += (int64_t)w[0] * v;
        a1 += (int64_t)w[1] * v;
        a2 += (int64_t)w[2] * v;
        a3 += (int64_t)w[3] * v;
        w += 4;
    } while (--taps);
    lanes[0] = a0;
    lanes[1] = a1;
    lanes[2] = a2;
    lanes[3] = a3;
}

/* taps * 2 packed words into two two-lane sums (4 output channels). */
static inline void dot_lanes2(const int8_t *x, const int32_t *w, int32_t taps, int32_t input_offset,
                              int64_t *lanes)
{
    int64_t a0 = lanes[0], a1 = lanes[1];
    do {
        const int32_t v = (int32_t)*x++ + input_offset;
        a0 += (int64_t)w[0] * v;
        a1 += (int64_t)w[1] * v;
        w += 2;
    } while (--taps);
    lanes[0] = a0;
    lanes[1] = a1;
}

/*
 * The k_h runs of one receptive field, for one group of 2 * pairs output
 * channels, into acc[]. Inlined with a constant `pairs`, so each group size
 * gets its own loop; the common case, a whole receptive field within the
 * low lane's budget, splits the lanes once at the end.
 */
#if TF_KERNELS_ARMV6M
/* ARMv6-M: two packed words (four output channels) at a time, each split back into its two weights,
 * lo = the sign-extended low 24 bits and hi = (W - lo) / 2^24; the four sums stay in registers and
 * accumulate in 32 bits with MULS, exact with no lane budget. words_per_tap: 4 or 2. */
static inline void dot_words_armv6m(const int8_t *x, const int32_t *w, int32_t taps, int32_t input_offset,
                                    int32_t words_per_tap, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    do {
        const int32_t v = (int32_t)*x++ + input_offset;
        const int32_t w0 = w[0], w1 = w[1];
        const int32_t lo0 = tf_asr((int32_t)((uint32_t)w0 << 8), 8);
        const int32_t lo1 = tf_asr((int32_t)((uint32_t)w1 << 8), 8);
        a0 += lo0 * v;
        a1 += tf_asr(w0 - lo0, 24) * v;
        a2 += lo1 * v;
        a3 += tf_asr(w1 - lo1, 24) * v;
        w += words_per_tap;
    } while (--taps);
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}
#endif

#if TF_KERNELS_ARMV6M
/* The 32-bit sums need no lane budget: every row of the receptive field, four channels per pass. */
static inline void accumulate_group(const tf_packed_params *params, const int8_t *x_row0, int32_t row_stride,
                                    int32_t ky0, int32_t ky1, int32_t run, const int32_t *w_row0,
                                    int32_t w_row_stride, int32_t taps, const int pairs, int32_t *acc)
{
    int32_t ky;
    (void)taps;
    for (ky = ky0; ky < ky1; ++ky) {
        dot_words_armv6m(x_row0, w_row0, run, params->input_offset, pairs, acc);
        if (pairs == 4) {
            dot_words_armv6m(x_row0, w_row0 + 2, run, params->input_offset, pairs, acc + 4);
        }
        x_row0 += row_stride;
        w_row0 += w_row_stride;
    }
}
#else
static inline void accumulate_group(const tf_packed_params *params, const int8_t *x_row0, int32_t row_stride,
                                    int32_t ky0, int32_t ky1, int32_t run, const int32_t *w_row0,
                                    int32_t w_row_stride, int32_t taps, const int pairs, int32_t *acc)
{
    int64_t lanes[4] = {0, 0, 0, 0};
    int32_t ky, j;

    if (params->max_taps >= taps) {
        const int8_t *x = x_row0;
        const int32_t *w = w_row0;
        for (ky = ky0; ky < ky1; ++ky) {
            if (pairs == 4) {
                dot_lanes4(x, w, run, params->input_offset, lanes);
            } else {
                dot_lanes2(x, w, run, params->input_offset, lanes);
            }
            x += row_stride;
            w += w_row_stride;
        }
    } else {
        int32_t budget = params->max_taps;
        for (ky = ky0; ky < ky1; ++ky) {
            const int8_t *x = x_row0 + (ky - ky0) * row_stride;
            const int32_t *w = w_row0 + (ky - ky0) * w_row_stride;
            int32_t left = run;
            while (left > 0) {
                const int32_t chunk = left < budget ? left : budget;
                if (pairs == 4) {
                    dot_lanes4(x, w, chunk, params->input_offset, lanes);
                } else {
                    dot_lanes2(x, w, chunk, params->input_offset, lanes);
                }
                x += chunk;
                w += chunk * pairs;
                left -= chunk;
                budget -= chunk;
                if (budget == 0) {
                    for (j = 0; j < pairs; ++j) {
                        unpack_lanes(lanes[j], &acc[2 * j], &acc[2 * j + 1]);
                        lanes[j] = 0;
                    }
                    budget = params->max_taps;
                }
            }
        }
    }
    for (j = 0; j < pairs; ++j) {
        unpack_lanes(lanes[j], &acc[2 * j], &acc[2 * j + 1]);
    }
}
#endif

void packed_conv_s8(const tf_packed_params *params, const tf_requant *requant,
                    const tf_dims *input_dims, const int8_t *input,
                    int32_t k_h, int32_t k_w, const int32_t *packed_filter,
                    const int32_t *bias, const tf_channel_requant *channels,
                    const tf_dims *output_dims, int8_t *output)
{
    const int32_t output_offset = params->output_offset;
    const int32_t act_min = params->act_min;
    const int32_t act_max = params->act_max;
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t taps_per_group = k_h * k_w * in_c;
    const int32_t dil_h = params->dilation_h;
    int32_t b, oy, ox;

    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            /* Rows of the receptive field inside the input: ky0 <= ky < ky1. Padding taps are
             * skipped, as in TFLite. */
            int32_t ky0 = 0, ky1 = k_h;
            while (ky0 < k_h && in_y0 + dil_h * ky0 < 0) {
                ++ky0;
            }
            while (ky1 > ky0 && in_y0 + dil_h * (ky1 - 1) >= in_h) {
                --ky1;
            }
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                const int32_t kx0 = in_x0 < 0 ? -in_x0 : 0;
                const int32_t kx1 = in_x0 + k_w > in_w ? in_w - in_x0 : k_w;
                const int32_t run = (kx1 - kx0) * in_c;
                const int8_t *x_row0 = in_batch + ((in_y0 + dil_h * ky0) * in_w + in_x0 + kx0) * in_c;
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                const int32_t *group_filter = packed_filter;
                int32_t oc0, j;

                for (oc0 = 0; oc0 < out_c; oc0 += 8) {
                    const int32_t pairs = out_c - oc0 > 4 ? 4 : 2;
                    const int32_t *w_row0 = group_filter + (ky0 * k_w + kx0) * in_c * pairs;
                    int32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                    if (run > 0 && ky1 > ky0) {
                        if (pairs == 4) {
                            accumulate_group(params, x_row0, dil_h * in_w * in_c, ky0, ky1, run, w_row0,
                                             k_w * in_c * 4, taps_per_group, 4, acc);
                        } else {
                            accumulate_group(params, x_row0, dil_h * in_w * in_c, ky0, ky1, run, w_row0,
                                             k_w * in_c * 2, taps_per_group, 2, acc);
                        }
                    }
                    if (channels != 0) {
                        const tf_channel_requant *chan = channels + oc0;
                        const int32_t count = out_c - oc0 < 2 * pairs ? out_c - oc0 : 2 * pairs;
                        for (j = 0; j < count; ++j, ++chan) {
                            out_px[oc0 + j] = tf_channel_output(acc[j], chan, tf_rounding_offset(output_offset),
                                                                act_min, act_max);
                        }
                    } else {
                        for (j = 0; j < 2 * pairs && oc0 + j < out_c; ++j) {
                            const int32_t oc = oc0 + j;
                            const int32_t q = requant->per_channel ? oc : 0;
                            int32_t sum = acc[j];
                            if (bias != 0) {
                                sum += bias[oc];
                            }
                            sum = tf_mbqm_fast_form(sum, requant->multiplier[q], requant->shift[q]);
                            out_px[oc] = tf_offset_clamp(sum, output_offset, act_min, act_max);
                        }
                    }
                    group_filter += taps_per_group * pairs;
                }
            }
        }
    }
}
