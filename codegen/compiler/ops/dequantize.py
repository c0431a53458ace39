"""DEQUANTIZE (int8/int16 -> float32) -> dequantize_f32 (firmware/kernels/quantize.c).

reference_ops::Dequantize computes ``float(double(scale) * (q - zero_point))``; the kernel does the same.
"""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops.quantize import INTEGER_TYPES
from codegen.compiler.ops import OperatorSpec

OPCODES = ("DEQUANTIZE",)
KIND = "quantize"


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if out.type != "FLOAT32":
        raise unsupported(op, f"output '{out.name}' is {out.type}; DEQUANTIZE to float32 is implemented")
    if inp.type not in INTEGER_TYPES or inp.quantization is None:
        raise unsupported(op, f"input '{inp.name}' is {inp.type}; int8 and int16 inputs are implemented")
    if inp.quantization.per_channel:
        raise unsupported(op, f"input '{inp.name}' is per-channel quantized")
    if inp.is_constant:
        raise unsupported(op, f"input '{inp.name}' is a constant (float weights are not supported)")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    bits, low, high = INTEGER_TYPES[inp.type]
    layer.params = dict(count=inp.size, scale=float(inp.scale),
                        input_zero_point=inp.zero_point, input_bits=bits, multiplier=0, shift=0,
                        output_zero_point=0, output_bits=0, output_min=0, output_max=0,
                        input_ctype="void", output_ctype="float")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='dequantize_f32', check=check, lower=lower, shape_preserving=True)
