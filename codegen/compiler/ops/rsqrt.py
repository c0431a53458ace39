"""RSQRT (int8) -> lookup_s8: elementwise.cc's RsqrtEvalQuantizedInt8 for every input byte. Each value above
the zero point goes through GetInvSqrtQuantizedMultiplierExp (fixed-point Newton-Raphson) and two
MultiplyByQuantizedMultiplier steps around a shift of 20; the zero point itself gives 127.

TFLite stops the whole inference on a value below the input's zero point ("Rsqrt is only defined for
positive values"). A table cannot stop; those entries hold 127, the answer for the smallest input, and a
model whose RSQRT input is the output of a non-negative operator (the usual case) never reaches them."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.fixedpoint import inv_sqrt_quantized_multiplier_exp, multiply_by_quantized_multiplier
from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops._lookup import (INT8_VALUES, KIND, check_elementwise, check_elementwise_s16, lower_table,
                                          lower_table_s16, memory)
from codegen.model.tflite_model import Model, Operator

OPCODES = ("RSQRT",)
_SHIFT = 20           # kShift: keeps the intermediate an integer
_REVERSE_SHIFT = -1   # kReverseShift


def rsqrt_table(in_scale: float, in_zero: int, out_scale: float, out_zero: int) -> list[int]:
    # SetRsqrtOutputMultiplier: 1. / (std::sqrt(float) * float), the product in float32, the division in double.
    scale = 1.0 / float(np.sqrt(np.float32(in_scale)) * np.float32(out_scale))
    multiplier, shift = quant.quantize_multiplier(scale)
    table = []
    for v in INT8_VALUES:
        value = v - in_zero
        if value <= 0:
            table.append(127)
            continue
        inv_multiplier, inv_shift = inv_sqrt_quantized_multiplier_exp(value, _REVERSE_SHIFT)
        data = multiply_by_quantized_multiplier(1, inv_multiplier, inv_shift + _SHIFT)
        out = multiply_by_quantized_multiplier(data, multiplier, shift - _SHIFT) + out_zero
        table.append(min(127, max(-128, out)))
    return table


def check(model: Model, op: Operator) -> None:
    if model.op_inputs(op)[0].type == "INT16":
        return check_elementwise_s16(model, op)
    check_elementwise(model, op)


def _rsqrt_s16(out_scale: float):
    """elementwise.cc's int16 table function: 1 / sqrt(x) in float32, and int16 max times the output scale at
    x <= 0."""
    top = np.float32(32767) * np.float32(out_scale)

    def transform(value):
        value = np.float32(value)
        return top if value <= 0 else np.float32(np.float32(1) / np.sqrt(value))
    return transform


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if model.op_inputs(op)[0].type == "INT16":
        return lower_table_s16(model, op, layer, _rsqrt_s16(model.op_outputs(op)[0].scale),
                               "1 / sqrt(x) (elementwise.cc's LUTPopulate<int16_t>)")
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    lower_table(model, op, layer, rsqrt_table(inp.scale, inp.zero_point, out.scale, out.zero_point),
                "1 / sqrt(x) as TFLite's RsqrtEvalQuantizedInt8")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="lookup_s8", check=check, lower=lower,
                    memory=memory, shape_preserving=True)
