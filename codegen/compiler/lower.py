"""Pass 1 of 4, lower: every operator of a checked ``Model`` becomes a :class:`Layer` with its kernel, its
parameters and constants computed in Python (``codegen.compiler.quant`` mirrors TFLite's Prepare functions),
and the memory its kernel declares. Arena addresses are still symbolic (:class:`ArenaRef`): the liveness,
placement and bind passes (``codegen.plan``) turn them into offsets. ``codegen.pipeline`` runs the passes.
"""
from __future__ import annotations

import re

from codegen.compiler.layer import ArenaRef, Layer
from codegen.compiler.ops import REGISTRY, SUPPORTED_OPS, OperatorSpec, Unsupported, unsupported
from codegen.compiler.select import HOST, Target
from codegen.errors import TinyforgeError
from codegen.model.tflite_model import Model, Operator

# Model input/output types the generated API and the test path carry (QUANTIZE/DEQUANTIZE at the edges).
# int32 and int64 model outputs are indices (ARG_MAX, ARG_MIN).
IO_CTYPES = {"INT8": "int8_t", "INT16": "int16_t", "FLOAT32": "float", "INT32": "int32_t", "INT64": "int64_t"}
# Operators that run other subgraphs (the converter's loops and conditionals).
CONTROL_FLOW_OPS = ("WHILE", "IF", "CALL_ONCE", "CALL")


def c_identifier(text: str) -> str:
    ident = re.sub(r"[^0-9A-Za-z_]", "_", text)
    return ident if ident and not ident[0].isdigit() else f"_{ident}"


def spec_of(op: Operator) -> OperatorSpec:
    return REGISTRY[op.opcode]


def check_supported(model: Model, op: Operator) -> None:
    """Raise a one-line ``Unsupported`` error when codegen cannot lower ``op``."""
    spec = REGISTRY.get(op.opcode)
    if op.opcode in CONTROL_FLOW_OPS:
        called = sorted({v for k, v in op.options.items() if k.endswith("subgraph_index")})
        raise unsupported(op, f"control flow into subgraph(s) {', '.join(map(str, called)) or '?'}; "
                              "only single-subgraph models compile (unroll loops, e.g. Keras RNNs with unroll=True)")
    if spec is None and op.opcode == "CUSTOM":
        code = op.custom_code or "?"
        where = (" (TFLM's signal library: TFLite's interpreter has no kernel for it either; compute these "
                 "features on the host, or with tinyforge's frontend=device)" if code.startswith("Signal") else "")
        raise unsupported(op, f"custom operator '{code}'{where}")
    if spec is None:
        raise unsupported(op, "no kernel for this operator")
    if len(op.outputs) != 1 and not spec.multiple_outputs:
        raise unsupported(op, f"{len(op.outputs)} outputs")
    first = model.tensor(op.inputs[spec.data_input]) if len(op.inputs) > spec.data_input else None
    if (first is None or first.is_constant) and not spec.constant_operands:
        raise unsupported(op, "its first input must be an activation tensor")
    out = model.op_outputs(op)[0]
    # TFLite's Prepare resizes these outputs to the input's shape whatever the file declares; the firmware
    # uses the declared shape, so the two must agree.
    if spec.shape_preserving and out.shape != first.shape:
        raise unsupported(op, f"output shape {list(out.shape)} differs from input shape {list(first.shape)}")
    spec.check(model, op)


# What the converter settings are for a full-integer model (TFLite's post-training integer quantization).
FULL_INTEGER_SETTINGS = ("converter.optimizations = [tf.lite.Optimize.DEFAULT], a representative_dataset, "
                         "converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8] and "
                         "converter.inference_input_type = converter.inference_output_type = tf.int8")


# Operators with float32 kernels (codegen/compiler/ops/_float.py).
FLOAT32_OPS = ("ADD", "ARG_MAX", "ARG_MIN", "AVERAGE_POOL_2D", "CAST", "CONCATENATION", "CONV_2D", "DEPTH_TO_SPACE",
               "DEPTHWISE_CONV_2D", "DIV", "FULLY_CONNECTED", "GATHER", "LOGISTIC", "MAX_POOL_2D", "MUL", "PAD",
               "PADV2", "RELU", "RELU6", "RELU_N1_TO_1", "RESHAPE", "SOFTMAX", "SPACE_TO_DEPTH", "STRIDED_SLICE",
               "SUB", "TANH", "TRANSPOSE", "UNIDIRECTIONAL_SEQUENCE_LSTM")


