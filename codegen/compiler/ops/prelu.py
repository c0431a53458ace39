"""PRELU (int8) -> prelu_s8 (firmware/kernels/prelu_s8.c), the slope (alpha) broadcast against the input.

activations.cc's PreluPrepare: input scale / output scale for values at or above the input's zero point, and
input scale * alpha scale / output scale (each computed in float32, then QuantizeMultiplier) for the
product of the offset input and the offset alpha below it; the output is clamped to int8."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._binary import memory
from codegen.compiler.ops._shapes import activation_offsets, broadcast_steps, operand, padded, require_dims
from codegen.model.tflite_model import Model, Operator

OPCODES = ("PRELU",)


def check(model: Model, op: Operator) -> None:
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected an input and its alpha")
    inp, alpha = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    for t in (inp, alpha, out):
        if t.type == "INT16":
            raise unsupported(op, f"tensor '{t.name}' is INT16; TFLite's converter makes no 16x8 PRELU (\"Quantization "
                                  "to 16x8-bit not yet supported for op: 'PRELU'\"), so only int8 is implemented")
        if t.type != "INT8" or t.quantization is None:
            raise unsupported(op, f"tensor '{t.name}' is {t.type}{'' if t.quantization else ' without quantization'}"
                                  "; only quantized int8 is implemented")
        if t.size == 0:
            raise unsupported(op, f"tensor '{t.name}' has shape {list(t.shape)}")
        require_dims(op, t)
    if alpha.quantization.per_channel:
        raise unsupported(op, f"alpha '{alpha.name}' is quantized per channel; TFLite reads one scale")
    out_shape = padded(out.shape)
    for t in (inp, alpha):
        broadcast_steps(op, t, out_shape)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, alpha = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    out_shape = padded(out.shape)
    offsets = activation_offsets(model, op, layer)
    s_in, s_alpha, s_out = (np.float32(t.scale) for t in (inp, alpha, out))
    m1, sh1 = quant.quantize_multiplier(float(s_in / s_out))
    m2, sh2 = quant.quantize_multiplier(float(s_in * s_alpha / s_out))
    layer.params = dict(shape=out_shape, step1=broadcast_steps(op, inp, out_shape),
                        step2=broadcast_steps(op, alpha, out_shape),
                        operand1=operand(model, op, 0, offsets, layer.consts, layer.symbol),
                        operand2=operand(model, op, 1, offsets, layer.consts, layer.symbol),
                        input_offset=-inp.zero_point, alpha_offset=-alpha.zero_point, output_offset=out.zero_point,
                        multiplier_1=m1, shift_1=sh1, multiplier_2=m2, shift_2=sh2)
    layer.macs = out.size


SPEC = OperatorSpec(opcodes=OPCODES, template="prelu", function="prelu_s8", check=check, lower=lower, memory=memory,
                    constant_operands=True)
