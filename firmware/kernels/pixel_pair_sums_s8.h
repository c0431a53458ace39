/*
 * The sums and outputs of two output pixels at once, shared by the kernels
 * that take their input two pixels at a time: pointwise_conv_s8 (a pixel's
 * input channels) and, on DSP cores, conv2d_tap_pairs_s8 (a pixel's receptive
 * field, one block of filter rows at a time).
 *
 * Both read their filters in one layout (codegen/compiler/layouts/pointwise.py):
 * groups of four output channels c0..c3; within a group, quads of four taps
 * t0..t3 in the order the kernel reads its input, 16 bytes per quad:
 *     c0t0 c1t0 c0t2 c1t2 | c0t1 c1t1 c0t3 c1t3 | c2t0 c3t0 c2t2 c3t2 | c2t1 c3t1 c2t3 c3t3
 * so SXTB16 of a word, and of the word rotated by 8, gives one channel's taps
 * (t0, t2) or (t1, t3) as an int16 pair. The pair's input is widened once into
 * int16 pairs, per quad [p (t0,t2), q (t0,t2), p (t1,t3), q (t1,t3)], so the
 * SMLAD loop (tf_pair_group_sums) spends nothing on it.
 *
 * Sums go to a table sums[channel][pixel]; tf_pair_store_* add the channels'
 * biases and run the output stage over it out of line.
 *
 * Internal: include only from firmware/kernels/ sources, after
 * core_features.h and requantize.h.
 */
#ifndef TINYFORGE_KERNELS_PIXEL_PAIR_SUMS_S8_H
#define TINYFORGE_KERNELS_PIXEL_PAIR_SUMS_S8_H

/* The output stages (a kernel picks one per layer and compiles its loops once for each: forced inline, so the
 * stage is a constant in each copy). */
#if defined(__GNUC__)
#define TF_PAIR_INLINE static inline __attribute__((always_inline))
#define TF_PAIR_OUT_OF_LINE static __attribute__((noinline, unused))
#else
#define TF_PAIR_INLINE static inline
#define TF_PAIR_OUT_OF_LINE static
#endif
enum { OUTPUT_CLAMPED = 0, OUTPUT_FULL_RANGE = 1, OUTPUT_GENERAL = 2 };

/* TFLite's own output stage, for layers whose multipliers tf_mbqm_fast_halves cannot take: the channel
 * table's shift_less_one is the right shift less one, so -1 - shift_less_one is TFLite's shift. */
static inline int8_t tf_pair_general_output(int32_t biased, const tf_channel_requant *ch, int32_t output_offset,
                                            int32_t act_min, int32_t act_max)
{
    return tf_offset_clamp(tf_mbqm_fast_form(biased, ch->multiplier, -1 - ch->shift_less_one), output_offset,
                           act_min, act_max);
}

/* One output in the layer's output stage, from its sum with the channel's bias added; rounding_offset is
 * tf_rounding_offset(output_offset). The callers add the bias, once per channel for both pixels: with the
 * bias added here, for each output, DS-CNN took 4 % more instructions on the M4F (4,302,765 -> 4,466,008). */
TF_PAIR_INLINE int8_t tf_pair_channel_output(int32_t biased, const tf_channel_requant *ch, int32_t rounding_offset,
                                             int32_t act_min, int32_t act_max, const int output_stage)
{
    if (output_stage == OUTPUT_GENERAL) {
        return tf_pair_general_output(biased, ch, (rounding_offset - 1) / 2, act_min, act_max);
    }
    if (output_stage == OUTPUT_FULL_RANGE) {
        return tf_biased_output_full_range(biased, ch, rounding_offset);
    }
    return tf_biased_output(biased, ch, rounding_offset, act_min, act_max);
}

#if TF_KERNELS_DSP

/* One quad of a channel group for the pixel pair, in C: what the loop below does per quad, and all of it at
 * -O0, where the loop's registers are not there. w points at the quad's 16 bytes, x at its four words, and
 * a holds the group's sums a[channel][pixel]. */
