"""CONV_2D and DEPTHWISE_CONV_2D share their geometry and requantization."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.layouts import channel_requant, depthwise_pairs, packed, pointwise
from codegen.compiler.ops import _conv_s16, _float, unsupported
from codegen.compiler.select import ConvGeometry, ConvNumbers, filter_ohwi, select_conv
from codegen.compiler.ops._common import (activation_range, bias_const, dims4, optional_input, require_int8_activations,
                      require_weights, requant_consts)


def check(model: Model, op: Operator) -> None:
    if _float.is_float(model, op):
        return _float.check_conv(model, op, geometry)
    if model.op_inputs(op)[0].type == "INT16":
        _conv_s16.check(model, op)
        geometry(model, op)
        return
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


def geometry(model: Model, op: Operator) -> ConvGeometry:
    inp, weights = model.op_inputs(op)[:2]
    out = model.op_outputs(op)[0]
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    n, in_h, in_w, in_c = dims4(op, inp)
    _, f_h, f_w, _ = dims4(op, weights)
    _, out_h, out_w, out_c = dims4(op, out)
    o = op.options
    stride_h, stride_w = o["stride_h"], o["stride_w"]
    dil_h, dil_w = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    exp_h, pad_h = quant.conv_output_size_and_padding(o["padding"], in_h, f_h, stride_h, dil_h)
    exp_w, pad_w = quant.conv_output_size_and_padding(o["padding"], in_w, f_w, stride_w, dil_w)
    if (exp_h, exp_w) != (out_h, out_w):
        raise unsupported(op, f"output shape {list(out.shape)} disagrees with padding {o['padding']} "
                              f"(expected {exp_h}x{exp_w})")
    return ConvGeometry(depthwise, n, in_h, in_w, in_c, f_h, f_w, out_h, out_w, out_c, stride_h, stride_w,
                        dil_h, dil_w, pad_h, pad_w, out_c // in_c if depthwise else 1)


def numbers(model: Model, op: Operator) -> ConvNumbers:
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    multipliers, shifts = quant.conv_requant(inp.scale, weights.quantization.scale.tolist(),
                                             model.op_outputs(op)[0].scale)
    return ConvNumbers(weights.data, None if bias is None else bias.data, multipliers, shifts, -inp.zero_point)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if _float.is_float(model, op):
        return _float.lower_conv(model, op, layer, geometry(model, op))
    if model.op_inputs(op)[0].type == "INT16":
        return _conv_s16.lower(model, op, layer, geometry(model, op))
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    out = model.op_outputs(op)[0]
    g = geometry(model, op)
    q = numbers(model, op)
    choice = select_conv(g, q, layer.target)
    layer.apply(choice)
    layer.macs = g.n * g.out_h * g.out_w * g.out_c * g.f_h * g.f_w * (1 if g.depthwise else g.in_c)
    act_min, act_max = activation_range(op, out)
    sym = layer.symbol
    shape = f"{weights.name} {list(weights.shape)}"
    layer.params = dict(
        input_dims=(g.n, g.in_h, g.in_w, g.in_c), filter_dims=tuple(weights.shape),
        output_dims=(g.n, g.out_h, g.out_w, g.out_c), input_offset=-inp.zero_point, output_offset=out.zero_point,
        stride_h=g.stride_h, stride_w=g.stride_w, dilation_h=g.dil_h, dilation_w=g.dil_w, pad_h=g.pad_h,
        pad_w=g.pad_w, depth_multiplier=g.depth_multiplier, act_min=act_min, act_max=act_max,
        per_channel=int(len(q.multipliers) > 1), has_bias=bias is not None,
        padding=op.options["padding"], activation=op.options.get("fused_activation_function", "NONE"))
    folded = "per output channel: bias + input offset * sum(weights), multiplier, right shift - 1"
    if choice.function == "pointwise_conv_s8":
        layer.consts = [ConstArray(f"{sym}_filter", "int8_t", pointwise.interleave(weights.data.reshape(g.out_c, g.in_c)),
                                   f"{shape}, {choice.weight_layout}"),
                        channel_requant.channel_const(sym, choice.channels, folded)]
        layer.params.update(pixels=g.n * g.out_h * g.out_w,
                            general_requant=int(choice.general_requant))
    elif choice.function == "depthwise_conv2d_3x3_s8":
        layer.consts = [ConstArray(f"{sym}_filter", "int32_t", depthwise_pairs.pair_words(weights.data),
                                   f"{shape}, {choice.weight_layout}, 18 words per four channels"),
                        channel_requant.channel_const(sym, choice.channels, folded)]
    elif choice.function == "depthwise_conv2d_fast_s8":
        layer.consts = [ConstArray(f"{sym}_filter", "int8_t", weights.data.ravel().tolist(), shape),
                        channel_requant.channel_const(sym, choice.channels, folded)]
    elif choice.function in ("conv2d_tap_pairs_s8", "conv2d_tap_pairs_two_pixels_s8"):
        f_w = choice.padded_width or g.f_w
        ohwi = filter_ohwi(g, weights.data)
        if f_w != g.f_w:
            # zero columns on the right: the kernel reads whole-word rows, and a zero weight adds nothing
            ohwi = np.pad(ohwi, ((0, 0), (0, 0), (0, f_w - g.f_w), (0, 0)))
            dims = list(layer.params["filter_dims"])
            dims[2] = f_w
            layer.params["filter_dims"] = tuple(dims)
        layer.params["taps"] = g.f_h * f_w * g.in_c
        layer.consts = [ConstArray(f"{sym}_filter", "int8_t", pointwise.interleave(ohwi.reshape(g.out_c, -1)),
                                   f"{shape}, {choice.weight_layout}", align=8),   # LDRD reads it
                        channel_requant.channel_const(sym, choice.channels, folded)]
    elif choice.function == "packed_conv_s8":
        filter_const = ConstArray(f"{sym}_filter", "int32_t", choice.packed_filter, f"{shape}, {choice.weight_layout}")
        layer.params["channels"] = choice.channels is not None
        if choice.channels is not None:
            layer.consts = [filter_const, channel_requant.channel_const(
                sym, choice.channels, "per output channel: bias, multiplier, right shift - 1")]
        else:
            layer.consts = [filter_const, *bias_const(sym, bias), *requant_consts(sym, q.multipliers, q.shifts)]
        layer.params.update(kernel_h=g.f_h, kernel_w=g.f_w, packed=packed.params(
            input_offset=-inp.zero_point, output_offset=out.zero_point, stride_h=g.stride_h,
            stride_w=g.stride_w, dilation_h=g.dil_h, pad_h=g.pad_h, pad_w=g.pad_w, act_min=act_min,
            act_max=act_max, filter_values=weights.data))
    else:
        layer.consts = [ConstArray(f"{sym}_filter", "int8_t", weights.data.ravel().tolist(), shape),
                        *bias_const(sym, bias), *requant_consts(sym, q.multipliers, q.shifts)]
