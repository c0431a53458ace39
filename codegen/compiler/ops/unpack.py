"""UNPACK (int8) -> strided_copy_s8: output k is slice k along the axis, without that axis."""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._slices import KIND, normalise_axis, require_same_quantization, slice_copy  # noqa: F401 (KIND is ours)
from codegen.compiler.ops import OperatorSpec

OPCODES = ("UNPACK",)


def check(model: Model, op: Operator) -> None:
    data = model.op_inputs(op)[0]
    outputs = model.op_outputs(op)
    require_same_quantization(model, op, [data, *outputs])
    axis = normalise_axis(op, op.options.get("axis", 0), len(data.shape))
    if data.shape[axis] != len(outputs):
        raise unsupported(op, f"{len(outputs)} outputs for {data.shape[axis]} slices")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    data = model.op_inputs(op)[0]
    axis = normalise_axis(op, op.options.get("axis", 0), len(data.shape))
    output_offsets = [layer.output_offset] + [offset for offset, _ in layer.extra_outputs]
    layer.params = dict(copies=[dict(slice_copy(data.shape, axis, k, 1, layer.input_offsets[0], offset, False),
                                     name=out.name)
                                for k, (out, offset) in enumerate(zip(model.op_outputs(op), output_offsets))])


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='strided_copy_s8', check=check, lower=lower, multiple_outputs=True)
