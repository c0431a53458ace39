"""SOFTMAX -> softmax_s8 (firmware/kernels/softmax_s8.c)."""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import require_int8_activations
from codegen.compiler.ops import OperatorSpec, _float

OPCODES = ("SOFTMAX",)
KIND = "softmax"

# int8 SOFTMAX keeps the sum of exponentials below 2^28 only for fewer than 512 values.
MAX_DEPTH = 512


# softmax.cc's Prepare: the output's scale and zero point for each output type of an int8 input.
OUTPUT_QUANTIZATION = {"INT8": (1.0 / 256, -128), "INT16": (1.0 / 65536, -32768)}


def check(model: Model, op: Operator) -> None:
    if _float.is_float(model, op):
        return _float.check_unary(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type == "INT16":
        return _check_s16(op, inp, out)
    if inp.type == "INT8" and out.type == "INT16":      # the int16 output TFLite's converter may give it
        for t in (inp, out):
            if t.quantization is None:
                raise unsupported(op, f"tensor '{t.name}' has no quantization parameters")
    else:
        require_int8_activations(model, op)
    scale, zero_point = OUTPUT_QUANTIZATION[out.type]
    # TFLite checks the scale to within 0.1 % of an output step (TF_LITE_ENSURE_NEAR)
    if out.zero_point != zero_point or abs(out.scale - scale) > 0.001 * scale:
        raise unsupported(op, f"{out.type.lower()} softmax output must have scale 1/{round(1 / scale)} and zero point "
                              f"{zero_point}, has {out.scale} and {out.zero_point}")
    if inp.shape[-1] >= MAX_DEPTH:
        raise unsupported(op, f"softmax over {inp.shape[-1]} values; at most {MAX_DEPTH - 1} (beyond that TFLite's "
                              "own int8 reference kernel shifts by 32 or more and has no defined result)")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if _float.is_float(model, op):
        return _float.lower_unary(model, op, layer)
    if model.op_inputs(op)[0].type == "INT16":
        return _lower_s16(model, op, layer)
    inp = model.op_inputs(op)[0]
    depth = inp.shape[-1]
    beta = op.options.get("beta", 1.0)
    multiplier, left_shift, diff_min = quant.softmax_params(beta, inp.scale)
    int16_output = model.op_outputs(op)[0].type == "INT16"
    layer.function = "softmax_s8_s16" if int16_output else "softmax_s8"
    layer.params = dict(rows=inp.size // depth, depth=depth, input_multiplier=multiplier,
                        input_left_shift=left_shift, diff_min=diff_min, beta=beta,
                        output_ctype="int16_t" if int16_output else "int8_t")


# 16x8 (softmax.cc Prepare for int16): zero points 0, the output in steps of 1/32768; exp(x) for x in [-10, 0]
# and 1 / (1 + x) for x in [0, 1] as 513-entry tables (LUTPopulate<int16_t>), and the input difference
# rescaled by input scale * beta / (10 / 65535) so [-65535, 0] spans [-10, 0].
INT16_RANGE = 65535


def _check_s16(op: Operator, inp, out) -> None:
    for t in (inp, out):
        if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
            raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
    if abs(out.scale - 1.0 / 32768) > 0.001 / 32768:
        raise unsupported(op, f"int16 softmax output must have scale 1/32768, has {out.scale}")


def _lower_s16(model: Model, op: Operator, layer: Layer) -> None:
    import numpy as np
    from codegen.compiler.fixedpoint import expf, lut_populate_int16
    from codegen.compiler.layer import ConstArray
    f = np.float32
    inp = model.op_inputs(op)[0]
    exp_lut = lut_populate_int16(f(10.0) / f(INT16_RANGE), 32767, f(2.0) / f(INT16_RANGE), 0, expf)
    reciprocal_lut = lut_populate_int16(f(1.0) / f(INT16_RANGE), -32768, f(2.0) / f(INT16_RANGE), 0,
                                        lambda x: f(1.0) / f(f(1.0) + f(x)))
    beta = op.options.get("beta", 1.0)
    multiplier, shift = quant.quantize_multiplier(float(f(inp.scale) * f(beta)) / (10.0 / 65535.0))
    depth = inp.shape[-1]
    sym = layer.symbol
    layer.consts += [ConstArray(f"{sym}_exp_lut", "int16_t", exp_lut, "exp(x), x in [-10, 0], 512 segments"),
                     ConstArray(f"{sym}_reciprocal_lut", "int16_t", reciprocal_lut,
                                "1 / (1 + x), x in [0, 1], 512 segments")]
    layer.template = "softmax_s16"
    layer.function = "softmax_s16"
    layer.params = dict(rows=inp.size // depth, depth=depth, input_multiplier=multiplier, input_left_shift=shift,
                        beta=beta)


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='softmax_s8', check=check, lower=lower, shape_preserving=True)
