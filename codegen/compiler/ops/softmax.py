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
    inp = model.op_inputs(op)[0]
    depth = inp.shape[-1]
    beta = op.options.get("beta", 1.0)
    multiplier, left_shift, diff_min = quant.softmax_params(beta, inp.scale)
    int16_output = model.op_outputs(op)[0].type == "INT16"
    layer.function = "softmax_s8_s16" if int16_output else "softmax_s8"
    layer.params = dict(rows=inp.size // depth, depth=depth, input_multiplier=multiplier,
                        input_left_shift=left_shift, diff_min=diff_min, beta=beta,
                        output_ctype="int16_t" if int16_output else "int8_t")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='softmax_s8', check=check, lower=lower, shape_preserving=True)
