"""CONCATENATION -> concatenation_s8 (firmware/kernels/concatenation_s8.c), int8, int16 (16x8) and float32.

TFLite's quantized Prepare requires every input to share the output's scale and zero point (the 16x8
converter inserts a requantizing QUANTIZE where they differ) and no fused activation, so concatenating is
copying runs of bytes, whatever the element size.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import require_int8_activations
from codegen.compiler.ops._shapes import activation_offsets, operand, same_quantization
from codegen.compiler.ops import OperatorSpec

OPCODES = ("CONCATENATION",)
KIND = "concatenation"


def _axis(op: Operator, rank: int) -> int:
    axis = op.options.get("axis", 0)
    return axis + rank if axis < 0 else axis


ELEMENT = {"INT8": (1, "int8_t"), "INT16": (2, "int16_t"), "FLOAT32": (4, "float")}


def check(model: Model, op: Operator) -> None:
    out = model.op_outputs(op)[0]
    if out.type not in ELEMENT:
        raise unsupported(op, f"output '{out.name}' is {out.type}; int8, int16 and float32 are implemented")
    if out.type == "INT8":
        require_int8_activations(model, op)
    activation = op.options.get("fused_activation_function", "NONE")
    if activation != "NONE":
        raise unsupported(op, f"fused activation {activation}; TFLite's CONCATENATION takes none")
    axis = _axis(op, len(out.shape))
    if not 0 <= axis < len(out.shape):
        raise unsupported(op, f"axis {op.options.get('axis')} for a {len(out.shape)}-D output")
    for t in model.op_inputs(op):
        if t.type != out.type or (out.type != "FLOAT32" and not same_quantization(t, out)):
            raise unsupported(op, f"input '{t.name}' ({t.type}) does not share the output's {out.type.lower()} "
                                  "scale and zero point (TFLite's quantized CONCATENATION does not rescale)")
        if len(t.shape) != len(out.shape):
            raise unsupported(op, f"input '{t.name}' has shape {list(t.shape)}, output {list(out.shape)}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    out = model.op_outputs(op)[0]
    axis = _axis(op, len(out.shape))
    offsets = activation_offsets(model, op, layer)
    size, ctype = ELEMENT[out.type]
    operands = [operand(model, op, k, offsets, layer.consts, layer.symbol, ctype) for k in range(len(op.inputs))]
    runs = [int(np.prod(t.shape[axis:], dtype=np.int64)) * size for t in model.op_inputs(op)]
    layer.params = dict(operands=operands, run_bytes=runs, outer=int(np.prod(out.shape[:axis], dtype=np.int64)),
                        axis=axis)


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='concatenation_s8', check=check, lower=lower)
