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

#include "core_features.h"
#include "dot_rows_s8.h"
#include "fixedpoint_s16.h"
#include "requantize.h"

/* As in fully_connected_fast_s8.c: at -Os GCC spills the four accumulators
 * and row pointers of the blocked loop; -O3 keeps them in registers. */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

/* tensor_utils::MatrixBatchVectorMultiplyAccumulate (int8 x int8 -> int16):
 * gate += requant(bias + weights . input), saturated to int16. Four rows per
 * pass (dot_rows_s8.h): the gate products are nearly all of the LSTM's work,
 * and each input byte then serves four rows. */
#if defined(__GNUC__)
__attribute__((noinline))   /* inlined into its callers, the blocked loop runs out of registers */
#endif
static void accumulate_gate(const int8_t *input, int32_t n_batch, int32_t n_input, int32_t n_cell,
                            const int8_t *weights, const int32_t *bias,
                            int32_t multiplier, int32_t shift, int16_t *gate)
{
    int32_t b, row, k;

    for (b = 0; b < n_batch; ++b) {
        const int8_t *x = input + b * n_input;
        int16_t *gate_row = gate + b * n_cell;
        for (row = 0; row + 4 <= n_cell; row += 4) {
            int32_t acc[4] = {bias[row], bias[row + 1], bias[row + 2], bias[row + 3]};
            const int8_t *w = weights + row * n_input;
            tf_dot_4rows_s8(x, 0, w, w + n_input, w + 2 * n_input, w + 3 * n_input, n_input, acc);
            for (k = 0; k < 4; ++k) {
                gate_row[row + k] = tf_sat16(tf_mbqm(acc[k], multiplier, shift) + gate_row[row + k]);
            }
        }
        if (row < n_cell) {
            /* One to three rows left: the same loop, the last of them standing in for the rest. */
            const int32_t left = n_cell - row;
            int32_t acc[4] = {bias[row], left > 1 ? bias[row + 1] : 0, left > 2 ? bias[row + 2] : 0, 0};
            tf_dot_rows_s8(x, 0, weights + row * n_input, n_input, left, n_input, acc);
            for (k = 0; k < left; ++k) {
                gate_row[row + k] = tf_sat16(tf_mbqm(acc[k], multiplier, shift) + gate_row[row + k]);
            }
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
    /* Pre-activations are Q3.12 (intermediate scale 2^-12 without layer norm). Two loops, so
     * each inlines its function with the format as a constant. */
    if (gate_index == TF_LSTM_CELL) {
        for (i = 0; i < count; ++i) {
            gate[i] = tf_tanh16(gate[i], 3, p->exp_q4);
        }
    } else {
        for (i = 0; i < count; ++i) {
            gate[i] = tf_logistic16(gate[i], 3, p->exp_q3);
        }
    }
}

/* tanh of the cell state in Q(tanh_bits).(15 - tanh_bits), as TFLite's ApplyTanh dispatches it: one
 * case per format, so each inlines tanh with its format as a constant (with the format as a variable
 * the barrel shifter's loop stays a loop, several times slower). Other formats return "otherwise"
 * (see CalculateLstmOutputInteger8x8_16 below). */
static inline int16_t cell_state_tanh(int16_t cell, int tanh_bits, const int16_t *table, int16_t otherwise)
{
    switch (tanh_bits) {
    case 0: return tf_tanh16(cell, 0, table);
    case 1: return tf_tanh16(cell, 1, table);
    case 2: return tf_tanh16(cell, 2, table);
    case 3: return tf_tanh16(cell, 3, table);
    case 4: return tf_tanh16(cell, 4, table);
    case 5: return tf_tanh16(cell, 5, table);
    case 6: return tf_tanh16(cell, 6, table);
    default: return otherwise;
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
        const int16_t cell_tanh = cell_state_tanh(cell_state[i], 15 + p->cell_scale_log2, p->exp_cell,
                                                   input_gate[i]);
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
