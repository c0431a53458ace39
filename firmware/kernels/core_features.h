/*
 * What the tuned kernels need to know about the core they are built for,
 * and the word access they share. Internal: include only from
 * firmware/kernels/ sources.
 *
 *  - TF_KERNELS_DSP: the DSP extension (Cortex-M4, M33): SXTB16, SMLAD, ...
 *    through ACLE intrinsics.
 *  - TF_KERNELS_THUMB2_ASM: Thumb-2 with SMLAL and post-indexed loads
 *    (Cortex-M3, M4, M33), for loops scheduled by hand; every other build,
 *    the host's included, takes the C loops beside them.
 *  - TF_KERNELS_ARMV6M: ARMv6-M (Cortex-M0, M0+): no SMLAL or UMULL, so a
 *    64-bit product is a library call; kernels that accumulate two lanes in
 *    64 bits elsewhere take 32-bit loops (MULS) there instead.
 */
#ifndef TINYFORGE_KERNELS_CORE_FEATURES_H
#define TINYFORGE_KERNELS_CORE_FEATURES_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define TF_KERNELS_DSP 1
#else
#define TF_KERNELS_DSP 0
#endif

#if defined(__thumb2__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__))
#define TF_KERNELS_THUMB2_ASM 1
#else
#define TF_KERNELS_THUMB2_ASM 0
#endif

#if defined(__ARM_ARCH_6M__)
#define TF_KERNELS_ARMV6M 1
#else
#define TF_KERNELS_ARMV6M 0
#endif

/* Four int8 values as one word: one LDR, since unaligned word access is
 * allowed on ARMv7-M and ARMv8-M Mainline (and memcpy is how C says so). */
static inline int32_t tf_load_word(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Rotate right by 8: with SXTB16, bytes 1 and 3 instead of 0 and 2. */
static inline int32_t tf_rotate_8(int32_t v)
{
    return (int32_t)(((uint32_t)v >> 8) | ((uint32_t)v << 24));
}

/*
 * The DSP extension's SXTB16 and SMLAD, and SXTB16 of the word rotated right
 * by 8 (bytes 1 and 3) as one instruction: GCC 12 does not fold the rotation
 * of __sxtb16(tf_rotate_8(v)) into SXTB16's own and spends a MOV on it.
 * Without the extension they are the same bits in plain C, so a kernel
 * written with them also runs (slowly) on the host and Cortex-M3, where its
 * tests check it.
 */
#if TF_KERNELS_DSP
static inline int32_t tf_sxtb16(int32_t v)
{
    return __sxtb16(v);
}

static inline int32_t tf_sxtb16_ror8(int32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

static inline int32_t tf_smlad(int32_t a, int32_t b, int32_t acc)
{
    return __smlad(a, b, acc);
}
#else
static inline int32_t tf_sxtb16(int32_t v)
{
    const uint32_t lo = (uint32_t)(int32_t)(int8_t)(uint8_t)v & 0xffffu;
    const uint32_t hi = (uint32_t)(int32_t)(int8_t)(uint8_t)((uint32_t)v >> 16) << 16;
    return (int32_t)(lo | hi);
}

static inline int32_t tf_sxtb16_ror8(int32_t v)
{
    return tf_sxtb16(tf_rotate_8(v));
}

/* The int16 halves' two products added to acc; the kernels' sums never overflow int32. */
static inline int32_t tf_smlad(int32_t a, int32_t b, int32_t acc)
{
    const int32_t lo = (int32_t)(int16_t)(uint16_t)a * (int32_t)(int16_t)(uint16_t)b;
    const int32_t hi = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
#endif

#endif
