/*
 * SPACE_TO_DEPTH, any element type: NHWC, block b. Output pixel (y, x) holds
 * the b x b input pixels (y * b + i, x * b + j), in that order (i, then j),
 * each whole, as TFLite's reference_ops::SpaceToDepth indexes them. run_bytes
 * is one input pixel (input channels times element size).
 */
#include "tinyforge/kernels.h"

void space_to_depth(const tf_space_depth_params *params, const int8_t *input, int8_t *output)
{
    const int32_t b = params->block;
    const int32_t run = params->run_bytes;
    const int32_t row_bytes = params->input_width * run;
    int32_t n, y, x, i, j;

    for (n = 0; n < params->batches; ++n) {
        const int8_t *image = input + n * params->input_height * row_bytes;
        for (y = 0; y < params->input_height / b; ++y) {
            for (x = 0; x < params->input_width / b; ++x) {
                for (i = 0; i < b; ++i) {
                    const int8_t *from = image + (y * b + i) * row_bytes + x * b * run;
                    for (j = 0; j < b * run; ++j) {
                        *output++ = from[j];
                    }
                }
            }
        }
    }
}
