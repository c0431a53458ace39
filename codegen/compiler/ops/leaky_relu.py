"""LEAKY_RELU (int8) -> lookup_s8; int16 (16x8) -> leaky_relu_s16 (firmware/kernels/leaky_relu_s16.c), which
computes the same two rescales per value (a 65,536-entry table would not fit).

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
from codegen.compiler.ops import OperatorSpec, unsupported

OPCODES = ("LEAKY_RELU",)


def check(model: Model, op: Operator) -> None:
    if model.op_inputs(op)[0].type == "INT16":
        inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
        for t in (inp, out):
            # LeakyReluPrepare: int16 input and output with zero point 0
            if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
                raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
        if inp.size != out.size:
            raise unsupported(op, f"{inp.size} values in, {out.size} out")
        return
    check_elementwise(model, op)


def multipliers(alpha: float, in_scale: float, out_scale: float) -> tuple[int, int, int, int]:
    """(identity multiplier, shift, alpha multiplier, shift), the products and quotients in float32."""
    in_s, out_s = np.float32(in_scale), np.float32(out_scale)
    alpha_m, alpha_s = quant.quantize_multiplier(float(in_s * np.float32(alpha) / out_s))
    identity_m, identity_s = quant.quantize_multiplier(float(in_s / out_s))
    return identity_m, identity_s, alpha_m, alpha_s


def leaky_relu_table(alpha: float, in_scale: float, in_zero: int, out_scale: float, out_zero: int) -> list[int]:
    identity_m, identity_s, alpha_m, alpha_s = multipliers(alpha, in_scale, out_scale)
    table = []
    for v in INT8_VALUES:
        x = v - in_zero
        m, s = (identity_m, identity_s) if x >= 0 else (alpha_m, alpha_s)
        table.append(min(127, max(-128, out_zero + multiply_by_quantized_multiplier(x, m, s))))
    return table


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    alpha = op.options.get("alpha", 0.2)
    if inp.type == "INT16":
        identity_m, identity_s, alpha_m, alpha_s = multipliers(alpha, inp.scale, out.scale)
        layer.template = "leaky_relu_s16"
        layer.function = "leaky_relu_s16"
        layer.params = dict(count=inp.size, identity_multiplier=identity_m, identity_shift=identity_s,
                            alpha_multiplier=alpha_m, alpha_shift=alpha_s, alpha=alpha)
        return
    table = leaky_relu_table(alpha, inp.scale, inp.zero_point, out.scale, out.zero_point)
    lower_table(model, op, layer, table, f"leaky relu (alpha {alpha}) as TFLite's QuantizeLeakyRelu")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='lookup_s8', check=check, lower=lower, memory=memory, shape_preserving=True)
