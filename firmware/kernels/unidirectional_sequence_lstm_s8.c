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
 * Under the weight budget (optimize=size) the recurrent biases, which the
 * .tflite does not hold, are computed into RAM by model_reset() instead
 * (unidirectional_sequence_lstm_recurrent_bias_s8), and exp's Taylor part
 * is computed for each gate value instead of read from tables.
 *
 * Two entry points, which the kernel selector chooses between
 * (codegen/compiler/select.py, select_lstm):
 *  - unidirectional_sequence_lstm_s8: one time step after the other.
 *  - unidirectional_sequence_lstm_paired_s8, for cores with the DSP
 *    extension: the input-to-gate products do not depend on the recurrence,
 *    so they are computed for two time steps at once. Each weight word is
 *    then loaded and widened (SXTB16) once for both steps; with the steps'
 *    inputs widened to int16 pairs beforehand, 16 multiply-accumulates take
 *    18 instructions instead of 25. The recurrent products stay one step at
 *    a time, but each step's state is widened once for all four gates'
 *    rows, and each gate's requantization form (tf_mbqm_form) is decided
 *    once per gate.
 *    Same integers in the same order of saturation: bit-exact.
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

void unidirectional_sequence_lstm_recurrent_bias_s8(const int8_t *recurrent_weights, int32_t n_cell,
                                                    int32_t n_output, int32_t state_zero_point, int32_t *bias)
{
    int32_t row, k;

    for (row = 0; row < n_cell; ++row) {
        const int8_t *w = recurrent_weights + row * n_output;
        int32_t sum = 0;
        for (k = 0; k < n_output; ++k) {
            sum += w[k];
        }
        bias[row] = -state_zero_point * sum;
    }
}

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
                gate_row[row + k] = tf_sat16(tf_mbqm_fast_form(acc[k], multiplier, shift) + gate_row[row + k]);
            }
        }
        if (row < n_cell) {
            /* One to three rows left: the same loop, the last of them standing in for the rest. */
            const int32_t left = n_cell - row;
            int32_t acc[4] = {bias[row], left > 1 ? bias[row + 1] : 0, left > 2 ? bias[row + 2] : 0, 0};
            tf_dot_rows_s8(x, 0, weights + row * n_input, n_input, left, n_input, acc);
            for (k = 0; k < left; ++k) {
                gate_row[row + k] = tf_sat16(tf_mbqm_fast_form(acc[k], multiplier, shift) + gate_row[row + k]);
            }
        }
    }
}

/* Pre-activations are Q3.12 (intermediate scale 2^-12 without layer norm). Two loops, so each inlines its
 * function with the format as a constant. */
