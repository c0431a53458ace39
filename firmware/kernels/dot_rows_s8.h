/*
 * Four dot products at once: int8 rows w0..w3 of a matrix with one int8
 * vector x (plus x_offset on every element), added to acc[0..3]. Each byte
 * of x is loaded once for four multiply-accumulates. A caller with fewer
 * than four rows left passes one of them more than once and keeps only the
 * sums it needs: a three-row layer still runs the blocked loop.
 *
 * With x_offset 0 (callers fold the offset into their biases), the inner
 * loop is scheduled by hand: GCC 12 keeps the five pointers of the C loop as
 * offsets from stack slots and spends up to 40 instructions on 16
 * multiply-accumulates.
 *  - DSP cores (Cortex-M4, M33): four inputs and four weights per row as one
 *    word each, split into int16 pairs by SXTB16 (bytes 0,2 and, rotated by
 *    8, bytes 1,3); each SMLAD adds two products. 25 instructions for 16.
 *  - Cortex-M3: LDRSB with post-increment and MLA, 38 instructions for 16.
 * Everywhere else, and for a non-zero offset, the same sums in plain C (on
 * DSP cores with the offset added to the input pairs by SXTAB16). A lane
 * holds (x + offset) in [-255, 255] times a weight in [-128, 127], exact;
 * the 32-bit sums are TFLite's.
 *
 * Internal: include only from firmware/kernels/ sources, after
 * core_features.h.
 */
#ifndef TINYFORGE_KERNELS_DOT_ROWS_S8_H
#define TINYFORGE_KERNELS_DOT_ROWS_S8_H

static inline void tf_dot_4rows_s8(const int8_t *x, int32_t x_offset, const int8_t *w0, const int8_t *w1,
                                   const int8_t *w2, const int8_t *w3, int32_t n, int32_t acc[4])
{
    int32_t acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
    int32_t i = n;
#if TF_KERNELS_DSP
#if defined(__OPTIMIZE__)   /* at -O0 GCC keeps r7 as the frame pointer: the loop's 14 registers are not there */
    if (x_offset == 0 && i >= 4) {
        int32_t groups = i >> 2;
        int32_t xw, x13, t0, t1;
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[xw], [%[x]], #4\n\t"
            "ldr    %[t0], [%[w0]], #4\n\t"
            "sxtb16 %[x13], %[xw], ror #8\n\t"
            "sxtb16 %[xw], %[xw]\n\t"
            "sxtb16 %[t1], %[t0]\n\t"
            "sxtb16 %[t0], %[t0], ror #8\n\t"
            "smlad  %[a0], %[t1], %[xw], %[a0]\n\t"
            "smlad  %[a0], %[t0], %[x13], %[a0]\n\t"
            "ldr    %[t0], [%[w1]], #4\n\t"
            "sxtb16 %[t1], %[t0]\n\t"
            "sxtb16 %[t0], %[t0], ror #8\n\t"
            "smlad  %[a1], %[t1], %[xw], %[a1]\n\t"
            "smlad  %[a1], %[t0], %[x13], %[a1]\n\t"
            "ldr    %[t0], [%[w2]], #4\n\t"
            "sxtb16 %[t1], %[t0]\n\t"
            "sxtb16 %[t0], %[t0], ror #8\n\t"
            "smlad  %[a2], %[t1], %[xw], %[a2]\n\t"
            "smlad  %[a2], %[t0], %[x13], %[a2]\n\t"
            "ldr    %[t0], [%[w3]], #4\n\t"
            "sxtb16 %[t1], %[t0]\n\t"
            "sxtb16 %[t0], %[t0], ror #8\n\t"
            "smlad  %[a3], %[t1], %[xw], %[a3]\n\t"
            "smlad  %[a3], %[t0], %[x13], %[a3]\n\t"
            "subs   %[n], %[n], #1\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(acc0), [a1] "+r"(acc1), [a2] "+r"(acc2), [a3] "+r"(acc3),
              [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [n] "+r"(groups),
              [xw] "=&r"(xw), [x13] "=&r"(x13), [t0] "=&r"(t0), [t1] "=&r"(t1)
            :
            : "cc", "memory");
        i &= 3;
    }
#endif
    if (i >= 4) {
        const int32_t off2 = (int32_t)(((uint32_t)x_offset & 0xffffu) * 0x10001u);
        for (; i >= 4; i -= 4) {
            const int32_t xw = tf_load_word(x);
            const int32_t x02 = __sxtab16(off2, xw);
            const int32_t x13 = __sxtab16(off2, tf_rotate_8(xw));
            int32_t ww = tf_load_word(w0);
            acc0 = tf_smlad(tf_sxtb16(ww), x02, acc0);
            acc0 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc0);
            ww = tf_load_word(w1);
            acc1 = tf_smlad(tf_sxtb16(ww), x02, acc1);
            acc1 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc1);
            ww = tf_load_word(w2);
            acc2 = tf_smlad(tf_sxtb16(ww), x02, acc2);
            acc2 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc2);
            ww = tf_load_word(w3);
            acc3 = tf_smlad(tf_sxtb16(ww), x02, acc3);
            acc3 = tf_smlad(tf_sxtb16_ror8(ww), x13, acc3);
            x += 4;
            w0 += 4;
            w1 += 4;
            w2 += 4;
            w3 += 4;
        }
    }
