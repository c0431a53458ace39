"""UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite's integer 8x8_16 LSTM) -> unidirectional_sequence_lstm_s8; the float32
LSTM is in _lstm_f32.py.

The numbers mirror TFLite's Prepare: lstm.cc PopulateQuantizedLstmParams8x8_16 (effective scales in
float32, gate pre-activations in Q3.12 without layer norm, the hidden scale from intermediate 4) and
unidirectional_sequence_lstm.cc PopulatePrecomputedZPTimesWeightsWithBias (zero points folded into
the biases). The output state and cell state are variable tensors: they get static buffers that
persist between invokes and that ``model_reset()`` restores.
"""
from __future__ import annotations

import math

import numpy as np

from codegen.compiler import quant
from codegen.compiler.fixedpoint import exp_quarter_table
from codegen.compiler.select import lstm_scratch_count, select_lstm
from codegen.compiler.layer import ConstArray, Layer
from codegen.model.tflite_model import Model, Operator, Tensor
from codegen.compiler.ops import unsupported
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops import _lstm_f32

OPCODES = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)
KIND = "lstm"

# TFLite's LSTM input positions, shared with the float32 LSTM
from codegen.compiler.ops._lstm_f32 import (BIASES, CELL_STATE, GATES, INPUT_WEIGHTS, LAYER_NORM,  # noqa: E402
                                            OUTPUT_STATE, PEEPHOLE, PROJECTION_WEIGHTS, RECURRENT_WEIGHTS)
GATE_SCALE = np.float32(2.0 ** -12)      # Q3.12, TFLite's intermediate scale without layer norm
HIDDEN_INTERMEDIATE = 4


def _input(model: Model, op: Operator, position: int) -> Tensor | None:
    return model.tensor(op.inputs[position]) if len(op.inputs) > position else None


def _cell_scale_log2(scale: float) -> int | None:
    """tflite::CheckedLog2: the exponent when the scale is a power of two (within 1e-3), else None."""
    log2 = float(np.float32(math.log(scale)) * np.float32(1.0 / math.log(2.0)))
    rounded = round(log2)
    return int(rounded) if abs(log2 - rounded) < 1e-3 else None


