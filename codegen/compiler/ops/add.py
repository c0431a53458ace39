"""ADD -> add_s8 / add_s16 (firmware/kernels/add_s8.c), with broadcasting."""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops._binary import check, lower_geometry, memory  # noqa: F401
from codegen.compiler.ops import OperatorSpec

OPCODES = ("ADD",)
KIND = "add"
# Either operand may be a constant (e.g. `1 - z` in a lowered GRU); _binary places it in flash.


def lower(model: Model, op: Operator, layer: Layer) -> None:
    in1, in2 = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    layer.params = lower_geometry(model, op, layer)
    int16 = out.type == "INT16"
    layer.params.update(quant.add_params(in1.scale, in2.scale, out.scale, negate_input2=op.opcode == "SUB",
                                         left_shift=quant.ADD_LEFT_SHIFT_16BIT if int16
                                         else quant.ADD_LEFT_SHIFT_8BIT))
    layer.function = "add_s16" if int16 else "add_s8"
    layer.macs = out.size


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='add_s8', check=check, lower=lower, memory=memory, constant_operands=True)
