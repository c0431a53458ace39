"""CONV_2D and DEPTHWISE_CONV_2D share their geometry and requantization."""
from __future__ import annotations

from .. import quant
from ..layer import ConstArray, Layer
from ..tflite_model import Model, Operator
from . import unsupported
from ._common import (activation_range, bias_const, dims4, optional_input, require_int8_activations,
                      require_weights, requant_consts)


def check(model: Model, op: Operator) -> None:
    require_int8_activations(model, op)
    require_weights(model, op)
    inp, weights = model.op_inputs(op)[:2]
    out = model.op_outputs(op)[0]
    for t in (inp, weights, out):
        dims4(op, t)
    if op.opcode == "CONV_2D" and weights.shape[3] != inp.shape[3]:
        raise unsupported(op, f"filter depth {weights.shape[3]} differs from input depth {inp.shape[3]} "
                              "(grouped convolution)")
    if op.opcode == "DEPTHWISE_CONV_2D" and out.shape[3] % inp.shape[3]:
        raise unsupported(op, f"{out.shape[3]} output channels is not a multiple of {inp.shape[3]} input channels")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    out = model.op_outputs(op)[0]
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    n, in_h, in_w, in_c = dims4(op, inp)
    f_o, f_h, f_w, f_c = dims4(op, weights)
    _, out_h, out_w, out_c = dims4(op, out)
    o = op.options
    stride_h, stride_w = o["stride_h"], o["stride_w"]
    dil_h, dil_w = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    exp_h, pad_h = quant.conv_output_size_and_padding(o["padding"], in_h, f_h, stride_h, dil_h)
    exp_w, pad_w = quant.conv_output_size_and_padding(o["padding"], in_w, f_w, stride_w, dil_w)
    if (exp_h, exp_w) != (out_h, out_w):
        raise unsupported(op, f"output shape {list(out.shape)} disagrees with padding {o['padding']} "
                              f"(expected {exp_h}x{exp_w})")
    depth_multiplier = out_c // in_c if depthwise else 1
    layer.macs = n * out_h * out_w * out_c * f_h * f_w * (1 if depthwise else in_c)
    multipliers, shifts = quant.conv_requant(inp.scale, weights.quantization.scale.tolist(), out.scale)
    act_min, act_max = activation_range(op, out)
    sym = layer.symbol
    layer.consts = [ConstArray(f"{sym}_filter", "int8_t", weights.data.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)}"),
                    *bias_const(sym, bias), *requant_consts(sym, multipliers, shifts)]
    layer.params = dict(
        input_dims=(n, in_h, in_w, in_c), filter_dims=(f_o, f_h, f_w, f_c), output_dims=(n, out_h, out_w, out_c),
        input_offset=-inp.zero_point, output_offset=out.zero_point,
        stride_h=stride_h, stride_w=stride_w, dilation_h=dil_h, dilation_w=dil_w, pad_h=pad_h, pad_w=pad_w,
        depth_multiplier=depth_multiplier, act_min=act_min, act_max=act_max,
        per_channel=int(len(multipliers) > 1), has_bias=bias is not None,
        padding=o["padding"], activation=o.get("fused_activation_function", "NONE"))
