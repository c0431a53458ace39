"""CONV_2D and DEPTHWISE_CONV_2D share their geometry and requantization."""
from __future__ import annotations

from dataclasses import dataclass

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer, MemoryNeeds
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import _channel_requant, _depthwise_pairs, _packed, _pointwise, unsupported
from codegen.compiler.ops._common import (activation_range, bias_const, dims4, optional_input, require_int8_activations,
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


@dataclass
class Geometry:
    depthwise: bool
    n: int
    in_h: int
    in_w: int
    in_c: int
    f_h: int
    f_w: int
    out_h: int
    out_w: int
    out_c: int
    stride_h: int
    stride_w: int
    dil_h: int
    dil_w: int
    pad_h: int
    pad_w: int
    depth_multiplier: int


def geometry(model: Model, op: Operator) -> Geometry:
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
    return Geometry(depthwise, n, in_h, in_w, in_c, f_h, f_w, out_h, out_w, out_c, stride_h, stride_w,
                    dil_h, dil_w, pad_h, pad_w, out_c // in_c if depthwise else 1)


def _requant(model: Model, op: Operator) -> tuple[list[int], list[int]]:
    inp, weights = model.op_inputs(op)[:2]
    return quant.conv_requant(inp.scale, weights.quantization.scale.tolist(), model.op_outputs(op)[0].scale)


def _channel_table(model: Model, op: Operator, fold_offset: bool) -> list[tuple[int, int, int]] | None:
    """The tuned kernels' (bias, multiplier, right shift - 1) per output channel, or None when the layer's
    numbers do not allow tf_mbqm_fast_halves."""
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    channels = weights.shape[3] if op.opcode == "DEPTHWISE_CONV_2D" else weights.shape[0]
    per_channel = (weights.data.reshape(-1, channels).T if op.opcode == "DEPTHWISE_CONV_2D"
                   else weights.data.reshape(channels, -1))
    multipliers, shifts = _requant(model, op)
    return _channel_requant.conv_table(per_channel, None if bias is None else bias.data, multipliers, shifts,
                                       -inp.zero_point, fold_offset)


def pointwise_table(model: Model, op: Operator, g: Geometry) -> list[tuple[int, int, int]] | None:
    """The channel table when pointwise_conv_s8 can run this layer, else None."""
    if g.depthwise or not _pointwise.eligible(g.f_h, g.f_w, g.stride_h, g.stride_w, model.op_inputs(op)[1].data):
        return None
    return _channel_table(model, op, fold_offset=True)


# The ring-reading depthwise kernels keep a window's row pointers in a small array (TF_DW_MAX_KERNEL_H,
# firmware/kernels/depthwise_ring.h).
FAST_DEPTHWISE_MAX_KERNEL_H = 16


def fast_depthwise_table(model: Model, op: Operator, g: Geometry) -> list[tuple[int, int, int]] | None:
    """The channel table when depthwise_conv2d_fast_s8 can run this layer, else None. The kernel reads
    zero-point-padded rows, so the input offset is folded into the bias."""
    if not (g.depthwise and g.depth_multiplier == 1 and g.in_c % 4 == 0 and g.dil_h == g.dil_w == 1
            and g.f_h <= FAST_DEPTHWISE_MAX_KERNEL_H):
        return None
    return _channel_table(model, op, fold_offset=True)


# conv2d_tap_pairs_s8 copies a border pixel's receptive field into a stack patch of TF_TAP_PAIRS_MAX_TAPS
# bytes (firmware/include/tinyforge/kernels.h).
TAP_PAIRS_MAX_TAPS = 128


def tap_pairs_table(model: Model, op: Operator, g: Geometry, dsp: bool) -> list[tuple[int, int, int]] | None:
    """The channel table when conv2d_tap_pairs_s8 runs this layer, else None: only on cores with SMLAD
    (elsewhere packed_conv_s8 is faster), for filter rows of whole words. Border taps read the zero point, so
    the input offset is folded into the bias."""
    run = g.f_w * g.in_c
    if not dsp or (g.depthwise and g.in_c != 1) or g.dil_w != 1 or run % 4 or g.f_h * run > TAP_PAIRS_MAX_TAPS:
        return None
    return _channel_table(model, op, fold_offset=True)


def ring_bytes(g: Geometry) -> int:
    """depthwise_conv2d_fast_s8's ring: k_h input rows, each as wide as the outputs read, padded."""
    return g.f_h * ((g.out_w - 1) * g.stride_w + g.f_w) * g.in_c


def memory(model: Model, op: Operator) -> MemoryNeeds:
    g = geometry(model, op)
    if pointwise_table(model, op, g) is not None:
        scratch = 4 * _pointwise.scratch_words(g.in_c)
        return MemoryNeeds(scratch=scratch, in_place_scratch=scratch if g.out_c <= g.in_c else None)
    if fast_depthwise_table(model, op, g) is not None:
        same_shape = g.stride_h == g.stride_w == 1 and (g.out_h, g.out_w) == (g.in_h, g.in_w)
        return MemoryNeeds(scratch=ring_bytes(g), in_place_scratch=ring_bytes(g) if same_shape else None)
    return MemoryNeeds()


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    out = model.op_outputs(op)[0]
    g = geometry(model, op)
    layer.macs = g.n * g.out_h * g.out_w * g.out_c * g.f_h * g.f_w * (1 if g.depthwise else g.in_c)
    multipliers, shifts = _requant(model, op)
    act_min, act_max = activation_range(op, out)
    sym = layer.symbol
    layer.consts = [ConstArray(f"{sym}_filter", "int8_t", weights.data.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)}"),
                    *bias_const(sym, bias), *requant_consts(sym, multipliers, shifts)]
    layer.params = dict(
        input_dims=(g.n, g.in_h, g.in_w, g.in_c), filter_dims=tuple(weights.shape),
        output_dims=(g.n, g.out_h, g.out_w, g.out_c), input_offset=-inp.zero_point, output_offset=out.zero_point,
        stride_h=g.stride_h, stride_w=g.stride_w, dilation_h=g.dil_h, dilation_w=g.dil_w, pad_h=g.pad_h,
        pad_w=g.pad_w, depth_multiplier=g.depth_multiplier, act_min=act_min, act_max=act_max,
        per_channel=int(len(multipliers) > 1), has_bias=bias is not None,
        padding=op.options["padding"], activation=op.options.get("fused_activation_function", "NONE"),
        kernel=f"{layer.kind}_s8")
    table = pointwise_table(model, op, g)
    if table is not None:
        layer.kind = "pointwise_conv"
        layer.consts = [ConstArray(f"{sym}_filter", "int8_t",
                                   _pointwise.interleave(weights.data.reshape(g.out_c, g.in_c)),
                                   f"{weights.name} {list(weights.shape)}, four output channels by four input channels per block"),
                        _channel_requant.channel_const(sym, table, "per output channel: bias + input offset * "
                                                       "sum(weights), multiplier, right shift - 1")]
        layer.params.update(pixels=g.n * g.out_h * g.out_w)
        return
    table = fast_depthwise_table(model, op, g)
    if table is not None:
        channels = _channel_requant.channel_const(
            sym, table, "per output channel: bias + input offset * sum(weights), multiplier, right shift - 1")
        if _depthwise_pairs.eligible(layer.core_dsp, g.f_h, g.f_w):
            layer.kind = "depthwise_conv2d_3x3"
            layer.consts = [ConstArray(f"{sym}_filter", "int32_t", _depthwise_pairs.pair_words(weights.data),
                                       f"{weights.name} {list(weights.shape)}, int16 pairs (c0, c2) (c1, c3) per "
                                       "tap, 18 words per four channels"), channels]
        else:
            layer.params["kernel"] = "depthwise_conv2d_fast_s8"
            layer.consts = [layer.consts[0], channels]
        return
    # A depthwise layer over one input channel is a convolution whose output channels all read the same
    # input byte, so both take the tap-pairs kernel or the packed one.
    filter_ohwi = weights.data.transpose(3, 1, 2, 0) if g.depthwise else weights.data
    table = tap_pairs_table(model, op, g, layer.core_dsp)
    if table is not None:
        layer.kind = "conv2d_tap_pairs"
        layer.params["taps"] = g.f_h * g.f_w * g.in_c
        layer.consts = [ConstArray(f"{sym}_filter", "int8_t", _pointwise.interleave(filter_ohwi.reshape(g.out_c, -1)),
                                   f"{weights.name} {list(weights.shape)}, four output channels by four taps "
                                   "per block", align=8),   # LDRD reads it
                        _channel_requant.channel_const(sym, table, "per output channel: bias + input offset * "
                                                       "sum(weights), multiplier, right shift - 1")]
        return
    # The packed kernel when the width dilation keeps a filter row one run.
    if (not g.depthwise or g.in_c == 1) and g.dil_w == 1:
        packed = _packed.pack_filter(filter_ohwi)
        if packed is not None:
            layer.kind = "packed_conv"
            layer.consts[0] = ConstArray(f"{sym}_filter", "int32_t", packed,
                                         f"{weights.name} {list(weights.shape)}, two output channels per word")
            table = _channel_table(model, op, fold_offset=False)
            layer.params["channels"] = table is not None
            if table is not None:
                layer.consts = [layer.consts[0], _channel_requant.channel_const(
                    sym, table, "per output channel: bias, multiplier, right shift - 1")]
            layer.params.update(kernel_h=g.f_h, kernel_w=g.f_w, packed=_packed.params(
                input_offset=-inp.zero_point, output_offset=out.zero_point, stride_h=g.stride_h,
                stride_w=g.stride_w, dilation_h=g.dil_h, pad_h=g.pad_h, pad_w=g.pad_w, act_min=act_min,
                act_max=act_max, filter_values=weights.data))