#elif TF_KERNELS_THUMB2_ASM   /* Cortex-M3 */
    /* One input byte times four rows; four of them per pass. */
#define TF_DOT_M3_INPUT                            \
    "ldrsb  %[xv], [%[x]], #1\n\t"                \
    "ldrsb  %[t], [%[w0]], #1\n\t"                \
    "mla    %[a0], %[t], %[xv], %[a0]\n\t"        \
    "ldrsb  %[t], [%[w1]], #1\n\t"                \
    "mla    %[a1], %[t], %[xv], %[a1]\n\t"        \
    "ldrsb  %[t], [%[w2]], #1\n\t"                \
    "mla    %[a2], %[t], %[xv], %[a2]\n\t"        \
    "ldrsb  %[t], [%[w3]], #1\n\t"                \
    "mla    %[a3], %[t], %[xv], %[a3]\n\t"
    if (x_offset == 0 && i >= 4) {
        int32_t groups = i >> 2;
        int32_t xv, t;
        __asm__ volatile(
            "1:\n\t"
            TF_DOT_M3_INPUT TF_DOT_M3_INPUT TF_DOT_M3_INPUT TF_DOT_M3_INPUT
            "subs   %[n], %[n], #1\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(acc0), [a1] "+r"(acc1), [a2] "+r"(acc2), [a3] "+r"(acc3),
              [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [n] "+r"(groups),
              [xv] "=&r"(xv), [t] "=&r"(t)
            :
            : "cc", "memory");
        i &= 3;
    }
#undef TF_DOT_M3_INPUT
#endif
    for (; i > 0; --i) {
        const int32_t v = (int32_t)*x++ + x_offset;
        acc0 += (int32_t)*w0++ * v;
        acc1 += (int32_t)*w1++ * v;
        acc2 += (int32_t)*w2++ * v;
        acc3 += (int32_t)*w3++ * v;
    }
    acc[0] = acc0;
    acc[1] = acc1;
    acc[2] = acc2;
    acc[3] = acc3;
}

/* The first `rows` (1 to 4) rows of w, `stride` bytes apart: tf_dot_4rows_s8 with the last of them standing
 * in for the missing ones, so acc[0..rows-1] hold their sums. */
static inline void tf_dot_rows_s8(const int8_t *x, int32_t x_offset, const int8_t *w, int32_t stride, int32_t rows,
                                  int32_t n, int32_t acc[4])
{
    const int8_t *last = w + (rows - 1) * stride;
    tf_dot_4rows_s8(x, x_offset, w, rows > 1 ? w + stride : last, rows > 2 ? w + 2 * stride : last, last, n, acc);
}