static inline void tf_pair_quad_products(const int8_t *w, const int32_t *x, int32_t a[4][2])
{
    int32_t half, pair;
    for (half = 0; half < 2; ++half) {          /* taps (t0, t2), then (t1, t3) */
        for (pair = 0; pair < 2; ++pair) {      /* channels c0, c1, then c2, c3 */
            const int32_t k = tf_load_word(w + 8 * pair + 4 * half);
            const int32_t even = tf_sxtb16(k), odd = tf_sxtb16_ror8(k);
            a[2 * pair][0] = tf_smlad(x[2 * half], even, a[2 * pair][0]);
            a[2 * pair][1] = tf_smlad(x[2 * half + 1], even, a[2 * pair][1]);
            a[2 * pair + 1][0] = tf_smlad(x[2 * half], odd, a[2 * pair + 1][0]);
            a[2 * pair + 1][1] = tf_smlad(x[2 * half + 1], odd, a[2 * pair + 1][1]);
        }
    }
}

/* `quads` quads of one group of four channels, from the group's weights at w and the pair's widened input at
 * x, into the group's rows a[4][2] of the table. Returns w past the quads. */
static inline const int8_t *tf_pair_group_sums(const int8_t *w, const int32_t *x, int32_t quads, int32_t a[4][2])
{
    int32_t left = quads;
#if TF_KERNELS_THUMB2_ASM && defined(__OPTIMIZE__) && !defined(__NO_INLINE__)
    /* -O0 keeps r7 as the frame pointer, so the loop's 14 registers are only there when optimizing (an optimize
     * pragma defines __OPTIMIZE__ even at -O0; __NO_INLINE__ tells -O0 apart).
     * Per half quad (taps (t0,t2) or (t1,t3) of both pixels): one LDRD of the pixels' int16 pairs, two weight
     * words (channels c0,c1 and c2,c3), four SXTB16 and eight SMLAD: 15 instructions for 16 products, where
     * two channels a pass took 17. Two quads a pass; the eight sums, the two pointers and four temporaries
     * take every register, so the count lives in memory. The sums start from 0 (starting them from the table
     * left GCC without registers for the loop at -Og and -O1) and leave by four STRD. */
    int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0, a30 = 0, a31 = 0;
    int32_t n = quads >> 1, xa, xb, k, c;
#define TF_PAIR_HALF_QUAD(first_word, second_word)               \
    "ldrd   %[xa], %[xb], [%[x]], #8\n\t"                        \
    "ldr    %[k], " first_word "\n\t"                             \
    "sxtb16 %[c], %[k]\n\t"                                       \
    "smlad  %[a00], %[xa], %[c], %[a00]\n\t"                      \
    "smlad  %[a01], %[xb], %[c], %[a01]\n\t"                      \
    "sxtb16 %[c], %[k], ror #8\n\t"                               \
    "smlad  %[a10], %[xa], %[c], %[a10]\n\t"                      \
    "smlad  %[a11], %[xb], %[c], %[a11]\n\t"                      \
    "ldr    %[k], " second_word "\n\t"                            \
    "sxtb16 %[c], %[k]\n\t"                                       \
    "smlad  %[a20], %[xa], %[c], %[a20]\n\t"                      \
    "smlad  %[a21], %[xb], %[c], %[a21]\n\t"                      \
    "sxtb16 %[c], %[k], ror #8\n\t"                               \
    "smlad  %[a30], %[xa], %[c], %[a30]\n\t"                      \
    "smlad  %[a31], %[xb], %[c], %[a31]\n\t"
    if (n > 0) {
        /* the first load moves w past both quads; the other words are at offsets less 32 */
        __asm__ volatile(
            "1:\n\t"
            TF_PAIR_HALF_QUAD("[%[w]], #32", "[%[w], #-24]")
            TF_PAIR_HALF_QUAD("[%[w], #-28]", "[%[w], #-20]")
            TF_PAIR_HALF_QUAD("[%[w], #-16]", "[%[w], #-8]")
            TF_PAIR_HALF_QUAD("[%[w], #-12]", "[%[w], #-4]")
            "ldr    %[k], %[n]\n\t"
            "subs   %[k], %[k], #1\n\t"
            "str    %[k], %[n]\n\t"
            "bne    1b\n\t"
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [a20] "+r"(a20),
              [a21] "+r"(a21), [a30] "+r"(a30), [a31] "+r"(a31), [x] "+r"(x), [w] "+r"(w), [n] "+m"(n),
              [xa] "=&r"(xa), [xb] "=&r"(xb), [k] "=&r"(k), [c] "=&r"(c)
            :
            : "cc", "memory");
    }
#undef TF_PAIR_HALF_QUAD
    __asm__ volatile(
        "strd   %[a00], %[a01], [%[a]]\n\t"
        "strd   %[a10], %[a11], [%[a], #8]\n\t"
        "strd   %[a20], %[a21], [%[a], #16]\n\t"
        "strd   %[a30], %[a31], [%[a], #24]\n\t"
        : "=m"(*(int32_t(*)[8])a)
        : [a00] "r"(a00), [a01] "r"(a01), [a10] "r"(a10), [a11] "r"(a11), [a20] "r"(a20), [a21] "r"(a21),
          [a30] "r"(a30), [a31] "r"(a31), [a] "r"(a));
    left = quads & 1;
#else
    {
        int32_t j;
        for (j = 0; j < 4; ++j) {
            a[j][0] = a[j][1] = 0;
        }
    }
#endif
    for (; left > 0; --left) {
        tf_pair_quad_products(w, x, a);
        w += 16;
        x += 4;
    }
    return w;
}

