"""HARD_SWISH (int8) -> lookup_s8.

x * relu6(x + 3) / 6 in TFLite's 16-bit fixed point (activations.cc HardSwishPrepare,
reference_ops::HardSwish in internal/reference/hard_swish.h), evaluated here for every input byte.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.fixedpoint import INT16_MAX, INT16_MIN, rounding_divide_by_pot, sdhm16, srdhm16
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._lookup import INT8_VALUES, KIND, memory, check_elementwise, lower_table  # noqa: F401 (KIND is this module's)
from codegen.compiler.ops import OperatorSpec

OPCODES = ("HARD_SWISH",)


def _int16_multiplier(multiplier32: int) -> int:
    """tflite::DownScaleInt32ToInt16Multiplier."""
    rounding = 1 << 15
    if multiplier32 >= (1 << 31) - 1 - rounding:
        return INT16_MAX
    return (multiplier32 + rounding) >> 16


def _shift_left(x: int, amount: int) -> int:
    """gemmlowp::ShiftLeft on int16: widened, multiplied, saturated."""
    return min(INT16_MAX, max(INT16_MIN, x * (1 << amount)))


def hard_swish_params(in_scale: float, out_scale: float) -> tuple[int, int, int, int]:
    """(output multiplier int16, its exponent, reluish multiplier int16, its exponent), all float32 math."""
    hires_input_scale = np.float32(1.0 / 128.0) * np.float32(in_scale)
    reluish_scale = np.float32(3.0) / np.float32(32768.0)
    out_m, out_e = quant.quantize_multiplier(float(hires_input_scale / np.float32(out_scale)))
    relu_m, relu_e = quant.quantize_multiplier(float(hires_input_scale / reluish_scale))
    return _int16_multiplier(out_m), out_e, _int16_multiplier(relu_m), relu_e


def hard_swish_table(in_scale: float, in_zero: int, out_scale: float, out_zero: int) -> list[int]:
    out_m, out_e, relu_m, relu_e = hard_swish_params(in_scale, out_scale)
    table = []
    for v in INT8_VALUES:
        hires = (v - in_zero) * 128
        preshift_output = srdhm16(hires, out_m)
        reluish = hires
        if relu_e > 0:
            reluish = _shift_left(reluish, relu_e - 1)
        reluish = srdhm16(reluish, relu_m)
        if relu_e > 0:
            reluish = _shift_left(reluish, 1)
        if relu_e < 0:
            reluish = rounding_divide_by_pot(reluish, -relu_e)
        reluish = (reluish + (1 << 15)) >> 1
        value = rounding_divide_by_pot(sdhm16(reluish, preshift_output), -out_e) + out_zero
        table.append(min(127, max(-128, value)))
    return table


def check(model: Model, op: Operator) -> None:
    check_elementwise(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if hard_swish_params(inp.scale, out.scale)[1] > 0:
        raise unsupported(op, "output scale below input scale / 128 (TFLite requires the output "
                              "multiplier exponent <= 0)")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    table = hard_swish_table(inp.scale, inp.zero_point, out.scale, out.zero_point)
    lower_table(model, op, layer, table, "hard swish in TFLite's int16 fixed point")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='lookup_s8', check=check, lower=lower, memory=memory, shape_preserving=True)