def check(model: Model, op: Operator) -> None:
    inputs = [_input(model, op, i) for i in range(24)]
    out = model.op_outputs(op)[0]
    if inputs[0] is not None and inputs[0].type == "FLOAT32":
        return _lstm_f32.check(model, op)
    if inputs[0] is None or inputs[0].type != "INT8" or out.type != "INT8":
        raise unsupported(op, "the integer LSTM (int8 input and output, int16 cell state) and the float32 LSTM "
                              "are implemented")
    for i in range(PEEPHOLE, PEEPHOLE + 3):
        if inputs[i] is not None:
            raise unsupported(op, "peephole connections")
    if inputs[PROJECTION_WEIGHTS] is not None or inputs[PROJECTION_WEIGHTS + 1] is not None:
        raise unsupported(op, "projection")
    if any(t is not None for t in inputs[LAYER_NORM:LAYER_NORM + 4]):
        raise unsupported(op, "layer normalisation")
    for gate in range(4):
        w, r, b = inputs[INPUT_WEIGHTS + gate], inputs[RECURRENT_WEIGHTS + gate], inputs[BIASES + gate]
        if gate == 0 and w is None and r is None and b is None:
            continue  # CIFG: the input gate is 1 - forget gate
        for t, what, kind in ((w, "input weights", "INT8"), (r, "recurrent weights", "INT8"), (b, "bias", "INT32")):
            if t is None or not t.is_constant or t.type != kind or t.quantization is None:
                raise unsupported(op, f"{GATES[gate]} gate {what} must be constant {kind.lower()} with scale")
            if t.quantization.per_channel:
                raise unsupported(op, f"{GATES[gate]} gate {what} are per-channel quantized")
    state, cell = inputs[OUTPUT_STATE], inputs[CELL_STATE]
    if state is None or not state.is_variable or state.type != "INT8" or state.quantization is None:
        raise unsupported(op, "output state must be an int8 variable tensor")
    if cell is None or not cell.is_variable or cell.type != "INT16" or cell.quantization is None:
        raise unsupported(op, "cell state must be an int16 variable tensor")
    if _cell_scale_log2(cell.scale) is None:
        raise unsupported(op, f"cell state scale {cell.scale} is not a power of two")
    tanh_bits = 15 + _cell_scale_log2(cell.scale)
    if not 0 <= tanh_bits <= 6 and inputs[INPUT_WEIGHTS] is None:
        raise unsupported(op, f"cell state scale 2^{tanh_bits - 15} with CIFG: TFLite's integer LSTM only "
                              "computes tanh of cell scales 2^-15..2^-9 and leaves the result undefined otherwise")
    if len(op.intermediates) <= HIDDEN_INTERMEDIATE or \
            model.tensors[op.intermediates[HIDDEN_INTERMEDIATE]].quantization is None:
        raise unsupported(op, "the hidden-state intermediate tensor (its scale) is missing")
    if op.options.get("fused_activation_function", "TANH") != "TANH":
        raise unsupported(op, f"activation {op.options.get('fused_activation_function')}; the integer "
                              "LSTM always uses TANH")
    if len(inputs[0].shape) != 3:
        raise unsupported(op, f"input should be 3-D, is {list(inputs[0].shape)}")
    # unidirectional_sequence_lstm.cc Prepare: one state row per batch, and the output resized to
    # [batch, time, output] (time-major: [time, batch, output]) whatever the file declares.
    time_major = bool(op.options.get("time_major", False))
    n_time, n_batch = (inputs[0].shape[0], inputs[0].shape[1]) if time_major else inputs[0].shape[1::-1]
    n_cell = inputs[INPUT_WEIGHTS + 3].shape[0]
    n_output = inputs[RECURRENT_WEIGHTS + 3].shape[1]
    if state.size != n_batch * n_output or cell.size != n_batch * n_cell:
        raise unsupported(op, f"state tensors hold {state.size} and {cell.size} values, expected "
                              f"{n_batch * n_output} and {n_batch * n_cell}")
    expected = (n_time, n_batch, n_output) if time_major else (n_batch, n_time, n_output)
    if tuple(model.op_outputs(op)[0].shape) != expected:
        raise unsupported(op, f"output shape {list(model.op_outputs(op)[0].shape)}, TFLite computes {list(expected)}")


