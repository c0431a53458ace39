/*
 * BATCH_MATMUL, 16x8 (int16 operands, both activations or one constant):
 * the numbers of TFLite's reference BatchMatMul<int16_t, int64_t>. The
 * zero points are 0, so out[i][j] = sum over k of lhs[i][k] * rhs[k][j],
 * summed in int64, rescaled with the 64-bit MultiplyByQuantizedMultiplier
 * (requantize_s64.h) and clamped to int16. Batches and adjoints as in
 * batch_matmul_s8.c.
 */
#include "tinyforge/kernels.h"

#include "requantize_s64.h"

void batch_matmul_s16(const tf_batch_matmul_params *p, const int16_t *lhs, const int16_t *rhs, int16_t *output)
{
    int32_t b0, b1, b2, i, j, k;

    for (b0 = 0; b0 < p->batch[0]; ++b0) {
        for (b1 = 0; b1 < p->batch[1]; ++b1) {
            for (b2 = 0; b2 < p->batch[2]; ++b2) {
                const int16_t *a = lhs + b0 * p->lhs_step[0] + b1 * p->lhs_step[1] + b2 * p->lhs_step[2];
                const int16_t *b = rhs + b0 * p->rhs_step[0] + b1 * p->rhs_step[1] + b2 * p->rhs_step[2];
                for (i = 0; i < p->rows; ++i) {
                    for (j = 0; j < p->cols; ++j) {
                        int64_t total = 0;
                        int32_t scaled;
                        for (k = 0; k < p->depth; ++k) {
                            const int32_t x = p->adj_x ? a[k * p->rows + i] : a[i * p->depth + k];
                            const int32_t y = p->adj_y ? b[j * p->depth + k] : b[k * p->cols + j];
                            total += (int64_t)(x * y);
                        }
                        scaled = tf_mbqm64_reduced(total, p->multiplier, p->shift);
                        *output++ = (int16_t)(scaled < -32768 ? -32768 : scaled > 32767 ? 32767 : scaled);
                    }
                }
            }
        }
    }
}
