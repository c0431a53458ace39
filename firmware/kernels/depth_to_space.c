/*
 * DEPTH_TO_SPACE, any element type: NHWC, block b, the inverse of SPACE_TO_DEPTH.
 * Input pixel (y, x) holds b x b output pixels' channels: output pixel
 * (y * b + i, x * b + j) is the run starting at channel (i * b + j) of it, as
 * TFLite's reference_ops::DepthToSpace indexes them. run_bytes is one output
 * pixel (output channels times element size).
 */
#include "tinyforge/kernels.h"

void depth_to_space(const tf_space_depth_params *params, const int8_t *input, int8_t *output)
{
    const int32_t b = params->block;
    const int32_t run = params->run_bytes;
    const int32_t pixel_bytes = b * b * run;
    const int32_t row_bytes = params->input_width * pixel_bytes;
    int32_t n, y, i, x, j, k;

    for (n = 0; n < params->batches; ++n) {
        const int8_t *image = input + n * params->input_height * row_bytes;
        for (y = 0; y < params->input_height; ++y) {
            for (i = 0; i < b; ++i) {
                /* output row y * b + i: from each input pixel of row y, its runs i * b .. i * b + b - 1 */
                for (x = 0; x < params->input_width; ++x) {
                    const int8_t *from = image + y * row_bytes + x * pixel_bytes + i * b * run;
                    for (j = 0; j < b; ++j) {
                        for (k = 0; k < run; ++k) {
                            *output++ = from[j * run + k];
                        }
                    }
                }
            }
        }
    }
}