def quantization_advice(model: Model) -> str | None:
    """What to do when the model is not full-integer: float32, dynamic-range (int8 weights, float
    activations) or legacy uint8."""
    consumed = [model.tensors[t] for op in model.operators if op.opcode not in ("QUANTIZE", "DEQUANTIZE")
                for t in op.inputs if t >= 0]
    activations = {t.type for t in consumed if not t.is_constant}
    weights = {t.type for t in consumed if t.is_constant}
    if "UINT8" in activations | weights:
        return ("this model is uint8-quantized (TFLite's legacy scheme); tinyforge runs int8: reconvert it from the "
                f"float model as int8 with {FULL_INTEGER_SETTINGS}")
    if "FLOAT32" in activations and "INT8" in weights:
        return ("this is a dynamic-range model (int8 weights, float activations); tinyforge needs full-integer "
                f"quantization: reconvert it with {FULL_INTEGER_SETTINGS}")
    if "FLOAT32" in activations:
        return (f"this is a float32 model: its {', '.join(FLOAT32_OPS)} layers run as float32; for the other "
                f"operators, and for int8 speed and size, reconvert it with {FULL_INTEGER_SETTINGS}")
    if any(t.dynamic for t in model.tensors):
        return ("this model has tensors whose shape TFLite computes when it allocates (a -1 in their shape "
                "signature beyond the batch), so the shapes in the file are placeholders; convert it with fixed "
                "shapes (e.g. keras.Input(..., batch_size=1))")
    return None


def check_model(model: Model) -> None:
    # Operators first: a model has several subgraphs because of a WHILE or IF, and naming it says more.
    # Every unsupported operator is named at once, so one run tells the user everything to change.
    errors: list[Unsupported] = []
    for op in model.operators:
        try:
            check_supported(model, op)
        except Unsupported as exc:
            errors.append(exc)
    if errors:
        advice = quantization_advice(model)
        if len(errors) == 1 and advice is None:
            raise errors[0]
        groups: dict[tuple[str, str], list[int]] = {}
        for exc in errors:
            groups.setdefault((exc.op.opcode, exc.why), []).append(exc.op.index)
        lines = [f"{len(errors)} operator{'s are' if len(errors) > 1 else ' is'} not supported:"]
        for (opcode, why), indices in groups.items():
            which = (f"operator {indices[0]}" if len(indices) == 1
                     else f"operators {', '.join(map(str, indices[:8]))}{', ...' if len(indices) > 8 else ''}")
            lines.append(f"  {which} ({opcode}): {why}")
        if advice:
            lines.append(advice)
        lines.append(f"supported operators: {', '.join(SUPPORTED_OPS)}")
        raise Unsupported("\n".join(lines))
    if model.subgraph_count != 1:
        raise TinyforgeError(f"{model.path}: {model.subgraph_count} subgraphs; only single-subgraph models "
                             "are supported (control flow such as WHILE/IF is not)")
    for t in model.inputs + model.outputs:
        if model.tensors[t].type not in IO_CTYPES:
            raise TinyforgeError(f"{model.path}: model input/output '{model.tensors[t].name}' is "
                                 f"{model.tensors[t].type}; inputs and outputs can be "
                                 f"{', '.join(t.lower() for t in IO_CTYPES)}")


def activation_tensors(model: Model, op: Operator) -> list[int]:
    """The inputs that live in the arena. Variable tensors (LSTM/SVDF state) live in their operator's own
    static buffers; constants stay in flash."""
    return [t for t in op.inputs if t >= 0 and not model.tensors[t].is_constant and not model.tensors[t].is_variable]


def data_tensor(model: Model, op: Operator) -> int:
    """The tensor the operator transforms, the one it may overwrite in place."""
    data = op.inputs[spec_of(op).data_input]
    activations = activation_tensors(model, op)
    if (data < 0 or model.tensors[data].is_constant) and activations:
        data = activations[0]   # e.g. ADD(constant, activation): the arena operand is the second
    return data


def lower_operator(model: Model, op: Operator, target: Target) -> Layer:
    spec = spec_of(op)
    out = model.op_outputs(op)[0]
    activations = activation_tensors(model, op)
    data = data_tensor(model, op)
    layer = Layer(index=op.index, opcode=op.opcode, template=spec.template, function=spec.function,
                  symbol=f"op{op.index}_{spec.symbol_name}", target=target,
                  inputs=[model.tensors[t].name for t in activations], output=out.name,
                  output_bytes=out.nbytes, input_shape=model.tensors[data].shape, output_shape=out.shape,
                  input_offset=ArenaRef(data), output_offset=ArenaRef(op.outputs[0]),
                  input_offsets=[ArenaRef(t) for t in activations],
                  input_bytes=[model.tensors[t].nbytes for t in activations],
                  extra_outputs=[(ArenaRef(t), model.tensors[t].nbytes) for t in op.outputs[1:]])
    if spec.memory is not None:
        layer.memory = spec.memory(model, op)
    spec.lower(model, op, layer)
    return layer


def lower_model(model: Model, target: Target = HOST) -> list[Layer]:
    """Pass 1: check every operator, then lower each for ``target``."""
    check_model(model)
    return [lower_operator(model, op, target) for op in model.operators]
