"""EXP (int8) -> lookup_s8 with the table exp.cc's Prepare builds (LUTPopulate: dequantize, expf, rescale
and round in float32)."""
from __future__ import annotations

from codegen.compiler.fixedpoint import expf
from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops._lookup import KIND, check_elementwise, float_table, lower_table, memory
from codegen.model.tflite_model import Model, Operator

OPCODES = ("EXP",)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    lower_table(model, op, layer, float_table(inp, out, expf), "exp(x) quantized as TFLite's LUTPopulate")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="lookup_s8", check=check_elementwise, lower=lower,
                    memory=memory, shape_preserving=True)
