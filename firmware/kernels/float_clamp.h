/*
 * Internal: TFLite's ActivationFunctionWithMinMax for float,
 * std::min(std::max(x, min), max), with std::max(a, b) = (a < b) ? b : a and
 * std::min(a, b) = (b < a) ? b : a, so signed zeros come out as TFLite's.
 * Include only from firmware/kernels/ sources.
 */
#ifndef TINYFORGE_KERNELS_FLOAT_CLAMP_H
#define TINYFORGE_KERNELS_FLOAT_CLAMP_H

#include "tinyforge/kernels.h"

static inline float tf_clamp_f32(float x, const tf_float_range *range)
{
    const float low = (x < range->act_min) ? range->act_min : x;
    return (range->act_max < low) ? range->act_max : low;
}

#endif
