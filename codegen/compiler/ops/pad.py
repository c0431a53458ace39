"""PAD and PADV2 -> pad_s8 / pad_s16 / pad_f32 (firmware/kernels/pad.c), int8, int16 and float32.

The pad value is the output zero point for PAD (0.0 for float32) and the constant for PADV2, which TFLite's
pad.cc requires to share the output's quantization, as the input must.
"""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import MOVED_CTYPES, MOVED_SUFFIXES, require_moved_activations
from codegen.compiler.ops._shapes import MAX_DIMS, padded, require_dims, same_quantization
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops._float import c_float

OPCODES = ("PAD", "PADV2")
KIND = "pad"


def _paddings(model: Model, op: Operator) -> list[tuple[int, int]]:
    inp = model.op_inputs(op)[0]
    tensor = model.tensor(op.inputs[1]) if len(op.inputs) > 1 else None
    if tensor is None or not tensor.is_constant or tensor.type not in ("INT32", "INT64"):
        raise unsupported(op, "paddings must be a constant int32 or int64 tensor")
    values = [int(v) for v in tensor.data.ravel()]
    if len(values) != 2 * len(inp.shape):
        raise unsupported(op, f"paddings {list(tensor.shape)} for a {len(inp.shape)}-D input")
    return [(values[2 * i], values[2 * i + 1]) for i in range(len(inp.shape))]


def _pad_value(model: Model, op: Operator) -> int | float:
    out = model.op_outputs(op)[0]
    if op.opcode == "PAD" or len(op.inputs) < 3 or op.inputs[2] < 0:
        return 0.0 if out.type == "FLOAT32" else out.zero_point
    constant = model.tensors[op.inputs[2]]
    if not constant.is_constant or constant.type != out.type or constant.size != 1:
        raise unsupported(op, f"the pad value must be one constant {out.type.lower()}, as the output is")
    if out.type == "FLOAT32":
        return float(constant.data.ravel()[0])
    if not same_quantization(constant, out):
        raise unsupported(op, "the pad value's scale and zero point differ from the output's")
    return int(constant.data.ravel()[0])


def check(model: Model, op: Operator) -> None:
    kind = require_moved_activations(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if kind != "FLOAT32" and (inp.quantization is None or out.quantization is None):
        raise unsupported(op, f"tensor '{inp.name if inp.quantization is None else out.name}' has no quantization "
                              "parameters")
    require_dims(op, inp)
    if kind != "FLOAT32" and not same_quantization(inp, out):
        raise unsupported(op, "input and output scale or zero point differ; PAD does not rescale")
    paddings = _paddings(model, op)
    if any(before < 0 or after < 0 for before, after in paddings):
        raise unsupported(op, f"negative paddings {paddings}")
    expected = [d + before + after for d, (before, after) in zip(inp.shape, paddings)]
    if expected != list(out.shape):
        raise unsupported(op, f"output shape {list(out.shape)} is not the padded input's {expected}")
    _pad_value(model, op)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    before = [b for b, _ in _paddings(model, op)]
    layer.function = f"pad_{MOVED_SUFFIXES[inp.type]}"
    value = _pad_value(model, op)
    layer.params = dict(input_shape=padded(inp.shape), output_shape=padded(out.shape),
                        before=[0] * (MAX_DIMS - len(before)) + before, ctype=MOVED_CTYPES[inp.type],
                        pad_value=0 if inp.type == "FLOAT32" else value,
                        pad_value_f32=c_float(value) if inp.type == "FLOAT32" else "0.0f")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='pad_s8', check=check, lower=lower)
