"""CONV_2D and DEPTHWISE_CONV_2D share their geometry and requantization."""
from __future__ import annotations

from .. import quant
from ..layer import ConstArray, Layer
from ..tflite_model import Model, Operator
from . import _packed, unsupported
from ._common import (activation_range, bias_const, dims4, optional_input, require_int8_activations,
                      require_weights, requant_consts)


def check(model: Model, op: Operator) -> None:
    require_int8_activations(model, op)
    require_weights(model, op)
    inp, weights = model.op_inputs(op)[:2]
    out = model.op_outputs(op)[0]
    for t in (inp, weights, out):
        dims4(op, t)
    # conv.cc / depthwise_conv.cc Prepare: a listed bias must exist and hold one value per output channel;
    # the output is resized to [batches, ..., channels] whatever the file declares.
    if len(op.inputs) > 2 and op.inputs[2] < 0:
        raise unsupported(op, "its bias input is listed but omitted (-1)")
    channels = weights.shape[0] if op.opcode == "CONV_2D" else weights.shape[3]
    if out.shape[0] != inp.shape[0] or out.shape[3] != channels:
        raise unsupported(op, f"output shape {list(out.shape)} does not match {inp.shape[0]} batches of "
                              f"{channels} channels")
    bias = optional_input(model, op, 2)
    if bias is not None and bias.size != channels:
        raise unsupported(op, f"bias has {bias.size} values for {channels} output channels")
    # conv.cc Prepare: int8 filters are symmetric, every zero point 0.
    if op.opcode == "CONV_2D" and any(int(z) != 0 for z in weights.quantization.zero_point):
        raise unsupported(op, f"filter '{weights.name}' has non-zero zero points; int8 filters are symmetric")
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
        padding=o["padding"], activation=o.get("fused_activation_function", "NONE"),
        kernel=("depthwise_conv2d_fast_s8" if depthwise and depth_multiplier == 1 and in_c % 4 == 0
                and dil_h == dil_w == 1 else f"{layer.kind}_s8"))
    # A depthwise layer over one input channel is a convolution whose output channels all read the same
    # input byte, so both take the packed kernel when the width dilation keeps a filter row one run.
    if (not depthwise or in_c == 1) and dil_w == 1:
        filter_ohwi = weights.data.transpose(3, 1, 2, 0) if depthwise else weights.data
        packed = _packed.pack_filter(filter_ohwi)
        if packed is not None:
            layer.kind = "packed_conv"
            layer.consts[0] = ConstArray(f"{sym}_filter", "int32_t", packed,
                                         f"{weights.name} {list(weights.shape)}, two output channels per word")
            layer.params.update(kernel_h=f_h, kernel_w=f_w, packed=_packed.params(
                input_offset=-inp.zero_point, output_offset=out.zero_point, stride_h=stride_h, stride_w=stride_w,
                dilation_h=dil_h, pad_h=pad_h, pad_w=pad_w, act_min=act_min, act_max=act_max,
                filter_values=weights.data, single_rounding=False))
