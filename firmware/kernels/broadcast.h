/*
 * Internal: iteration over an output of up to TF_MAX_DIMS dimensions, shared
 * by the elementwise and data-movement kernels.
 *
 * codegen pads every shape to TF_MAX_DIMS with leading ones and gives, per
 * output dimension, the step (in elements) that one output step moves in
 * each input; a broadcast dimension has step 0, a transposed one the input
 * stride of the permuted axis. That is how TFLite's BroadcastAdd6DSlow and
 * friends index their inputs (NdArrayDesc strides of 0 for broadcast
 * dimensions), with the descriptor computed ahead of time.
 *
 * Not part of the public API: include only from firmware/kernels/ sources.
 */
#ifndef TINYFORGE_KERNELS_BROADCAST_H
#define TINYFORGE_KERNELS_BROADCAST_H

#include "tinyforge/kernels.h"

/* The odometer over the output: idx[] counts in row-major order; offset[k]
 * is where input k stands for the current output element. Advancing the
 * innermost dimension that has not wrapped adds its step; every dimension
 * that wrapped gives its whole run back. */
typedef struct {
    int32_t idx[TF_MAX_DIMS];
    int32_t offset[2];
} tf_odometer;

static inline void tf_odometer_start(tf_odometer *o)
{
    int d;
    for (d = 0; d < TF_MAX_DIMS; ++d) {
        o->idx[d] = 0;
    }
    o->offset[0] = 0;
    o->offset[1] = 0;
}

static inline void tf_odometer_next(tf_odometer *o, const int32_t *shape,
                                    const int32_t *step0, const int32_t *step1)
{
    int d;
    for (d = TF_MAX_DIMS - 1; d >= 0; --d) {
        o->offset[0] += step0[d];
        if (step1 != 0) {
            o->offset[1] += step1[d];
        }
        if (++o->idx[d] < shape[d]) {
            return;
        }
        o->offset[0] -= step0[d] * shape[d];
        if (step1 != 0) {
            o->offset[1] -= step1[d] * shape[d];
        }
        o->idx[d] = 0;
    }
}

static inline int32_t tf_shape_size(const int32_t *shape)
{
    int32_t n = 1;
    int d;
    for (d = 0; d < TF_MAX_DIMS; ++d) {
        n *= shape[d];
    }
    return n;
}

/* The walk of TRANSPOSE and STRIDED_SLICE (tf_gather_params): output element i is the input element at
 * start + the odometer's offset. One body for every element type. */
#define TF_GATHER_WALK(params, input, output)                                   \
    do {                                                                        \
        const int32_t total_ = tf_shape_size((params)->shape);                  \
        tf_odometer at_;                                                        \
        int32_t i_;                                                             \
        tf_odometer_start(&at_);                                                \
        for (i_ = 0; i_ < total_; ++i_) {                                       \
            (output)[i_] = (input)[(params)->start + at_.offset[0]];            \
            tf_odometer_next(&at_, (params)->shape, (params)->step, 0);         \
        }                                                                       \
    } while (0)

#endif /* TINYFORGE_KERNELS_BROADCAST_H */
