/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM, float32: TFLite's lstm_eval.cc EvalFloat and
 * LstmStepFloat, without peephole, projection or layer norm, in TFLite's
 * order of operations (compiled with -ffp-contract=off), so the arithmetic
 * is TFLite's bit for bit:
 *  - each gate starts from its bias; the input weights' dot products (skipped
 *    when the step's input is all zeros, as TFLite skips them) and then the
 *    recurrent weights' are summed from 0.0f along each row and added;
 *  - input, forget and output gates take 1 / (1 + exp(-x)), the cell gate
 *    the layer's activation;
 *  - cell = forget * cell, then cell += cell gate * input gate (1 - forget
 *    with CIFG), clipped to +-cell_clip when that is above 0;
 *  - the output state is output gate * activation(cell), copied to the
 *    output row.
 * expf and tanhf come from the C library: the boards' newlib can differ from
 * the host's glibc in the last bit (codegen/verify/float_bound.py).
 */
#include <math.h>

#include "tinyforge/kernels.h"

static float activate(int32_t activation, float x)
{
    switch (activation) {
    case TF_LSTM_F32_SIGMOID:
        return 1.0f / (1.0f + expf(-x));
    case TF_LSTM_F32_RELU:
        return x < 0.0f ? 0.0f : x;
    case TF_LSTM_F32_RELU6:
        return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    default:
        return tanhf(x);
    }
}

static int all_zero(const float *v, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (v[i] != 0.0f) {
            return 0;
        }
    }
    return 1;
}

/* out[b][r] += (sum over k of w[r][k] * v[b][k], from 0.0f): TFLite's MatrixBatchVectorMultiplyAccumulate. */
static void add_products(const float *w, const float *v, int32_t rows, int32_t n_cell, int32_t n, float *out)
{
    int32_t b, r, k;

    for (b = 0; b < rows; ++b) {
        for (r = 0; r < n_cell; ++r) {
            float dot = 0.0f;
            for (k = 0; k < n; ++k) {
                dot += w[r * n + k] * v[b * n + k];
            }
            out[b * n_cell + r] += dot;
        }
    }
}

/* One gate for `rows` batch rows: bias, + W x, + R h, then the activation (TFLite's CalculateLstmGateFloat). */
static void gate_f32(const tf_lstm_f32_gate *g, const tf_lstm_f32_params *p, int32_t rows, const float *x,
                     int input_is_zero, const float *h, int32_t activation, float *out)
{
    int32_t b, k;

    for (b = 0; b < rows; ++b) {
        for (k = 0; k < p->n_cell; ++k) {
            out[b * p->n_cell + k] = g->bias[k];
        }
    }
    if (!input_is_zero) {
        add_products(g->input_weights, x, rows, p->n_cell, p->n_input, out);
    }
    add_products(g->recurrent_weights, h, rows, p->n_cell, p->n_output, out);
    for (k = 0; k < rows * p->n_cell; ++k) {
        out[k] = activate(activation, out[k]);
    }
}

/* One time step for `rows` batch rows (TFLite's LstmStepFloat); scratch holds 5 x rows x n_cell floats. */
static void step_f32(const tf_lstm_f32_params *p, int32_t rows, const float *x, float *h, float *c, float *scratch,
                     float *out, int32_t out_stride)
{
    const int32_t n = rows * p->n_cell;
    float *input_gate = scratch, *forget_gate = scratch + n, *cell_gate = scratch + 2 * n;
    float *output_gate = scratch + 3 * n, *hidden = scratch + 4 * n;
    const int zero = all_zero(x, rows * p->n_input);
    int32_t i, b;

    if (!p->use_cifg) {
        gate_f32(&p->gates[TF_LSTM_INPUT], p, rows, x, zero, h, TF_LSTM_F32_SIGMOID, input_gate);
    }
    gate_f32(&p->gates[TF_LSTM_FORGET], p, rows, x, zero, h, TF_LSTM_F32_SIGMOID, forget_gate);
    gate_f32(&p->gates[TF_LSTM_CELL], p, rows, x, zero, h, p->activation, cell_gate);
    gate_f32(&p->gates[TF_LSTM_OUTPUT], p, rows, x, zero, h, TF_LSTM_F32_SIGMOID, output_gate);

    for (i = 0; i < n; ++i) {
        c[i] = forget_gate[i] * c[i];
    }
    if (p->use_cifg) {
        for (i = 0; i < n; ++i) {
            forget_gate[i] = 1.0f - forget_gate[i];
            c[i] += cell_gate[i] * forget_gate[i];
        }
    } else {
        for (i = 0; i < n; ++i) {
            c[i] += cell_gate[i] * input_gate[i];
        }
    }
    if (p->cell_clip > 0.0f) {
        for (i = 0; i < n; ++i) {
            c[i] = c[i] > p->cell_clip ? p->cell_clip : (c[i] < -p->cell_clip ? -p->cell_clip : c[i]);
        }
    }
    for (i = 0; i < n; ++i) {
        hidden[i] = activate(p->activation, c[i]);
        hidden[i] = output_gate[i] * hidden[i];
        h[i] = hidden[i];              /* n_output == n_cell without projection */
    }
    for (b = 0; b < rows; ++b) {
        for (i = 0; i < p->n_output; ++i) {
            out[b * out_stride + i] = h[b * p->n_output + i];
        }
    }
}

void unidirectional_sequence_lstm_f32(const tf_lstm_f32_params *p, const float *input, float *output_state,
                                      float *cell_state, float *scratch, float *output)
{
    int32_t t, b;

    if (p->time_major) {
        /* [time, batch, input]: each step takes every batch row at once */
        for (t = 0; t < p->n_time; ++t) {
            step_f32(p, p->n_batch, input + t * p->n_batch * p->n_input, output_state, cell_state, scratch,
                     output + t * p->n_batch * p->n_output, p->n_output);
        }
        return;
    }
    /* [batch, time, input]: each batch row is its own sequence */
    for (b = 0; b < p->n_batch; ++b) {
        for (t = 0; t < p->n_time; ++t) {
            step_f32(p, 1, input + (b * p->n_time + t) * p->n_input, output_state + b * p->n_output,
                     cell_state + b * p->n_cell, scratch, output + (b * p->n_time + t) * p->n_output, p->n_output);
        }
    }
}