static void activate_gate(const tf_lstm_params *p, int gate_index, int16_t *gate, int32_t count)
{
    int32_t i;
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
    activate_gate(p, gate_index, gate, count);
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

/* The cell update and the output of one step, from its four activated gates ([gate][n_batch * n_cell]). */
static void update_and_output(const tf_lstm_params *p, int32_t n_batch, const int16_t *gates,
                              int8_t *output_state, int16_t *cell_state, int8_t *output)
{
    const int32_t count = n_batch * p->n_cell;
    const int16_t *input_gate = gates + TF_LSTM_INPUT * count;
    const int16_t *forget_gate = gates + TF_LSTM_FORGET * count;
    const int16_t *cell_gate = gates + TF_LSTM_CELL * count;
    const int16_t *output_gate = gates + TF_LSTM_OUTPUT * count;
    int32_t i;

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

/* One time step for n_batch sequences whose inputs, states and outputs are contiguous. */
static void lstm_step(const tf_lstm_params *p, const int8_t *input, int32_t n_batch,
                      int8_t *output_state, int16_t *cell_state, int16_t *scratch, int8_t *output)
{
    const int32_t count = n_batch * p->n_cell;
    int g;

    for (g = p->use_cifg ? TF_LSTM_FORGET : TF_LSTM_INPUT; g <= TF_LSTM_OUTPUT; ++g) {
        compute_gate(p, g, input, output_state, n_batch, scratch + g * count);
    }
    update_and_output(p, n_batch, scratch, output_state, cell_state, output);
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

/* ---- two time steps' input products at once (unidirectional_sequence_lstm_paired_s8) ---------------- */

#if defined(__GNUC__)
#define LSTM_INLINE static inline __attribute__((always_inline))
#else
#define LSTM_INLINE static inline
#endif

/* Rows r0 and r1 of the weights times the inputs of steps a and b, which pairs holds widened: per group of
 * four inputs the words (a0,a2) (a1,a3) (b0,b2) (b1,b3), as SXTB16 makes them. acc: r0.a, r1.a, r0.b, r1.b.
 * `groups` groups of four; the caller adds the last n_input % 4 products. */
static inline void dot_2rows_2steps(const int32_t *pairs, const int8_t *w0, const int8_t *w1, int32_t groups,
                                    int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
/* Not at -O0, where r7 is the frame pointer and the loop's 14 registers are not there: this file's optimize
 * pragma defines __OPTIMIZE__ even then, __NO_INLINE__ tells -O0 apart. */
#if TF_KERNELS_DSP && defined(__OPTIMIZE__) && !defined(__NO_INLINE__)
    if (groups > 0) {
        int32_t t0, t1, t2, t3, even, odd;
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[t0], [%[w0]], #4\n\t"
            "ldr    %[t2], [%[w1]], #4\n\t"
            "sxtb16 %[t1], %[t0], ror #8\n\t"
            "sxtb16 %[t0], %[t0]\n\t"
            "sxtb16 %[t3], %[t2], ror #8\n\t"
            "sxtb16 %[t2], %[t2]\n\t"
            "ldrd   %[even], %[odd], [%[x]], #8\n\t"
            "smlad  %[a0], %[t0], %[even], %[a0]\n\t"
            "smlad  %[a0], %[t1], %[odd], %[a0]\n\t"
            "smlad  %[a1], %[t2], %[even], %[a1]\n\t"
            "smlad  %[a1], %[t3], %[odd], %[a1]\n\t"
            "ldrd   %[even], %[odd], [%[x]], #8\n\t"
            "smlad  %[a2], %[t0], %[even], %[a2]\n\t"
            "smlad  %[a2], %[t1], %[odd], %[a2]\n\t"
            "smlad  %[a3], %[t2], %[even], %[a3]\n\t"
            "smlad  %[a3], %[t3], %[odd], %[a3]\n\t"
            "subs   %[n], %[n], #1\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
              [x] "+r"(pairs), [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(groups),
              [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [even] "=&r"(even), [odd] "=&r"(odd)
            :
            : "cc", "memory");
    }
#else
    for (; groups > 0; --groups) {
        const int32_t v0 = tf_load_word(w0), v1 = tf_load_word(w1);
        const int32_t e0 = tf_sxtb16(v0), o0 = tf_sxtb16_ror8(v0), e1 = tf_sxtb16(v1), o1 = tf_sxtb16_ror8(v1);
        a0 = tf_smlad(o0, pairs[1], tf_smlad(e0, pairs[0], a0));
        a1 = tf_smlad(o1, pairs[1], tf_smlad(e1, pairs[0], a1));
        a2 = tf_smlad(o0, pairs[3], tf_smlad(e0, pairs[2], a2));
        a3 = tf_smlad(o1, pairs[3], tf_smlad(e1, pairs[2], a3));
        pairs += 4;
        w0 += 4;
        w1 += 4;
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* One gate's input products for steps a and b, every row pair, requantized in the gate's form. */
LSTM_INLINE void input_rows_2steps(const tf_lstm_gate *gate, int32_t n_input, int32_t n_cell, const int32_t *pairs,
                                   const int8_t *x_a, const int8_t *x_b, int16_t *out_a, int16_t *out_b, int form)
{
    const int32_t groups = n_input >> 2, tail = groups << 2;
    const int32_t multiplier = gate->input_multiplier, shift = gate->input_shift;
    int32_t row, k;

    for (row = 0; row < n_cell; row += 2) {
        /* An odd last row is computed twice, as its own pair. */
        const int32_t r0 = row, r1 = row + 1 < n_cell ? row + 1 : row;
        const int8_t *w0 = gate->input_weights + r0 * n_input, *w1 = gate->input_weights + r1 * n_input;
        int32_t acc[4] = {gate->input_bias[r0], gate->input_bias[r1], gate->input_bias[r0], gate->input_bias[r1]};
        dot_2rows_2steps(pairs, w0, w1, groups, acc);
        for (k = tail; k < n_input; ++k) {
            acc[0] += (int32_t)w0[k] * x_a[k];
            acc[1] += (int32_t)w1[k] * x_a[k];
            acc[2] += (int32_t)w0[k] * x_b[k];
            acc[3] += (int32_t)w1[k] * x_b[k];
        }
        out_a[r0] = tf_sat16(tf_mbqm_in_form(acc[0], multiplier, shift, form));
        out_a[r1] = tf_sat16(tf_mbqm_in_form(acc[1], multiplier, shift, form));
        out_b[r0] = tf_sat16(tf_mbqm_in_form(acc[2], multiplier, shift, form));
        out_b[r1] = tf_sat16(tf_mbqm_in_form(acc[3], multiplier, shift, form));
    }
}

/* Every gate's input products for steps a and b (inputs x_a, x_b), requantized into gates_a and gates_b
 * ([gate][n_cell] each) as compute_gate's first accumulate_gate leaves them: sat16(requant(bias + w.x)). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void input_products_2steps(const tf_lstm_params *p, const int8_t *x_a, const int8_t *x_b,
                                  int32_t *pairs, int16_t *gates_a, int16_t *gates_b)
{
    const int32_t n_input = p->n_input, n_cell = p->n_cell, groups = n_input >> 2;
    int32_t g, i;

    for (i = 0; i < groups; ++i) {
        const int32_t va = tf_load_word(x_a + 4 * i), vb = tf_load_word(x_b + 4 * i);
        pairs[4 * i] = tf_sxtb16(va);
        pairs[4 * i + 1] = tf_sxtb16_ror8(va);
        pairs[4 * i + 2] = tf_sxtb16(vb);
        pairs[4 * i + 3] = tf_sxtb16_ror8(vb);
    }
    for (g = p->use_cifg ? TF_LSTM_FORGET : TF_LSTM_INPUT; g <= TF_LSTM_OUTPUT; ++g) {
        const tf_lstm_gate *gate = &p->gates[g];
        int16_t *out_a = gates_a + g * n_cell, *out_b = gates_b + g * n_cell;
        switch (tf_mbqm_form(gate->input_multiplier, gate->input_shift)) {
        case TF_MBQM_LEFT:
            input_rows_2steps(gate, n_input, n_cell, pairs, x_a, x_b, out_a, out_b, TF_MBQM_LEFT);
            break;
        case TF_MBQM_RIGHT:
            input_rows_2steps(gate, n_input, n_cell, pairs, x_a, x_b, out_a, out_b, TF_MBQM_RIGHT);
            break;
        default:
            input_rows_2steps(gate, n_input, n_cell, pairs, x_a, x_b, out_a, out_b, TF_MBQM_GENERAL);
            break;
        }
    }
}

/* Four rows of a recurrent weight matrix times the step's state, which pairs holds widened ((s0,s2) (s1,s3)
 * per group of four): each pair of state words, loaded once, serves the four rows. acc += the products of
 * the first 4 * groups state values. 23 instructions for 16 multiply-accumulates, where tf_dot_4rows_s8,
 * which widens the state again for every four rows, takes 25. Out of line: inlined into the row loop, which
 * keeps its own pointers live across it, the loop's 14 registers are not there. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void dot_4rows_widened(const int32_t *pairs, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                     const int8_t *w3, int32_t groups, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if TF_KERNELS_DSP && defined(__OPTIMIZE__) && !defined(__NO_INLINE__)   /* not at -O0: see dot_2rows_2steps */
    if (groups > 0) {
        int32_t even, odd, t, u;
#define LSTM_WIDENED_ROW(w, a)                          \
        "ldr    %[t], [%[" w "]], #4\n\t"               \
        "sxtb16 %[u], %[t]\n\t"                         \
        "sxtb16 %[t], %[t], ror #8\n\t"                 \
        "smlad  %[" a "], %[u], %[even], %[" a "]\n\t"  \
        "smlad  %[" a "], %[t], %[odd], %[" a "]\n\t"
        __asm__ volatile(
            "1:\n\t"
            "ldrd   %[even], %[odd], [%[x]], #8\n\t"
            LSTM_WIDENED_ROW("w0", "a0")
            LSTM_WIDENED_ROW("w1", "a1")
            LSTM_WIDENED_ROW("w2", "a2")
            LSTM_WIDENED_ROW("w3", "a3")
            "subs   %[n], %[n], #1\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(pairs),
              [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [n] "+r"(groups),
              [even] "=&r"(even), [odd] "=&r"(odd), [t] "=&r"(t), [u] "=&r"(u)
            :
            : "cc", "memory");
#undef LSTM_WIDENED_ROW
    }
#else
    for (; groups > 0; --groups) {
        const int32_t v0 = tf_load_word(w0), v1 = tf_load_word(w1), v2 = tf_load_word(w2), v3 = tf_load_word(w3);
        a0 = tf_smlad(tf_sxtb16_ror8(v0), pairs[1], tf_smlad(tf_sxtb16(v0), pairs[0], a0));
        a1 = tf_smlad(tf_sxtb16_ror8(v1), pairs[1], tf_smlad(tf_sxtb16(v1), pairs[0], a1));
        a2 = tf_smlad(tf_sxtb16_ror8(v2), pairs[1], tf_smlad(tf_sxtb16(v2), pairs[0], a2));
        a3 = tf_smlad(tf_sxtb16_ror8(v3), pairs[1], tf_smlad(tf_sxtb16(v3), pairs[0], a3));
        pairs += 2;
        w0 += 4;
        w1 += 4;
        w2 += 4;
        w3 += 4;
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* One gate's recurrent products added to its input products, as lstm_step's second accumulate_gate adds
 * them: gate = sat16(requant(recurrent bias + w.state) + gate), four rows per pass, in the gate's form.
 * A last block of one to three rows repeats its last row for the missing ones and keeps only its own. */
LSTM_INLINE void recurrent_rows(const tf_lstm_gate *gate, int32_t n_cell, int32_t n_output, const int32_t *pairs,
                                const int8_t *state, int16_t *out, int form)
{
    const int32_t groups = n_output >> 2, tail = groups << 2;
    const int32_t multiplier = gate->recurrent_multiplier, shift = gate->recurrent_shift;
    int32_t row, k;

    for (row = 0; row < n_cell; row += 4) {
        const int32_t rows = n_cell - row < 4 ? n_cell - row : 4;
        const int8_t *w0 = gate->recurrent_weights + row * n_output;
        const int8_t *last = w0 + (rows - 1) * n_output;
        const int8_t *w1 = rows > 1 ? w0 + n_output : last, *w2 = rows > 2 ? w0 + 2 * n_output : last;
        const int32_t *bias = gate->recurrent_bias + row;
        int32_t acc[4] = {bias[0], rows > 1 ? bias[1] : 0, rows > 2 ? bias[2] : 0, rows > 3 ? bias[3] : 0};
        dot_4rows_widened(pairs, w0, w1, w2, last, groups, acc);
        for (k = tail; k < n_output; ++k) {
            const int32_t v = state[k];
            acc[0] += (int32_t)w0[k] * v;
            acc[1] += (int32_t)w1[k] * v;
            acc[2] += (int32_t)w2[k] * v;
            acc[3] += (int32_t)last[k] * v;
        }
        for (k = 0; k < rows; ++k) {
            out[row + k] = tf_sat16(tf_mbqm_in_form(acc[k], multiplier, shift, form) + out[row + k]);
        }
    }
}

/* Every gate's recurrent products for one step: the state is widened once into pairs, then each gate's rows
 * run in that gate's requantization form. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void recurrent_products(const tf_lstm_params *p, const int8_t *state, int32_t *pairs, int16_t *gates)
{
    const int32_t n_cell = p->n_cell, n_output = p->n_output, groups = n_output >> 2;
    int32_t g, i;

    for (i = 0; i < groups; ++i) {
        const int32_t v = tf_load_word(state + 4 * i);
        pairs[2 * i] = tf_sxtb16(v);
        pairs[2 * i + 1] = tf_sxtb16_ror8(v);
    }
    for (g = p->use_cifg ? TF_LSTM_FORGET : TF_LSTM_INPUT; g <= TF_LSTM_OUTPUT; ++g) {
        const tf_lstm_gate *gate = &p->gates[g];
        int16_t *out = gates + g * n_cell;
        switch (tf_mbqm_form(gate->recurrent_multiplier, gate->recurrent_shift)) {
        case TF_MBQM_LEFT:
            recurrent_rows(gate, n_cell, n_output, pairs, state, out, TF_MBQM_LEFT);
            break;
        case TF_MBQM_RIGHT:
            recurrent_rows(gate, n_cell, n_output, pairs, state, out, TF_MBQM_RIGHT);
            break;
        default:
            recurrent_rows(gate, n_cell, n_output, pairs, state, out, TF_MBQM_GENERAL);
            break;
        }
    }
}

/* The rest of one step whose gates already hold their input products: the recurrent products (the state
 * widened into pairs, free once both steps' input products are made), the activations, the cell update and
 * the output (lstm_step from its second accumulate_gate on). */
static void finish_step(const tf_lstm_params *p, int8_t *output_state, int16_t *cell_state, int16_t *gates,
                        int32_t *pairs, int8_t *output)
{
    int g;
    recurrent_products(p, output_state, pairs, gates);
    for (g = p->use_cifg ? TF_LSTM_FORGET : TF_LSTM_INPUT; g <= TF_LSTM_OUTPUT; ++g) {
        activate_gate(p, g, gates + g * p->n_cell, p->n_cell);
    }
    update_and_output(p, 1, gates, output_state, cell_state, output);
}

void unidirectional_sequence_lstm_paired_s8(const tf_lstm_params *p, const int8_t *input,
                                            int8_t *output_state, int16_t *cell_state,
                                            int16_t *scratch, int8_t *output)
{
    /* scratch: this step's gates, the next step's input products, then (word-aligned) the two steps' widened
     * inputs, where each step's widened state goes once both steps' input products are made */
    const int32_t n_gates = 4 * p->n_cell;
    int16_t *gates_a = scratch, *gates_b = scratch + n_gates;
    int32_t *pairs = (int32_t *)(((uintptr_t)(scratch + 2 * n_gates) + 3u) & ~(uintptr_t)3u);
    /* one sequence at a time: time-major with one sequence, or batch-major with any number */
    const int32_t sequences = p->time_major ? 1 : p->n_batch;
    int32_t b, t;

    for (b = 0; b < sequences; ++b) {
        int8_t *state = output_state + b * p->n_output;
        int16_t *cell = cell_state + b * p->n_cell;
        for (t = 0; t + 2 <= p->n_time; t += 2) {
            const int32_t row = b * p->n_time + t;
            input_products_2steps(p, input + row * p->n_input, input + (row + 1) * p->n_input, pairs,
                                  gates_a, gates_b);
            finish_step(p, state, cell, gates_a, pairs, output + row * p->n_output);
            finish_step(p, state, cell, gates_b, pairs, output + (row + 1) * p->n_output);
        }
        if (t < p->n_time) {
            const int32_t row = b * p->n_time + t;
            lstm_step(p, input + row * p->n_input, 1, state, cell, scratch, output + row * p->n_output);
        }
    }
}
