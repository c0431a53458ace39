/*
 * RESIZE_NEAREST_NEIGHBOR, any element type (int8, int16): every output pixel
 * is a copy of one input pixel, all its channels.
 *
 * Which input row and column each output row and column takes is TFLite's
 * GetNearestNeighbor (internal/reference/resize_nearest_neighbor.h), a float32
 * computation codegen does once at compile time (align_corners,
 * half_pixel_centers), so the kernel only follows two index tables.
 */
#include "tinyforge/kernels.h"

void resize_nearest_neighbor(const tf_resize_nearest_params *params, const int8_t *input, int8_t *output)
{
    const int32_t pixel = params->pixel_bytes;
    const int32_t row_bytes = params->input_width * pixel;
    int32_t b, y, x, k;

    for (b = 0; b < params->batches; ++b) {
        const int8_t *image = input + b * params->input_height * row_bytes;
        for (y = 0; y < params->output_height; ++y) {
            const int8_t *row = image + params->rows[y] * row_bytes;
            for (x = 0; x < params->output_width; ++x) {
                const int8_t *from = row + params->columns[x] * pixel;
                for (k = 0; k < pixel; ++k) {
                    *output++ = from[k];
                }
            }
        }
    }
}
