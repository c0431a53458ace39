"""The float32 UNIDIRECTIONAL_SEQUENCE_LSTM -> unidirectional_sequence_lstm_f32 (firmware/kernels/
unidirectional_sequence_lstm_f32.c): TFLite's EvalFloat in its order of operations. Float weights, biases and
states; no peephole, projection or layer norm (what Keras' LSTM converts to); CIFG and a cell clip are kept."""
from __future__ import annotations

from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._float import c_float
from codegen.model.tflite_model import Model, Operator

# TFLite's LSTM input positions (the integer LSTM reads them from here too)
GATES = ("input", "forget", "cell", "output")
INPUT_WEIGHTS, RECURRENT_WEIGHTS, PEEPHOLE, BIASES = 1, 5, 9, 12
PROJECTION_WEIGHTS, OUTPUT_STATE, CELL_STATE, LAYER_NORM = 16, 18, 19, 20
ACTIVATIONS = {"TANH": "TF_LSTM_F32_TANH", "SIGMOID": "TF_LSTM_F32_SIGMOID", "RELU": "TF_LSTM_F32_RELU",
               "RELU6": "TF_LSTM_F32_RELU6"}


def _inputs(model: Model, op: Operator) -> list:
    return [model.tensor(op.inputs[i]) if len(op.inputs) > i else None for i in range(24)]


def _dims(model: Model, op: Operator) -> dict:
    inputs = _inputs(model, op)
    time_major = bool(op.options.get("time_major", False))
    shape = inputs[0].shape
    n_time, n_batch = (shape[0], shape[1]) if time_major else (shape[1], shape[0])
    return dict(time_major=int(time_major), n_time=n_time, n_batch=n_batch, n_input=shape[2],
                n_cell=inputs[INPUT_WEIGHTS + 3].shape[0], n_output=inputs[RECURRENT_WEIGHTS + 3].shape[1])


def check(model: Model, op: Operator) -> None:
    inputs = _inputs(model, op)
    out = model.op_outputs(op)[0]
    if out.type != "FLOAT32":
        raise unsupported(op, f"input is FLOAT32, output {out.type}; a float32 LSTM is float32 throughout")
    if len(inputs[0].shape) != 3:
        raise unsupported(op, f"input should be 3-D, is {list(inputs[0].shape)}")
    if any(t is not None for t in inputs[PEEPHOLE:PEEPHOLE + 3]):
        raise unsupported(op, "peephole connections")
    if inputs[PROJECTION_WEIGHTS] is not None or inputs[PROJECTION_WEIGHTS + 1] is not None:
        raise unsupported(op, "projection")
    if any(t is not None for t in inputs[LAYER_NORM:LAYER_NORM + 4]):
        raise unsupported(op, "layer normalisation")
    activation = op.options.get("fused_activation_function", "TANH")
    if activation not in ACTIVATIONS:
        raise unsupported(op, f"activation {activation}; {', '.join(ACTIVATIONS)} are implemented")
    for gate in range(4):
        w, r, b = inputs[INPUT_WEIGHTS + gate], inputs[RECURRENT_WEIGHTS + gate], inputs[BIASES + gate]
        if gate == 0 and w is None and r is None and b is None:
            continue  # CIFG: the input gate is 1 - forget gate
        for t, what in ((w, "input weights"), (r, "recurrent weights"), (b, "bias")):
            if t is None or not t.is_constant or t.type != "FLOAT32":
                raise unsupported(op, f"{GATES[gate]} gate {what} must be constant float32 (int8 weights with "
                                      "float activations are a dynamic-range model)")
    d = _dims(model, op)
    for gate in range(4):
        w, r = inputs[INPUT_WEIGHTS + gate], inputs[RECURRENT_WEIGHTS + gate]
        if w is not None and (list(w.shape) != [d["n_cell"], d["n_input"]]
                              or list(r.shape) != [d["n_cell"], d["n_output"]]):
            raise unsupported(op, f"{GATES[gate]} gate weights {list(w.shape)} and {list(r.shape)}, expected "
                                  f"[{d['n_cell']}, {d['n_input']}] and [{d['n_cell']}, {d['n_output']}]")
    if d["n_output"] != d["n_cell"]:
        raise unsupported(op, f"{d['n_output']} outputs for {d['n_cell']} cells; without projection they are equal")
    state, cell = inputs[OUTPUT_STATE], inputs[CELL_STATE]
    for t, what, count in ((state, "output state", d["n_batch"] * d["n_output"]),
                           (cell, "cell state", d["n_batch"] * d["n_cell"])):
        if t is None or not t.is_variable or t.type != "FLOAT32" or t.size != count:
            raise unsupported(op, f"{what} must be a float32 variable tensor of {count} values")
    expected = ((d["n_time"], d["n_batch"], d["n_output"]) if d["time_major"]
                else (d["n_batch"], d["n_time"], d["n_output"]))
    if tuple(out.shape) != expected:
        raise unsupported(op, f"output shape {list(out.shape)}, TFLite computes {list(expected)}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inputs = _inputs(model, op)
    d = _dims(model, op)
    sym = layer.symbol
    use_cifg = inputs[INPUT_WEIGHTS] is None
    gates, consts = [], []
    for g, name in enumerate(GATES):
        if g == 0 and use_cifg:
            gates.append(None)
            continue
        for suffix, t in (("input_weights", inputs[INPUT_WEIGHTS + g]),
                          ("recurrent_weights", inputs[RECURRENT_WEIGHTS + g]), ("bias", inputs[BIASES + g])):
            consts.append(ConstArray(f"{sym}_{name}_{suffix}", "float", t.data.ravel().astype(float).tolist(),
                                     f"{t.name} {list(t.shape)}"))
        gates.append(name)
    step_rows = d["n_batch"] if d["time_major"] else 1
    layer.template = "lstm_f32"
    layer.function = "unidirectional_sequence_lstm_f32"
    layer.consts = consts
    layer.macs = d["n_batch"] * d["n_time"] * (4 - use_cifg) * d["n_cell"] * (d["n_input"] + d["n_output"])
    layer.params = dict(d, gates=gates, use_cifg=int(use_cifg),
                        activation=ACTIVATIONS[op.options.get("fused_activation_function", "TANH")],
                        cell_clip=c_float(float(op.options.get("cell_clip", 0.0))),
                        state_count=d["n_batch"] * d["n_output"], cell_count=d["n_batch"] * d["n_cell"],
                        scratch_count=5 * step_rows * d["n_cell"],
                        state_name=inputs[OUTPUT_STATE].name, cell_name=inputs[CELL_STATE].name)
