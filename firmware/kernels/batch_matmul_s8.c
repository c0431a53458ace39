/*
 * BATCH_MATMUL, int8: the numbers of TFLite's reference BatchMatMul for int8.
 * For each batch (three dimensions; a step of 0 repeats a broadcast
 * operand), out[i][j] = sum over k of (lhs[i][k] + lhs_offset) *
 * (rhs[k][j] + rhs_offset) in int32, rescaled with
 * MultiplyByQuantizedMultiplier, offset and clamped to int8. adj_x reads lhs
 * as [depth][rows], adj_y reads rhs as [cols][depth], as TFLite's adjoint
 * flags ask; the sums are the same integers whatever order TFLite's
 * transposed copies visit them in.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void batch_matmul_s8(const tf_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output)
{
    int32_t b0, b1, b2, i, j, k;

    for (b0 = 0; b0 < p->batch[0]; ++b0) {
        for (b1 = 0; b1 < p->batch[1]; ++b1) {
            for (b2 = 0; b2 < p->batch[2]; ++b2) {
                const int8_t *a = lhs + b0 * p->lhs_step[0] + b1 * p->lhs_step[1] + b2 * p->lhs_step[2];
                const int8_t *b = rhs + b0 * p->rhs_step[0] + b1 * p->rhs_step[1] + b2 * p->rhs_step[2];
                for (i = 0; i < p->rows; ++i) {
                    for (j = 0; j < p->cols; ++j) {
                        int32_t total = 0;
                        for (k = 0; k < p->depth; ++k) {
                            const int32_t x = p->adj_x ? a[k * p->rows + i] : a[i * p->depth + k];
                            const int32_t y = p->adj_y ? b[j * p->depth + k] : b[k * p->cols + j];
                            total += (x + p->lhs_offset) * (y + p->rhs_offset);
                        }
                        *output++ = tf_offset_clamp(tf_mbqm(total, p->multiplier, p->shift), p->output_offset,
                                                    -128, 127);
                    }
                }
            }
        }
    }
}
