"""QUANTIZE -> quantize_f32 (float32 in) or requantize (int8/int16 in), firmware/kernels/quantize.c.

Parameters as TFLite's quantize.cc Prepare computes them: the float path divides by the output scale in
double (reference_ops::AffineQuantize); the integer path requantizes with QuantizeMultiplier of
double(input scale) / double(output scale) (reference_ops::Requantize).
"""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops import OperatorSpec

OPCODES = ("QUANTIZE",)
KIND = "quantize"
INTEGER_TYPES = {"INT8": (8, -128, 127), "INT16": (16, -32768, 32767), "INT32": (32, -(1 << 31), (1 << 31) - 1)}


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if out.type not in INTEGER_TYPES or out.quantization is None:
        raise unsupported(op, f"output '{out.name}' is {out.type}; QUANTIZE to int8, int16 or int32 is implemented")
    if inp.type != "FLOAT32" and (inp.type not in INTEGER_TYPES or inp.quantization is None):
        raise unsupported(op, f"input '{inp.name}' is {inp.type}; float32, int8, int16 and int32 inputs are "
                              "implemented")
    if inp.type == "INT8" and out.type != "INT8":
        raise unsupported(op, f"int8 input to {out.type.lower()} output; TFLite requantizes int8 only to int8")
    if (inp.type == "FLOAT32" or inp.type == "INT32") and out.type == "INT32":
        raise unsupported(op, f"{inp.type.lower()} input to int32 output; TFLite requantizes to int32 only from "
                              "int16")
    for t in (inp, out):
        if t.quantization is not None and t.quantization.per_channel:
            raise unsupported(op, f"tensor '{t.name}' is per-channel quantized")
    if inp.is_constant:
        raise unsupported(op, f"input '{inp.name}' is a constant")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    out_bits, out_min, out_max = INTEGER_TYPES[out.type]
    params = dict(count=inp.size, output_zero_point=out.zero_point, output_bits=out_bits,
                  output_min=out_min, output_max=out_max, scale=float(out.scale),
                  multiplier=0, shift=0, input_zero_point=0, input_bits=0)
    if inp.type == "FLOAT32":
        layer.function = "quantize_f32"
    else:
        layer.function = "requantize"
        params["multiplier"], params["shift"] = quant.quantize_multiplier(float(inp.scale) / float(out.scale))
        params["input_zero_point"] = inp.zero_point
        params["input_bits"] = INTEGER_TYPES[inp.type][0]
    params["input_ctype"] = "float" if inp.type == "FLOAT32" else "void"
    params["output_ctype"] = "void"
    layer.params = params


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='requantize', check=check, lower=lower, shape_preserving=True)
