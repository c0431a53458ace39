"""CONV_2D and DEPTHWISE_CONV_2D with int16 activations and int8 weights (16x8) -> conv2d_s16 /
depthwise_conv2d_s16 (firmware/kernels/conv2d_s16.c, depthwise_conv2d_s16.c).

Reached through ``_conv.py`` when the input is int16. There is one kernel for it, the reference walk, so the
selector has nothing to choose; the multipliers are the int8 operator's (PopulateConvolutionQuantizationParams),
the clamp is CalculateActivationRangeQuantized in the int16 domain, and an int32 bias is widened to int64.
"""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import FUSED_ACTIVATIONS, dims4, optional_input, requant_consts
from codegen.model.tflite_model import Model, Operator

KIND = "conv2d_s16"
INT16_MIN, INT16_MAX = -32768, 32767


def check(model: Model, op: Operator) -> None:
    inputs = model.op_inputs(op)
    inp, weights, out = inputs[0], inputs[1] if len(inputs) > 1 else None, model.op_outputs(op)[0]
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    for t in (inp, out):
        if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
            raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
    if weights is None or not weights.is_constant or weights.type != "INT8" or weights.quantization is None:
        raise unsupported(op, "weights must be constant int8 with quantization")
    if any(int(z) != 0 for z in weights.quantization.zero_point):
        raise unsupported(op, f"filter '{weights.name}' has non-zero zero points; int8 filters are symmetric")
    for t in (inp, weights, out):
        dims4(op, t)
    if depthwise and out.shape[3] % inp.shape[3]:
        raise unsupported(op, f"{out.shape[3]} output channels is not a multiple of {inp.shape[3]} input channels")
    if not depthwise and weights.shape[3] != inp.shape[3]:
        raise unsupported(op, f"filter depth {weights.shape[3]} differs from input depth {inp.shape[3]} "
                              "(grouped convolution)")
    channels = weights.shape[3] if depthwise else weights.shape[0]
    if len(op.inputs) > 2 and op.inputs[2] < 0:
        raise unsupported(op, "its bias input is listed but omitted (-1)")
    bias = optional_input(model, op, 2)
    if bias is not None and (not bias.is_constant or bias.type not in ("INT64", "INT32")):
        raise unsupported(op, "bias must be constant int64 (or int32)")
    if bias is not None and bias.size != channels:
        raise unsupported(op, f"bias has {bias.size} values for {channels} output channels")
    if op.options.get("fused_activation_function", "NONE") not in FUSED_ACTIVATIONS:
        raise unsupported(op, f"fused activation {op.options.get('fused_activation_function')}")


def lower(model: Model, op: Operator, layer: Layer, geometry) -> None:
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    out = model.op_outputs(op)[0]
    g = geometry
    multipliers, shifts = quant.conv_requant(inp.scale, weights.quantization.scale.tolist(), out.scale)
    activation = op.options.get("fused_activation_function", "NONE")
    act_min, act_max = quant.activation_range(activation, out.scale, 0, INT16_MIN, INT16_MAX)
    sym = layer.symbol
    layer.template = KIND
    layer.function = "depthwise_conv2d_s16" if g.depthwise else "conv2d_s16"
    layer.macs = g.n * g.out_h * g.out_w * g.out_c * g.f_h * g.f_w * (1 if g.depthwise else g.in_c)
    layer.consts = [ConstArray(f"{sym}_filter", "int8_t", weights.data.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)}"),
                    *([] if bias is None else [ConstArray(f"{sym}_bias", "int64_t",
                                                          [int(v) for v in bias.data.ravel()], bias.name)]),
                    *requant_consts(sym, multipliers, shifts)]
    layer.params = dict(
        input_dims=(g.n, g.in_h, g.in_w, g.in_c), filter_dims=tuple(weights.shape),
        output_dims=(g.n, g.out_h, g.out_w, g.out_c), input_offset=0, output_offset=0,
        stride_h=g.stride_h, stride_w=g.stride_w, dilation_h=g.dil_h, dilation_w=g.dil_w, pad_h=g.pad_h,
        pad_w=g.pad_w, depth_multiplier=g.depth_multiplier, act_min=act_min, act_max=act_max,
        per_channel=int(len(multipliers) > 1), has_bias=bias is not None,
        padding=op.options["padding"], activation=activation)