def _row_sums(weights: Tensor) -> np.ndarray:
    return weights.data.astype(np.int64).sum(axis=1)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inputs = [_input(model, op, i) for i in range(24)]
    if inputs[0].type == "FLOAT32":
        return _lstm_f32.lower(model, op, layer)
    inp, out = inputs[0], model.op_outputs(op)[0]
    state, cell = inputs[OUTPUT_STATE], inputs[CELL_STATE]
    time_major = bool(op.options.get("time_major", False))
    n_time, n_batch = (inp.shape[0], inp.shape[1]) if time_major else (inp.shape[1], inp.shape[0])
    n_input = inp.shape[2]
    n_cell = inputs[INPUT_WEIGHTS + 3].shape[0]
    n_output = inputs[RECURRENT_WEIGHTS + 3].shape[1]
    use_cifg = inputs[INPUT_WEIGHTS] is None
    sym = layer.symbol

    def effective(weight_scale: float, activation_scale: float) -> tuple[int, int]:
        # lstm.cc: weight_scale * activation_scale / intermediate_scale, all float32.
        return quant.quantize_multiplier(float(np.float32(weight_scale) * np.float32(activation_scale)
                                               / GATE_SCALE))

    step_batch = n_batch if time_major else 1
    choice = select_lstm(layer.target, n_time, step_batch, n_input)
    layer.apply(choice)
    gates = []
    consts = []
    for g, name in enumerate(GATES):
        if g == 0 and use_cifg:
            gates.append(None)
            continue
        w, r, b = inputs[INPUT_WEIGHTS + g], inputs[RECURRENT_WEIGHTS + g], inputs[BIASES + g]
        input_bias = b.data.astype(np.int64) - inp.zero_point * _row_sums(w)
        im, ishift = effective(w.scale, inp.scale)
        rm, rshift = effective(r.scale, state.scale)
        consts += [
            ConstArray(f"{sym}_{name}_input_weights", "int8_t", w.data.ravel().tolist(), f"{w.name} {list(w.shape)}"),
            ConstArray(f"{sym}_{name}_recurrent_weights", "int8_t", r.data.ravel().tolist(),
                       f"{r.name} {list(r.shape)}"),
            ConstArray(f"{sym}_{name}_input_bias", "int32_t", input_bias.tolist(),
                       f"{b.name} minus input zero point x weight row sums")]
        if choice.precomputed:     # otherwise model_reset() computes them on the device (reset_function)
            consts.append(ConstArray(f"{sym}_{name}_recurrent_bias", "int32_t",
                                     (-state.zero_point * _row_sums(r)).tolist(),
                                     "minus output state zero point x recurrent weight row sums"))
        gates.append(dict(name=name, input_multiplier=im, input_shift=ishift,
                          recurrent_multiplier=rm, recurrent_shift=rshift))

    hidden = model.tensors[op.intermediates[HIDDEN_INTERMEDIATE]]
    two_pow_15 = np.float32(2.0 ** -15)
    hidden_multiplier, hidden_shift = quant.quantize_multiplier(
        float(two_pow_15 / np.float32(hidden.scale) * two_pow_15))
    cell_clip = float(op.options.get("cell_clip", 0.0))
    quantized_clip = int(min(max(np.float32(cell_clip) / np.float32(cell.scale), -32768.0), 32767.0)) \
        if cell_clip > 0 else 0
    # exp's Taylor part as tables (tf_exp_negative16): logistic of the Q3.12 gates, tanh of the cell gate
    # (exp of Q4.11), and tanh of the cell state in Q(tanh_bits), when TFLite computes it (0..6 integer bits:
    # 2^(12 - tanh_bits) entries, 128 to 4096). Without them the kernel computes each value.
    tanh_bits = 15 + _cell_scale_log2(cell.scale)
    exp_tables = {"exp_q3": 3, "exp_q4": 4} if choice.precomputed else {}
    if 0 <= tanh_bits <= 6 and choice.precomputed:
        exp_tables["exp_cell"] = tanh_bits + 1
    for name, integer_bits in exp_tables.items():
        consts.append(ConstArray(f"{sym}_{name}", "int16_t", exp_quarter_table(integer_bits),
                                 f"exp on [-1/4, 0) for each fraction below a quarter, Q{integer_bits}.{15 - integer_bits}"))
    layer.consts = consts
    layer.macs = n_batch * n_time * (4 - use_cifg) * n_cell * (n_input + n_output)
    layer.params = dict(
        gates=gates, use_cifg=int(use_cifg), n_batch=n_batch, n_time=n_time, n_input=n_input, n_cell=n_cell,
        n_output=n_output, time_major=int(time_major), cell_scale_log2=_cell_scale_log2(cell.scale),
        cell_clip=quantized_clip, hidden_multiplier=hidden_multiplier, hidden_shift=hidden_shift,
        hidden_zero_point=int(hidden.zero_point), state_count=n_batch * n_output, cell_count=n_batch * n_cell,
        state_zero_point=state.zero_point, scratch_count=lstm_scratch_count(choice, step_batch, n_input, n_cell),
        state_name=state.name, cell_name=cell.name, exp_tables=list(exp_tables),
        # when set, the recurrent biases live in RAM and model_reset() computes them with it (the template and
        # the conformance coverage read this)
        reset_function=None if choice.precomputed else "unidirectional_sequence_lstm_recurrent_bias_s8")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='unidirectional_sequence_lstm_s8', check=check, lower=lower)
