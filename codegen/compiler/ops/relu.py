"""RELU, RELU6, RELU_N1_TO_1 (int8) -> lookup_s8.

TFLite rescales and clamps (activations.cc ReluPrepare / QuantizedReluX, reference_ops::ReluX):
out = clamp(zp_out + MultiplyByQuantizedMultiplier(in - zp_in, m, s)), with m, s from
in_scale / out_scale divided in float32 and the clamp bounds from CalculateActivationRangeQuantized.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.fixedpoint import multiply_by_quantized_multiplier
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops._lookup import INT8_VALUES, KIND, memory, check_elementwise, lower_table  # noqa: F401 (KIND is this module's)
from codegen.compiler.ops import OperatorSpec, _float, unsupported

# The clamp of each is the fused activation of the same name.
OPCODES = ("RELU", "RELU6", "RELU_N1_TO_1")


def check(model: Model, op: Operator) -> None:
    if _float.is_float(model, op):
        return _float.check_clamp(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type == "INT16":
        for t in (inp, out):
            if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
                raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
        return
    check_elementwise(model, op)


def relu_table(opcode: str, in_scale: float, in_zero: int, out_scale: float, out_zero: int) -> list[int]:
    multiplier, shift = quant.quantize_multiplier(float(np.float32(in_scale) / np.float32(out_scale)))
    low, high = quant.activation_range(opcode, out_scale, out_zero)
    return [min(high, max(low, out_zero + multiply_by_quantized_multiplier(v - in_zero, multiplier, shift)))
            for v in INT8_VALUES]


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if _float.is_float(model, op):
        return _float.lower_clamp(model, op, layer)
    if model.op_inputs(op)[0].type == "INT16":
        return _lower_s16(model, op, layer)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    table = relu_table(op.opcode, inp.scale, inp.zero_point, out.scale, out.zero_point)
    lower_table(model, op, layer, table, f"{op.opcode} rescaled and clamped as TFLite's ReluX")


def _lower_s16(model: Model, op: Operator, layer: Layer) -> None:
    """16x8: QuantizedReluX<int16_t> computed per value (a table of 65,536 would not pay): the rescale of
    input scale / output scale and the activation's int16 clamp."""
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    multiplier, shift = quant.quantize_multiplier(float(np.float32(inp.scale) / np.float32(out.scale)))
    low, high = quant.activation_range(op.opcode, out.scale, 0, -32768, 32767)
    layer.template = "relu_s16"
    layer.function = "relu_s16"
    layer.params = dict(count=inp.size, multiplier=multiplier, shift=shift, act_min=low, act_max=high)


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='lookup_s8', check=check, lower=lower, memory=memory, shape_preserving=True)
