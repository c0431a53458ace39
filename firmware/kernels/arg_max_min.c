/*
 * ARG_MAX and ARG_MIN for int8 and float32 (TFLite takes no int16 input): TFLite's ArgMinMax. Along
 * the axis, the first value is the best so far and a later one replaces it
 * only when strictly greater (smaller), so ties keep the first index. The
 * input is seen as [outer][axis_size][inner]; each index is written as int32
 * or int64 (index_bytes 4 or 8, little-endian, as the output tensor holds it).
 */
#include "tinyforge/kernels.h"

static void store_index(void *output, int32_t at, int32_t bytes, int32_t index)
{
    if (bytes == 8) {
        ((int64_t *)output)[at] = index;
    } else {
        ((int32_t *)output)[at] = index;
    }
}

#define TF_ARG_WALK(better)                                                              \
    do {                                                                                 \
        int32_t o, i, a;                                                                 \
        for (o = 0; o < params->outer; ++o) {                                            \
            for (i = 0; i < params->inner; ++i) {                                        \
                const int32_t base = o * params->axis_size * params->inner + i;          \
                int32_t best = 0;                                                        \
                for (a = 1; a < params->axis_size; ++a) {                                \
                    if (input[base + a * params->inner] better input[base + best * params->inner]) { \
                        best = a;                                                        \
                    }                                                                    \
                }                                                                        \
                store_index(output, o * params->inner + i, params->index_bytes, best);   \
            }                                                                            \
        }                                                                                \
    } while (0)

void arg_max_s8(const tf_arg_params *params, const int8_t *input, void *output) { TF_ARG_WALK(>); }
void arg_min_s8(const tf_arg_params *params, const int8_t *input, void *output) { TF_ARG_WALK(<); }
void arg_max_f32(const tf_arg_params *params, const float *input, void *output) { TF_ARG_WALK(>); }
void arg_min_f32(const tf_arg_params *params, const float *input, void *output) { TF_ARG_WALK(<); }
