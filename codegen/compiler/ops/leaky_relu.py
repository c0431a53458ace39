"""LEAKY_RELU (int8) -> lookup_s8.

TFLite (activations.cc LeakyReluPrepare, reference_ops::QuantizeLeakyRelu) requantizes non-negative
inputs with in_scale / out_scale and negative ones with in_scale * alpha / out_scale, both products
and quotients in float32 before QuantizeMultiplier.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.fixedpoint import multiply_by_quantized_multiplier
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops._lookup import INT8_VALUES, KIND, memory, check_elementwise, lower_table  # noqa: F401 (KIND is this module's)
from codegen.compiler.ops import OperatorSpec

OPCODES = ("LEAKY_RELU",)


def check(model: Model, op: Operator) -> None:
    check_elementwise(model, op)


def leaky_relu_table(alpha: float, in_scale: float, in_zero: int, out_scale: float, out_zero: int) -> list[int]:
    in_s, out_s = np.float32(in_scale), np.float32(out_scale)
    alpha_m, alpha_s = quant.quantize_multiplier(float(in_s * np.float32(alpha) / out_s))
    identity_m, identity_s = quant.quantize_multiplier(float(in_s / out_s))
    table = []
    for v in INT8_VALUES:
        x = v - in_zero
        m, s = (identity_m, identity_s) if x >= 0 else (alpha_m, alpha_s)
        table.append(min(127, max(-128, out_zero + multiply_by_quantized_multiplier(x, m, s))))
    return table


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    alpha = op.options.get("alpha", 0.2)
    table = leaky_relu_table(alpha, inp.scale, inp.zero_point, out.scale, out.zero_point)
    lower_table(model, op, layer, table, f"leaky relu (alpha {alpha}) as TFLite's QuantizeLeakyRelu")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='lookup_s8', check=check, lower=lower, memory=memory, shape_preserving=True)
