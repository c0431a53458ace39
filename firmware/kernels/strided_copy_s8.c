/*
 * The data movement of SPLIT, SPLIT_V, UNPACK and PACK: `rows` runs of
 * `bytes` bytes, read every `src_stride` bytes and written every
 * `dst_stride` bytes. Viewing a tensor as [outer][axis][inner], one slice
 * along the axis is such a strided run, so codegen lowers each output of a
 * split (or each input of a pack) to one call. TFLite's int8 kernels for
 * these operators copy values unchanged (input and outputs share one scale),
 * so bytes are all that move.
 */
#include "tinyforge/kernels.h"

void strided_copy_s8(int32_t rows, int32_t bytes, const int8_t *src, int32_t src_stride,
                     int8_t *dst, int32_t dst_stride)
{
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        for (i = 0; i < bytes; ++i) {
            dst[r * dst_stride + i] = src[r * src_stride + i];
        }
    }
}
