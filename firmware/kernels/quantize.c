/*
 * QUANTIZE (float32 -> int8/int16, or requantization between int8, int16 and int32)
 * and DEQUANTIZE (int8/int16 -> float32).
 *
 * Mirrors tflite::reference_ops::AffineQuantize, Requantize and Dequantize
 * (internal/reference/quantize.h, requantize.h, dequantize.h), which the
 * BUILTIN_REF interpreter runs: the float paths work in double, as those do
 * (scale is a double there), so the results round exactly as TFLite's.
 * On a core without an FPU this is soft-float; these operators only sit at
 * a model's edges.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

/* TfLiteRound (std::round on a double: ties away from zero), then the
 * int32 conversion; values beyond int32 are saturated here, where TFLite's
 * cast is undefined, since every caller clamps to 16 bits anyway. */
static int32_t round_to_int32(double x)
{
    int64_t whole;
    double fraction;

    if (x >= 2147483647.0) {
        return TF_INT32_MAX;
    }
    if (x <= -2147483648.0) {
        return TF_INT32_MIN;
    }
    whole = (int64_t)x;          /* truncates toward zero */
    fraction = x - (double)whole;
    if (fraction >= 0.5) {
        ++whole;
    } else if (fraction <= -0.5) {
        --whole;
    }
    return (int32_t)whole;
}

static int32_t clamp(int32_t v, int32_t low, int32_t high)
{
    return v < low ? low : (v > high ? high : v);
}

static int32_t load(const void *data, int32_t bits, int32_t i)
{
    if (bits == 32) {
        return ((const int32_t *)data)[i];
    }
    return bits == 16 ? (int32_t)((const int16_t *)data)[i] : (int32_t)((const int8_t *)data)[i];
}

static void store(void *data, int32_t bits, int32_t i, int32_t v)
{
    if (bits == 32) {
        ((int32_t *)data)[i] = v;
    } else if (bits == 16) {
        ((int16_t *)data)[i] = (int16_t)v;
    } else {
        ((int8_t *)data)[i] = (int8_t)v;
    }
}

void quantize_f32(const tf_quantize_params *p, int32_t count, const float *input, void *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t q = round_to_int32((double)input[i] / p->scale) + p->output_zero_point;
        store(output, p->output_bits, i, clamp(q, p->output_min, p->output_max));
    }
}

void requantize(const tf_quantize_params *p, int32_t count, const void *input, void *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t q = tf_mbqm(load(input, p->input_bits, i) - p->input_zero_point,
                                  p->multiplier, p->shift) + p->output_zero_point;
        store(output, p->output_bits, i, clamp(q, p->output_min, p->output_max));
    }
}

void dequantize_f32(const tf_quantize_params *p, int32_t count, const void *input, float *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        output[i] = (float)(p->scale * (double)(load(input, p->input_bits, i) - p->input_zero_point));
    }
}
