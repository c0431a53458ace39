"""ABS (int8) -> lookup_s8: |x - zero point|, rescaled when the scales differ, as elementwise.cc's
AbsEvalQuantized computes it (the multiplier from input scale / output scale divided in float32); 16x8 ->
abs_s16, the same per value."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.fixedpoint import multiply_by_quantized_multiplier
from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops._lookup import INT8_VALUES, KIND, check_elementwise, check_elementwise_s16, lower_table, memory
from codegen.model.tflite_model import Model, Operator

OPCODES = ("ABS",)


def abs_table(in_scale: float, in_zero: int, out_scale: float, out_zero: int) -> list[int]:
    rescale = np.float32(in_scale) != np.float32(out_scale)
    multiplier, shift = quant.quantize_multiplier(float(np.float32(in_scale) / np.float32(out_scale)))
    table = []
    for v in INT8_VALUES:
        value = abs(v - in_zero)
        out = (multiply_by_quantized_multiplier(value, multiplier, shift) if rescale else value) + out_zero
        table.append(min(127, max(-128, out)))
    return table


def check(model: Model, op: Operator) -> None:
    if model.op_inputs(op)[0].type == "INT16":
        return check_elementwise_s16(model, op)
    check_elementwise(model, op)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type == "INT16":
        multiplier, shift = quant.quantize_multiplier(float(np.float32(inp.scale) / np.float32(out.scale)))
        layer.template = "abs_s16"
        layer.function = "abs_s16"
        layer.params = dict(count=inp.size, rescale=int(np.float32(inp.scale) != np.float32(out.scale)),
                            multiplier=multiplier, shift=shift)
        return
    lower_table(model, op, layer, abs_table(inp.scale, inp.zero_point, out.scale, out.zero_point),
                "|x| rescaled as TFLite's AbsEvalQuantized")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="lookup_s8", check=check, lower=lower,
                    memory=memory, shape_preserving=True)
