"""PACK (int8) -> strided_copy_s8: input k becomes slice k of the output along a new axis."""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._slices import KIND, normalise_axis, require_same_quantization, slice_copy  # noqa: F401 (KIND is ours)
from codegen.compiler.ops import OperatorSpec

OPCODES = ("PACK",)


def check(model: Model, op: Operator) -> None:
    inputs = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    require_same_quantization(model, op, [out, *inputs])
    axis = normalise_axis(op, op.options.get("axis", 0), len(out.shape))
    if out.shape[axis] != len(inputs) or any(t.size * len(inputs) != out.size for t in inputs):
        raise unsupported(op, f"{len(inputs)} inputs do not stack into {list(out.shape)}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inputs = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    axis = normalise_axis(op, op.options.get("axis", 0), len(out.shape))
    layer.params = dict(copies=[dict(slice_copy(out.shape, axis, k, 1, layer.output_offset, offset, True),
                                     name=t.name)
                                for k, (t, offset) in enumerate(zip(inputs, layer.input_offsets))])


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='strided_copy_s8', check=check, lower=lower)
