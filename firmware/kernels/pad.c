/*
 * PAD and PADV2, int8, int16 and float32, up to TF_MAX_DIMS dimensions.
 *
 * Mirrors tflite::reference_ops::Pad (internal/reference/pad.h): every
 * output element inside [before, before + input size) on all dimensions is
 * copied from the input, every other one is the pad value (PAD: the output
 * zero point; PADV2: its constant, which TFLite requires to share the
 * output's quantization).
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"

/* One walk for every type: `inside` elements come from the input in its own order. */
#define TF_PAD_WALK(type, pad)                                                         \
    do {                                                                               \
        const int32_t total = tf_shape_size(params->output_shape);                     \
        int32_t idx[TF_MAX_DIMS] = {0};                                                \
        int32_t in_pos = 0;                                                            \
        int32_t i;                                                                     \
        int d;                                                                         \
        for (i = 0; i < total; ++i) {                                                  \
            int inside = 1;                                                            \
            for (d = 0; d < TF_MAX_DIMS; ++d) {                                        \
                const int32_t at = idx[d] - params->before[d];                         \
                if (at < 0 || at >= params->input_shape[d]) {                          \
                    inside = 0;                                                        \
                    break;                                                             \
                }                                                                      \
            }                                                                          \
            output[i] = inside ? input[in_pos++] : (type)(pad);                        \
            for (d = TF_MAX_DIMS - 1; d >= 0; --d) {                                   \
                if (++idx[d] < params->output_shape[d]) {                              \
                    break;                                                             \
                }                                                                      \
                idx[d] = 0;                                                            \
            }                                                                          \
        }                                                                              \
    } while (0)

void pad_s8(const tf_pad_params *params, const int8_t *input, int8_t *output)
{
    TF_PAD_WALK(int8_t, params->pad_value);
}

void pad_s16(const tf_pad_params *params, const int16_t *input, int16_t *output)
{
    TF_PAD_WALK(int16_t, params->pad_value);
}

void pad_f32(const tf_pad_params *params, const float *input, float *output)
{
    TF_PAD_WALK(float, params->pad_value_f32);
}
