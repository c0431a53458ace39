"""MUL -> mul_s8 / mul_s16 (firmware/kernels/mul_s8.c), with broadcasting."""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops._binary import check, lower_geometry, memory  # noqa: F401
from codegen.compiler.ops import OperatorSpec, _float

OPCODES = ("MUL",)
KIND = "mul"
# Either operand may be a constant (e.g. `1 - z` in a lowered GRU); _binary places it in flash.


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if _float.is_float(model, op) or _float.is_float(model, op, 1):
        return _float.lower_arithmetic(model, op, layer)
    in1, in2 = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    multiplier, shift = quant.mul_multiplier(in1.scale, in2.scale, out.scale)
    layer.params = lower_geometry(model, op, layer)
    layer.params.update(output_multiplier=multiplier, output_shift=shift)
    layer.function = "mul_s16" if out.type == "INT16" else "mul_s8"
    layer.macs = out.size


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='mul_s8', check=check, lower=lower, memory=memory, constant_operands=True)
