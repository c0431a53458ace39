/*
 * The ring of input rows the tuned depthwise kernels read their receptive
 * fields from (depthwise_conv2d_fast_s8.c, depthwise_conv2d_3x3_s8.c).
 * Internal: include only from firmware/kernels/ sources.
 *
 * The ring holds k_h input rows, each padded left and right with the input
 * zero point, and rows above or below the input are all zero point. A
 * padding byte then contributes w * (zero_point + input_offset) = 0,
 * exactly what TFLite's skipped taps contribute, so every output pixel runs
 * the same full k_h x k_w loop with no bounds, and the input offset leaves
 * the loop: sum w * (x + offset) = sum w * x + offset * sum w, the second
 * term folded into each channel's bias by codegen.
 *
 * In place: output row y is written over input row y only after input rows
 * up to y - pad_h + k_h - 1 (the newest its window reads) are in the ring,
 * and later rows are still untouched in the input. So DS-CNN's depthwise
 * layers need one activation tensor and a 1,344-byte ring instead of two
 * tensors.
 */
#ifndef TINYFORGE_KERNELS_DEPTHWISE_RING_H
#define TINYFORGE_KERNELS_DEPTHWISE_RING_H

#include <stdint.h>
#include <string.h>

#include "tinyforge/kernels.h"

/* A receptive field's row pointers live in a small array of TF_DW_MAX_KERNEL_H (tinyforge/kernels.h). */

typedef struct {
    int8_t *slots;          /* k_h rows of padded_bytes; row y is in slot y mod k_h */
    const int8_t *in_batch;
    int32_t in_h, k_h;
    int32_t row_bytes;      /* one input row */
    int32_t left_bytes;     /* left padding */
    int32_t padded_bytes;   /* one slot: the columns the outputs read */
    int32_t next_row;       /* rows [next_row - k_h, next_row) are in the ring */
    int8_t zero_point;
} tf_dw_ring;

static inline tf_dw_ring tf_dw_ring_init(int8_t *slots, const tf_conv_params *params, const tf_dims *input_dims,
                                         const tf_dims *filter_dims, const tf_dims *output_dims)
{
    tf_dw_ring r;
    r.slots = slots;
    r.in_batch = 0;
    r.in_h = input_dims->h;
    r.k_h = filter_dims->h;
    r.row_bytes = input_dims->w * input_dims->c;
    r.left_bytes = params->pad_w * input_dims->c;
    r.padded_bytes = ((output_dims->w - 1) * params->stride_w + filter_dims->w) * input_dims->c;
    r.next_row = 0;
    r.zero_point = (int8_t)(-params->input_offset);
    return r;
}

/* Start on a batch: nothing of it is in the ring yet. */
static inline void tf_dw_ring_batch(tf_dw_ring *r, const int8_t *in_batch, int32_t pad_h)
{
    r->in_batch = in_batch;
    r->next_row = -pad_h;
}

/* Copy input row y (or zero point for a row outside the input) into its slot, padded. */
static inline void tf_dw_ring_fill(const tf_dw_ring *r, int32_t y)
{
    int8_t *slot = r->slots + ((y % r->k_h + r->k_h) % r->k_h) * r->padded_bytes;
    if (y < 0 || y >= r->in_h) {
        memset(slot, r->zero_point, (size_t)r->padded_bytes);
        return;
    }
    {
        const int32_t copy = r->left_bytes + r->row_bytes > r->padded_bytes ? r->padded_bytes - r->left_bytes
                                                                             : r->row_bytes;
        memset(slot, r->zero_point, (size_t)r->left_bytes);
        memcpy(slot + r->left_bytes, r->in_batch + y * r->row_bytes, (size_t)copy);
        memset(slot + r->left_bytes + copy, r->zero_point, (size_t)(r->padded_bytes - r->left_bytes - copy));
    }
}

/* Bring input rows top .. top + k_h - 1 into the ring and point rows[ky] at row top + ky. */
static inline void tf_dw_ring_window(tf_dw_ring *r, int32_t top, const int8_t **rows)
{
    int32_t ky;
    if (r->next_row < top) {
        r->next_row = top;
    }
    for (; r->next_row < top + r->k_h; ++r->next_row) {
        tf_dw_ring_fill(r, r->next_row);
    }
    for (ky = 0; ky < r->k_h; ++ky) {
        rows[ky] = r->slots + (((top + ky) % r->k_h + r->k_h) % r->k_h) * r->padded_bytes;
    }
}

#endif /* TINYFORGE_KERNELS_DEPTHWISE_RING_H */