/* The sums of `count` channels (their groups' weights group_bytes apart from w) over `quads` quads of the
 * pair's widened input at x, into the table's rows. The loop's asm takes all 14 registers, which a function
 * keeping a frame pointer (one with an array of variable size) does not have: such a caller takes this out of
 * line. */
TF_PAIR_INLINE void tf_pair_block_sums(const int8_t *w, int32_t group_bytes, const int32_t *x, int32_t quads,
                                       int32_t (*sums)[2], int32_t count)
{
    /* w moves on from where the loop left it: keeping the group's start as well costs a register the loop's
     * asm needs */
    const int32_t skip = group_bytes - 16 * quads;
    int32_t j;
    for (j = 0; j < count; j += 4) {
        w = tf_pair_group_sums(w, x, quads, &sums[j]) + skip;
    }
}

/* The outputs of `count` channels for the pixel pair, from their sums and the channels' biases (out1 is NULL
 * when the pair has one pixel). Out of line, one copy per output stage, so the loop has the registers to
 * itself. */
TF_PAIR_INLINE void tf_pair_store(const int32_t (*sums)[2], const tf_channel_requant *ch, int32_t count,
                                  int8_t *out0, int8_t *out1, int32_t rounding_offset, int32_t act_min,
                                  int32_t act_max, const int output_stage)
{
    int32_t j;
    for (j = 0; j < count; ++j) {
        /* both outputs before either store: a store through int8_t * may alias the channel's constants, which
         * GCC would then load again */
        const int32_t bias = ch[j].bias;
        const int8_t first = tf_pair_channel_output(sums[j][0] + bias, &ch[j], rounding_offset, act_min, act_max,
                                                    output_stage);
        const int8_t second = tf_pair_channel_output(sums[j][1] + bias, &ch[j], rounding_offset, act_min, act_max,
                                                     output_stage);
        out0[j] = first;
        if (out1 != 0) {
            out1[j] = second;
        }
    }
}

#define TF_PAIR_STORE(name, stage)                                                                              \
    TF_PAIR_OUT_OF_LINE void name(const int32_t (*sums)[2], const tf_channel_requant *ch, int32_t count,       \
                                  int8_t *out0, int8_t *out1, int32_t rounding_offset, int32_t act_min,         \
                                  int32_t act_max)                                                              \
    {                                                                                                           \
        tf_pair_store(sums, ch, count, out0, out1, rounding_offset, act_min, act_max, stage);                   \
    }
TF_PAIR_STORE(tf_pair_store_clamped, OUTPUT_CLAMPED)
TF_PAIR_STORE(tf_pair_store_full_range, OUTPUT_FULL_RANGE)
TF_PAIR_STORE(tf_pair_store_general, OUTPUT_GENERAL)
#undef TF_PAIR_STORE

/* One of the above by the layer's stage, a constant where the caller is compiled per stage. */
TF_PAIR_INLINE void tf_pair_store_stage(const int32_t (*sums)[2], const tf_channel_requant *ch, int32_t count,
                                        int8_t *out0, int8_t *out1, int32_t rounding_offset, int32_t act_min,
                                        int32_t act_max, const int output_stage)
{
    if (output_stage == OUTPUT_FULL_RANGE) {
        tf_pair_store_full_range(sums, ch, count, out0, out1, rounding_offset, act_min, act_max);
    } else if (output_stage == OUTPUT_CLAMPED) {
        tf_pair_store_clamped(sums, ch, count, out0, out1, rounding_offset, act_min, act_max);
    } else {
        tf_pair_store_general(sums, ch, count, out0, out1, rounding_offset, act_min, act_max);
    }
}

#endif /* TF_KERNELS_DSP */

#endif /* TINYFORGE_KERNELS_PIXEL_PAIR_SUMS_S8_H */
