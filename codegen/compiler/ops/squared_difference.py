"""SQUARED_DIFFERENCE (int8) -> squared_difference_s8 (firmware/kernels/squared_difference_s8.c), with
broadcasting up to 4 dimensions (TFLite's BroadcastBinaryFunction4DSlow).

squared_difference.cc's Prepare: both inputs are rescaled to twice the larger input scale after a left shift
of 7 (the float32 max doubled in float32, the ratios in double), and the squared difference is rescaled by
twice_max^2 / (2^14 * output scale); all three multipliers are QuantizeMultiplierSmallerThanOneExp's. There is
no fused activation: the clamp is the int8 range."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._binary import memory
from codegen.compiler.ops._shapes import activation_offsets, broadcast_steps, operand, padded, require_dims
from codegen.model.tflite_model import Model, Operator

OPCODES = ("SQUARED_DIFFERENCE",)
LEFT_SHIFT = 7


def check(model: Model, op: Operator) -> None:
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected 2")
    ins, out = model.op_inputs(op), model.op_outputs(op)[0]
    for t in [*ins, out]:
        if t.type == "INT16":
            # squared_difference.cc's Eval: "SquaredDifference only supports FLOAT32 and INT32 now" (and int8)
            raise unsupported(op, f"tensor '{t.name}' is INT16; TFLite's SQUARED_DIFFERENCE runs float32, int32 and "
                                  "int8 only")
        if t.type != "INT8" or t.quantization is None:
            raise unsupported(op, f"tensor '{t.name}' is {t.type}{'' if t.quantization else ' without quantization'}"
                                  "; only quantized int8 is implemented")
        if t.size == 0:
            raise unsupported(op, f"tensor '{t.name}' has shape {list(t.shape)}")
        require_dims(op, t)
    if all(t.is_constant for t in ins):
        raise unsupported(op, "both inputs are constants (the converter folds these)")
    if list(ins[0].shape) != list(ins[1].shape) and len(out.shape) > 4:
        raise unsupported(op, f"broadcasting over {len(out.shape)} dimensions; TFLite broadcasts this operator "
                              "over at most 4")
    out_shape = padded(out.shape)
    for t in ins:
        broadcast_steps(op, t, out_shape)
    try:
        _multipliers(*ins, out)
    except ValueError as error:
        raise unsupported(op, f"its scales give {error} (TFLite needs each below 1)") from None


def _multipliers(in1, in2, out) -> dict:
    twice_max = float(np.float32(2) * max(np.float32(in1.scale), np.float32(in2.scale)))
    real1 = float(np.float32(in1.scale)) / twice_max
    real2 = float(np.float32(in2.scale)) / twice_max
    real_out = twice_max * twice_max / float(np.float32(1 << (2 * LEFT_SHIFT)) * np.float32(out.scale))
    (m1, s1), (m2, s2), (mo, so) = (quant.quantize_multiplier_smaller_than_one(r) for r in (real1, real2, real_out))
    return dict(input1_multiplier=m1, input1_shift=s1, input2_multiplier=m2, input2_shift=s2,
                output_multiplier=mo, output_shift=so)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    in1, in2 = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    out_shape = padded(out.shape)
    offsets = activation_offsets(model, op, layer)
    layer.params = dict(shape=out_shape, step1=broadcast_steps(op, in1, out_shape),
                        step2=broadcast_steps(op, in2, out_shape),
                        operand1=operand(model, op, 0, offsets, layer.consts, layer.symbol),
                        operand2=operand(model, op, 1, offsets, layer.consts, layer.symbol),
                        input1_offset=-in1.zero_point, input2_offset=-in2.zero_point, output_offset=out.zero_point,
                        left_shift=LEFT_SHIFT, act_min=-128, act_max=127, activation="NONE",
                        **_multipliers(in1, in2, out))
    layer.macs = out.size


SPEC = OperatorSpec(opcodes=OPCODES, template="add", function="squared_difference_s8", check=check, lower=lower,
                    memory=memory, constant_operands=True, name="squared_difference")
