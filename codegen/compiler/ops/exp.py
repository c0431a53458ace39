"""EXP (int8) -> lookup_s8 with the table exp.cc's Prepare builds (LUTPopulate: dequantize, expf, rescale
and round in float32); 16x8 -> lookup_s16 with its LUTPopulate<int16_t> table, interpolated."""
from __future__ import annotations

from codegen.compiler.fixedpoint import expf
from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops._lookup import (KIND, check_elementwise, check_elementwise_s16, float_table, lower_table,
                                          lower_table_s16, memory)
from codegen.model.tflite_model import Model, Operator

OPCODES = ("EXP",)


def check(model: Model, op: Operator) -> None:
    if model.op_inputs(op)[0].type == "INT16":
        return check_elementwise_s16(model, op)
    check_elementwise(model, op)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if model.op_inputs(op)[0].type == "INT16":
        return lower_table_s16(model, op, layer, expf, "exp(x) (exp.cc's LUTPopulate<int16_t>)")
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    lower_table(model, op, layer, float_table(inp, out, expf), "exp(x) quantized as TFLite's LUTPopulate")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="lookup_s8", check=check, lower=lower,
                    memory=memory, shape_preserving=True)