/* ---- four rows stored as one block (layouts/row_blocks.py) ---------------------------------------------
 *
 * fully_connected_fast_s8 stores each four rows of its weights as one block: per group of four inputs the
 * 16 bytes w0[4g..4g+3] w1[..] w2[..] w3[..], then the last n % 4 inputs of each row in turn. One pointer
 * then walks the block, and on DSP cores one LDM loads the 16 weights of a group: 20 instructions for 16
 * multiply-accumulates, and the loop's two once per two groups (tf_dot_4rows_s8, with four row pointers:
 * 25). On the Cortex-M3 the weights of a group are LDRSB at fixed offsets from that pointer, the first one
 * post-indexed past the group: 74 instructions for 32 (76). The sums are tf_dot_4rows_s8's, in the same
 * order. */

#if TF_KERNELS_DSP && defined(__OPTIMIZE__)
/* One group: x's next word widened to (x0,x2) (x1,x3), the four rows' words from one LDM, each widened and
 * multiplied into its row's sum. */
#define TF_ROW_BLOCK_GROUP_DSP                          \
    "ldr    %[xw], [%[x]], #4\n\t"                     \
    "ldmia  %[w]!, {%[t0], %[t1], %[t2], %[t3]}\n\t"   \
    "sxtb16 %[x13], %[xw], ror #8\n\t"                 \
    "sxtb16 %[xw], %[xw]\n\t"                          \
    "sxtb16 %[u], %[t0]\n\t"                           \
    "smlad  %[a0], %[u], %[xw], %[a0]\n\t"             \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                  \
    "smlad  %[a0], %[t0], %[x13], %[a0]\n\t"           \
    "sxtb16 %[u], %[t1]\n\t"                           \
    "smlad  %[a1], %[u], %[xw], %[a1]\n\t"             \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                  \
    "smlad  %[a1], %[t1], %[x13], %[a1]\n\t"           \
    "sxtb16 %[u], %[t2]\n\t"                           \
    "smlad  %[a2], %[u], %[xw], %[a2]\n\t"             \
    "sxtb16 %[t2], %[t2], ror #8\n\t"                  \
    "smlad  %[a2], %[t2], %[x13], %[a2]\n\t"           \
    "sxtb16 %[u], %[t3]\n\t"                           \
    "smlad  %[a3], %[u], %[xw], %[a3]\n\t"             \
    "sxtb16 %[t3], %[t3], ror #8\n\t"                  \
    "smlad  %[a3], %[t3], %[x13], %[a3]\n\t"
#elif TF_KERNELS_THUMB2_ASM && defined(__OPTIMIZE__)
/* One input of a group: its byte times the four rows' bytes at offsets j, j + 4, j + 8, j + 12 of the group,
 * after the first input's first load has already moved w past the group (so the offsets are less 16). */
#define TF_ROW_BLOCK_INPUT_M3(first, o1, o2, o3)      \
    "ldrsb  %[xv], [%[x]], #1\n\t"                    \
    first                                             \
    "mla    %[a0], %[t], %[xv], %[a0]\n\t"            \
    "ldrsb  %[t], [%[w], #" o1 "]\n\t"                \
    "mla    %[a1], %[t], %[xv], %[a1]\n\t"            \
    "ldrsb  %[t], [%[w], #" o2 "]\n\t"                \
    "mla    %[a2], %[t], %[xv], %[a2]\n\t"            \
    "ldrsb  %[t], [%[w], #" o3 "]\n\t"                \
    "mla    %[a3], %[t], %[xv], %[a3]\n\t"
#define TF_ROW_BLOCK_GROUP_M3                                                          \
    TF_ROW_BLOCK_INPUT_M3("ldrsb  %[t], [%[w]], #16\n\t", "-12", "-8", "-4")        \
    TF_ROW_BLOCK_INPUT_M3("ldrsb  %[t], [%[w], #-15]\n\t", "-11", "-7", "-3")       \
    TF_ROW_BLOCK_INPUT_M3("ldrsb  %[t], [%[w], #-14]\n\t", "-10", "-6", "-2")       \
    TF_ROW_BLOCK_INPUT_M3("ldrsb  %[t], [%[w], #-13]\n\t", "-9", "-5", "-1")
