/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM, TFLite's integer "8x8_16" LSTM: int8 input,
 * weights and output state, int16 cell state, gates in 16-bit fixed point.
 *
 * Mirrors tflite::ops::builtin::lstm_eval::EvalInteger8x8_16 and its step
 * (CalculateLstmGateInteger8x8_16, UpdateLstmCellInteger,
 * CalculateLstmOutputInteger8x8_16) with the portable tensor_utils
 * primitives, for the variant the converter emits from Keras: no peephole,
 * no layer normalisation, no projection; CIFG (no input gate) is handled.
 * Gate pre-activations are Q3.12, gate outputs Q0.15, the cell state is
 * Q(15 + cell_scale_log2).(-cell_scale_log2).
 *
 * codegen folds the zero points into the biases (TFLite's
 * PrecomputeZeroPointTimesWeightWithBias) and precomputes every multiplier.
 */
#include "tinyforge/kernels.h"

#include "fixedpoint_s16.h"
#include "requantize.h"

/* tensor_utils::MatrixBatchVectorMultiplyAccumulate (int8 x int8 -> int16):
 * gate += requant(bias + weights . input), saturated to int16. */
static void accumulate_gate(const int8_t *input, int32_t n_batch, int32_t n_input, int32_t n_cell,
                            const int8_t *weights, const int32_t *bias,
                            int32_t multiplier, int32_t shift, int16_t *gate)
{
    int32_t b, row, col;

    for (b = 0; b < n_batch; ++b) {
        const int8_t *x = input + b * n_input;
        for (row = 0; row < n_cell; ++row) {
            const int8_t *w = weights + row * n_input;
            int32_t acc = bias[row];
            for (col = 0; col < n_input; ++col) {
                acc += (int32_t)x[col] * (int32_t)w[col];
            }
            acc = tf_mbqm(acc, multiplier, shift);
            gate[b * n_cell + row] = tf_sat16(acc + gate[b * n_cell + row]);
        }
    }
}

static void compute_gate(const tf_lstm_params *p, int gate_index, const int8_t *input,
                         const int8_t *output_state, int32_t n_batch, int16_t *gate)
{
    const tf_lstm_gate *g = &p->gates[gate_index];
    const int32_t count = n_batch * p->n_cell;
    int32_t i;

    for (i = 0; i < count; ++i) {
        gate[i] = 0;
    }
    accumulate_gate(input, n_batch, p->n_input, p->n_cell, g->input_weights, g->input_bias,
                    g->input_multiplier, g->input_shift, gate);
    accumulate_gate(output_state, n_batch, p->n_output, p->n_cell, g->recurrent_weights, g->recurrent_bias,
                    g->recurrent_multiplier, g->recurrent_shift, gate);
    for (i = 0; i < count; ++i) {
        /* Pre-activations are Q3.12 (intermediate scale 2^-12 without layer norm). */
        gate[i] = (gate_index == TF_LSTM_CELL) ? tf_tanh16(gate[i], 3) : tf_logistic16(gate[i], 3);
    }
}

/* One time step for n_batch sequences whose inputs, states and outputs are contiguous. */
static void lstm_step(const tf_lstm_params *p, const int8_t *input, int32_t n_batch,
                      int8_t *output_state, int16_t *cell_state, int16_t *scratch, int8_t *output)
{
    const int32_t count = n_batch * p->n_cell;
    int16_t *input_gate = scratch;
    int16_t *forget_gate = scratch + count;
    int16_t *cell_gate = scratch + 2 * count;
    int16_t *output_gate = scratch + 3 * count;
    int32_t i;

    if (!p->use_cifg) {
        compute_gate(p, TF_LSTM_INPUT, input, output_state, n_batch, input_gate);
    }
    compute_gate(p, TF_LSTM_FORGET, input, output_state, n_batch, forget_gate);
    compute_gate(p, TF_LSTM_CELL, input, output_state, n_batch, cell_gate);

    /* UpdateLstmCellInteger: c = f*c >> 15 + i*g >> (30 + cell_scale), saturating add, then clip. */
    for (i = 0; i < count; ++i) {
        const int16_t gate_in = p->use_cifg ? tf_wrap16(TF_INT16_MAX - forget_gate[i]) : input_gate[i];
        const int16_t kept = (int16_t)tf_rdbpot((int32_t)forget_gate[i] * cell_state[i], 15);
        const int16_t added = (int16_t)tf_rdbpot((int32_t)gate_in * cell_gate[i], 30 + p->cell_scale_log2);
        int32_t c = tf_sat16((int32_t)kept + added);
        if (p->cell_clip > 0) {
            c = c > p->cell_clip ? p->cell_clip : (c < -p->cell_clip ? -p->cell_clip : c);
        }
        cell_state[i] = (int16_t)c;
    }

    compute_gate(p, TF_LSTM_OUTPUT, input, output_state, n_batch, output_gate);

    /* CalculateLstmOutputInteger8x8_16: h = requant(o * tanh(c)) in the hidden scale, no projection.
     * TFLite's ApplyTanh only dispatches 0..6 integer bits (cell scales 2^-15..2^-9); for any other
     * cell scale it returns without writing, so the "tanh" it multiplies by is whatever its scratch
     * buffer still holds: the input gate of this step. Reproduced here so such models stay bit-exact
     * (codegen refuses the CIFG case, where that buffer holds nothing defined). */
    for (i = 0; i < count; ++i) {
        const int tanh_bits = 15 + p->cell_scale_log2;
        const int16_t cell_tanh = (tanh_bits >= 0 && tanh_bits <= 6) ? tf_tanh16(cell_state[i], tanh_bits)
                                                                      : input_gate[i];
        int32_t h = tf_mbqm((int32_t)output_gate[i] * cell_tanh, p->hidden_multiplier, p->hidden_shift);
        h += p->hidden_zero_point;
        h = h < -128 ? -128 : (h > 127 ? 127 : h);
        output_state[i] = (int8_t)h;
        output[i] = (int8_t)h;
    }
}

void unidirectional_sequence_lstm_s8(const tf_lstm_params *p, const int8_t *input,
                                     int8_t *output_state, int16_t *cell_state,
                                     int16_t *scratch, int8_t *output)
{
    int32_t b, t;

    if (p->time_major) {
        /* [time][batch][features]: every step advances all sequences at once. */
        for (t = 0; t < p->n_time; ++t) {
            lstm_step(p, input + t * p->n_batch * p->n_input, p->n_batch, output_state, cell_state,
                      scratch, output + t * p->n_batch * p->n_output);
        }
        return;
    }
    /* [batch][time][features]: one sequence after the other, each with its own state row. */
    for (b = 0; b < p->n_batch; ++b) {
        for (t = 0; t < p->n_time; ++t) {
            const int32_t row = b * p->n_time + t;
            lstm_step(p, input + row * p->n_input, 1, output_state + b * p->n_output,
                      cell_state + b * p->n_cell, scratch, output + row * p->n_output);
        }
    }
}
