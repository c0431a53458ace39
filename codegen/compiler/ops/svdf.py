"""SVDF (integer: int8 input and feature weights, int16 time weights and state) -> svdf_s8.

Multipliers as TFLite's svdf.cc Prepare computes them (float32 products, then QuantizeMultiplier):
scale_1 = input * weights_feature / state, scale_2 = state * weights_time / output. The state is a variable
tensor: a static buffer that persists between invokes and that ``model_reset()`` zeroes.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops import OperatorSpec

OPCODES = ("SVDF",)
KIND = "svdf"


def _operands(model: Model, op: Operator):
    inputs = [model.tensor(i) for i in op.inputs] + [None] * 5
    return inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], model.op_outputs(op)[0]


def check(model: Model, op: Operator) -> None:
    inp, feature, time, bias, state, out = _operands(model, op)
    if inp is None or inp.type != "INT8" or out.type != "INT8" or inp.quantization is None:
        raise unsupported(op, "only the integer SVDF (int8 input and output) is implemented")
    if feature is None or not feature.is_constant or feature.type != "INT8" or feature.quantization is None:
        raise unsupported(op, "feature weights must be constant int8")
    if time is not None and time.type == "INT8":
        # TFLM's own variant (its keyword_scrambled_8bit.tflite): TFLite's integer SVDF reads the time weights as
        # int16 without checking, so it reads past them and corrupts its heap: there is no oracle for it.
        raise unsupported(op, f"time weights '{time.name}' are int8 (TFLM's variant); TFLite's integer SVDF takes "
                              "int16 time weights and fails on int8 ones, so there is nothing to check it against: "
                              "quantize the time weights to int16, as TFLite's converter does")
    if time is None or not time.is_constant or time.type != "INT16" or time.quantization is None:
        raise unsupported(op, "time weights must be constant int16")
    if bias is not None and (not bias.is_constant or bias.type != "INT32"):
        raise unsupported(op, "bias must be constant int32")
    if state is None or not state.is_variable or state.type != "INT16" or state.quantization is None:
        raise unsupported(op, "the state must be an int16 variable tensor")
    if state.zero_point != 0:
        raise unsupported(op, "the state must be symmetric (zero point 0), as TFLite's integer SVDF assumes")
    rank = op.options.get("rank", 1)
    if rank < 1 or feature.shape[0] % rank:
        raise unsupported(op, f"rank {rank} does not divide {feature.shape[0]} filters")
    if op.options.get("fused_activation_function", "NONE") != "RELU":
        raise unsupported(op, f"fused activation {op.options.get('fused_activation_function')}; TFLite's "
                              "integer SVDF accepts only RELU")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, feature, time, bias, state, out = _operands(model, op)
    rank = op.options.get("rank", 1)
    n_filter, n_input = feature.shape
    n_memory = time.shape[1]
    n_batch = inp.size // n_input
    f32 = np.float32
    m1, s1 = quant.quantize_multiplier(float(f32(inp.scale) * f32(feature.scale) / f32(state.scale)))
    m2, s2 = quant.quantize_multiplier(float(f32(state.scale) * f32(time.scale) / f32(out.scale)))
    # svdf.cc insists on a fused RELU, yet reference_ops::EvalIntegerSVDF clamps only to int8: match it.
    act_min, act_max = -128, 127
    sym = layer.symbol
    layer.consts = [ConstArray(f"{sym}_weights_feature", "int8_t", feature.data.ravel().tolist(),
                               f"{feature.name} {list(feature.shape)}"),
                    ConstArray(f"{sym}_weights_time", "int16_t", time.data.ravel().tolist(),
                               f"{time.name} {list(time.shape)}")]
    if bias is not None:
        layer.consts.append(ConstArray(f"{sym}_bias", "int32_t", bias.data.ravel().tolist(), bias.name))
    layer.macs = n_batch * n_filter * (n_input + n_memory)
    layer.params = dict(n_batch=n_batch, n_input=n_input, n_filter=n_filter, n_memory=n_memory,
                        n_unit=n_filter // rank, rank=rank, input_zero_point=inp.zero_point,
                        output_zero_point=out.zero_point, multiplier_1=m1, shift_1=s1, multiplier_2=m2,
                        shift_2=s2, act_min=act_min, act_max=act_max, has_bias=bias is not None,
                        state_count=n_batch * n_filter * n_memory, state_name=state.name,
                        activation=op.options.get("fused_activation_function", "NONE"))


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='svdf_s8', check=check, lower=lower)