#endif

/* acc[0..3] += the block's four rows . (x + x_offset), n inputs. */
static inline void tf_dot_row_block_s8(const int8_t *x, int32_t x_offset, const int8_t *block, int32_t n,
                                       int32_t acc[4])
{
    int32_t acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
    int32_t groups = n >> 2;
    const int32_t tail = n & 3;
    int32_t k;

#if TF_KERNELS_DSP && defined(__OPTIMIZE__)
    if (x_offset == 0 && groups > 0) {
        /* LDM fills its registers in ascending order: the four weight words get fixed, ascending ones */
        register int32_t t0 __asm__("r8");
        register int32_t t1 __asm__("r9");
        register int32_t t2 __asm__("r10");
        register int32_t t3 __asm__("r11");
        int32_t xw, x13, u;
        int32_t pairs = groups >> 1;
        if (pairs > 0) {
            __asm__ volatile(
                "1:\n\t"
                TF_ROW_BLOCK_GROUP_DSP
                TF_ROW_BLOCK_GROUP_DSP
                "subs   %[n], %[n], #1\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(acc0), [a1] "+r"(acc1), [a2] "+r"(acc2), [a3] "+r"(acc3), [x] "+r"(x), [w] "+r"(block),
                  [n] "+r"(pairs), [xw] "=&r"(xw), [x13] "=&r"(x13), [u] "=&r"(u),
                  [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
                :
                : "cc", "memory");
        }
        groups &= 1;   /* an odd group: the C loop below (one asm copy of the group is code enough) */
    }
#elif TF_KERNELS_THUMB2_ASM && defined(__OPTIMIZE__)
    if (x_offset == 0 && groups > 0) {
        int32_t xv, t;
        int32_t pairs = groups >> 1;
        if (pairs > 0) {
            __asm__ volatile(
                "1:\n\t"
                TF_ROW_BLOCK_GROUP_M3
                TF_ROW_BLOCK_GROUP_M3
                "subs   %[n], %[n], #1\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(acc0), [a1] "+r"(acc1), [a2] "+r"(acc2), [a3] "+r"(acc3), [x] "+r"(x), [w] "+r"(block),
                  [n] "+r"(pairs), [xv] "=&r"(xv), [t] "=&r"(t)
                :
                : "cc", "memory");
        }
        groups &= 1;   /* an odd group: the C loop below (one asm copy of the group is code enough) */
    }
#endif
    /* Everywhere else, and with an input offset: the same sums in C. */
    for (; groups > 0; --groups) {
        for (k = 0; k < 4; ++k) {
            const int32_t v = (int32_t)x[k] + x_offset;
            acc0 += (int32_t)block[k] * v;
            acc1 += (int32_t)block[4 + k] * v;
            acc2 += (int32_t)block[8 + k] * v;
            acc3 += (int32_t)block[12 + k] * v;
        }
        x += 4;
        block += 16;
    }
    /* The last n % 4 inputs, each row's in turn. */
    for (k = 0; k < tail; ++k) {
        const int32_t v = (int32_t)x[k] + x_offset;
        acc0 += (int32_t)block[k] * v;
        acc1 += (int32_t)block[tail + k] * v;
        acc2 += (int32_t)block[2 * tail + k] * v;
        acc3 += (int32_t)block[3 * tail + k] * v;
    }
    acc[0] = acc0;
    acc[1] = acc1;
    acc[2] = acc2;
    acc[3] = acc3;
}
#undef TF_ROW_BLOCK_GROUP_DSP
#undef TF_ROW_BLOCK_GROUP_M3
#undef TF_ROW_BLOCK_INPUT_M3

#endif
