"""ARG_MAX, ARG_MIN -> arg_max_min (firmware/kernels/arg_max_min.c): the index of the largest (smallest) value
along one axis, for int8 and float32 inputs (TFLite's arg_min_max.cc refuses int16), written as int32 or int64 (the operator's output_type).

TFLite's ArgMinMax compares the stored values (no quantization is read) and keeps the first index on ties:
a later value replaces the best only when strictly greater (smaller). The axis is a constant int32 or int64
tensor of one value; a negative axis counts from the end."""
from __future__ import annotations

from math import prod

from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._shapes import constant_ints
from codegen.model.tflite_model import Model, Operator

OPCODES = ("ARG_MAX", "ARG_MIN")
INPUT_KINDS = {"INT8": "s8", "FLOAT32": "f32"}
OUTPUT_BYTES = {"INT32": 4, "INT64": 8}


def _axis(model: Model, op: Operator) -> int:
    values = constant_ints(model, op, 1, "the axis")
    inp = model.op_inputs(op)[0]
    if len(values) != 1:
        raise unsupported(op, f"the axis has {len(values)} values; TFLite takes one")
    axis = values[0]
    if not -len(inp.shape) <= axis < len(inp.shape):
        raise unsupported(op, f"axis {axis} outside a rank-{len(inp.shape)} input")
    return axis % len(inp.shape)


def check(model: Model, op: Operator) -> None:
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected an input and an axis")
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type not in INPUT_KINDS:
        why = "TFLite's ARG_MAX/ARG_MIN take no int16 input" if inp.type == "INT16" else \
            "int8 and float32 are implemented"
        raise unsupported(op, f"input '{inp.name}' is {inp.type}; {why}")
    if out.type not in OUTPUT_BYTES:
        raise unsupported(op, f"output '{out.name}' is {out.type}; TFLite writes int32 or int64 indices")
    if inp.size == 0:
        raise unsupported(op, f"tensor '{inp.name}' has shape {list(inp.shape)}")
    axis = _axis(model, op)
    want = [d for i, d in enumerate(inp.shape) if i != axis]
    if list(out.shape) != want:
        raise unsupported(op, f"output shape {list(out.shape)}, expected {want}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    axis = _axis(model, op)
    kind = INPUT_KINDS[inp.type]
    layer.function = f"{op.opcode.lower()}_{kind}"
    layer.params = dict(outer=prod(inp.shape[:axis]), axis_size=inp.shape[axis], inner=prod(inp.shape[axis + 1:]),
                        index_bytes=OUTPUT_BYTES[out.type],
                        ctype={"s8": "int8_t", "f32": "float"}[kind])
    layer.macs = inp.size


SPEC = OperatorSpec(opcodes=OPCODES, template="arg_min_max", function="arg_max_s8", check=check, lower=lower)
