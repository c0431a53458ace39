"""SPLIT (int8) -> strided_copy_s8, one call per output. SPLIT_V (split_v.py) shares this code.

float32 SPLIT is lowered too, as the same byte copies: the converter leaves one in unrolled GRUs, between a
DEQUANTIZE of an int8 activation and QUANTIZEs back to int8 (both implemented), so the model's arithmetic
stays integer and the copy is exact.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._slices import KIND, normalise_axis, require_same_quantization, slice_copy  # noqa: F401 (KIND is ours)
from codegen.compiler.ops import OperatorSpec

OPCODES = ("SPLIT",)


def _operands(model: Model, op: Operator):
    if op.opcode == "SPLIT":
        axis_tensor, data = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
        sizes = None
    else:
        data, sizes, axis_tensor = (model.tensor(i) for i in op.inputs[:3])
    return data, sizes, axis_tensor


def check(model: Model, op: Operator) -> None:
    data, sizes, axis_tensor = _operands(model, op)
    if axis_tensor is None or not axis_tensor.is_constant or (sizes is not None and not sizes.is_constant):
        raise unsupported(op, "axis and sizes must be constants")
    require_same_quantization(model, op, [data, *model.op_outputs(op)], float32=True)
    axis = normalise_axis(op, int(axis_tensor.data.ravel()[0]), len(data.shape))
    total = sum(t.shape[axis] for t in model.op_outputs(op))
    if total != data.shape[axis]:
        raise unsupported(op, f"outputs cover {total} of {data.shape[axis]} values along axis {axis}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    data, _, axis_tensor = _operands(model, op)
    axis = normalise_axis(op, int(axis_tensor.data.ravel()[0]), len(data.shape))
    data_offset = layer.input_offsets[0]
    output_offsets = [layer.output_offset] + [offset for offset, _ in layer.extra_outputs]
    copies, start = [], 0
    for out, offset in zip(model.op_outputs(op), output_offsets):
        copies.append(dict(slice_copy(data.shape, axis, start, out.shape[axis], data_offset, offset, False,
                                      np.dtype(data.dtype).itemsize), name=out.name))
        start += out.shape[axis]
    layer.params = dict(copies=copies)


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='strided_copy_s8', check=check, lower=lower, data_input=1, multiple_outputs=True)
