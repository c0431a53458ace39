"""SOFTMAX -> softmax_s8 (firmware/kernels/softmax_s8.c)."""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import require_int8_activations
from codegen.compiler.ops import OperatorSpec

OPCODES = ("SOFTMAX",)
KIND = "softmax"

# int8 SOFTMAX keeps the sum of exponentials below 2^28 only for fewer than 512 values.
MAX_DEPTH = 512


def check(model: Model, op: Operator) -> None:
    require_int8_activations(model, op)
    inp = model.op_inputs(op)[0]
    out = model.op_outputs(op)[0]
    if out.zero_point != -128 or abs(out.scale - 1.0 / 256) > 1e-9:
        raise unsupported(op, f"int8 softmax output must have scale 1/256 and zero point -128, "
                              f"has {out.scale} and {out.zero_point}")
    if inp.shape[-1] >= MAX_DEPTH:
        raise unsupported(op, f"softmax over {inp.shape[-1]} values; at most {MAX_DEPTH - 1} (beyond that TFLite's "
                              "own int8 reference kernel shifts by 32 or more and has no defined result)")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    depth = inp.shape[-1]
    beta = op.options.get("beta", 1.0)
    multiplier, left_shift, diff_min = quant.softmax_params(beta, inp.scale)
    layer.params = dict(rows=inp.size // depth, depth=depth, input_multiplier=multiplier,
                        input_left_shift=left_shift, diff_min=diff_min, beta=beta)


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='softmax_s8', check=check, lower=lower, shape_preserving=True)
