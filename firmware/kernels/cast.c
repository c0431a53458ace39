/*
 * CAST: each element converted to another type, as TFLite's cast.cc does it
 * with static_cast: integers narrow by keeping their low bits, integers
 * become the nearest float, and floats truncate toward zero.
 *
 * A float outside the integer type's range (or NaN) is undefined in C++, and
 * TFLite's own results for it depend on where the element sits: its
 * vectorized loop saturates, its scalar remainder keeps low bits. Here such
 * a value saturates wherever it sits (TFLite's vectorized result), and NaN
 * gives 0, or INT32_MAX for int32 (as TFLite gives). In-range values are
 * TFLite's bits exactly.
 */
#include "tinyforge/kernels.h"

static int32_t float_to_int32(float value)
{
    if (value != value) {
        return INT32_MAX;
    }
    if (value >= 2147483648.0f) {
        return INT32_MAX;
    }
    if (value < -2147483648.0f) {
        return INT32_MIN;
    }
    return (int32_t)value;
}

static int32_t float_to_int16(float value)
{
    if (value != value) {
        return 0;
    }
    return value >= 32767.0f ? 32767 : value <= -32768.0f ? -32768 : (int32_t)value;
}

static int32_t float_to_int8(float value)
{
    if (value != value) {
        return 0;
    }
    return value >= 127.0f ? 127 : value <= -128.0f ? -128 : (int32_t)value;
}

/* One loop per (from, to) pair: the element types are known outside the loop. */
#define CAST_LOOP(FROM, TO, CONVERT)                                  \
    do {                                                              \
        const FROM *in = (const FROM *)input;                         \
        TO *out = (TO *)output;                                       \
        for (i = 0; i < count; ++i) {                                 \
            out[i] = (TO)CONVERT(in[i]);                              \
        }                                                             \
    } while (0)

#define AS_IS(x) (x)

#define CAST_FROM(FROM)                                               \
    switch (params->to) {                                             \
    case TF_ELEMENT_INT8: CAST_LOOP(FROM, int8_t, AS_IS); break;      \
    case TF_ELEMENT_INT16: CAST_LOOP(FROM, int16_t, AS_IS); break;    \
    case TF_ELEMENT_INT32: CAST_LOOP(FROM, int32_t, AS_IS); break;    \
    default: CAST_LOOP(FROM, float, AS_IS); break;                    \
    }

void cast(const tf_cast_params *params, const void *input, void *output)
{
    const int32_t count = params->count;
    int32_t i;

    switch (params->from) {
    case TF_ELEMENT_INT8: CAST_FROM(int8_t); break;
    case TF_ELEMENT_INT16: CAST_FROM(int16_t); break;
    case TF_ELEMENT_INT32: CAST_FROM(int32_t); break;
    default:
        switch (params->to) {
        case TF_ELEMENT_INT8: CAST_LOOP(float, int8_t, float_to_int8); break;
        case TF_ELEMENT_INT16: CAST_LOOP(float, int16_t, float_to_int16); break;
        case TF_ELEMENT_INT32: CAST_LOOP(float, int32_t, float_to_int32); break;
        default: CAST_LOOP(float, float, AS_IS); break;
        }
        break;
    }
}
