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

#endif
