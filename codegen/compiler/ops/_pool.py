"""AVERAGE_POOL_2D and MAX_POOL_2D share their geometry (TFLite's ComputePaddingHeightWidth, dilation 1)."""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import _float, unsupported
from codegen.compiler.ops._common import FUSED_ACTIVATIONS, activation_range, dims4, require_int8_activations
from codegen.compiler.ops._shapes import same_quantization


def _geometry(op: Operator, in_size: int, filter_size: int, stride: int) -> tuple[int, int]:
    return quant.conv_output_size_and_padding(op.options["padding"], in_size, filter_size, stride, 1)


def check(model: Model, op: Operator) -> None:
    if _float.is_float(model, op):
        return _float.check_pool(model, op, check_geometry)
    if model.op_inputs(op)[0].type == "INT16":
        # pooling.cc: 16x8 pooling keeps zero points 0
        for t in (model.op_inputs(op)[0], model.op_outputs(op)[0]):
            if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
                raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
    else:
        require_int8_activations(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    dims4(op, inp)
    dims4(op, out)
    if not same_quantization(inp, out):
        raise unsupported(op, f"input scale/zero point {inp.scale}/{inp.zero_point} differ from the output's "
                              f"{out.scale}/{out.zero_point}; pooling does not rescale")
    check_geometry(model, op)


def check_geometry(model: Model, op: Operator) -> None:
    """The fused activation, the output size the padding gives, and no window entirely in the padding."""
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in FUSED_ACTIVATIONS:
        raise unsupported(op, f"fused activation {activation}; supported: {', '.join(FUSED_ACTIVATIONS)}")
    o = op.options
    for axis, size, filt, stride in ((1, inp.shape[1], o["filter_height"], o["stride_h"]),
                                     (2, inp.shape[2], o["filter_width"], o["stride_w"])):
        out_size, pad = _geometry(op, size, filt, stride)
        if out_size != out.shape[axis]:
            raise unsupported(op, f"output shape {list(out.shape)} disagrees with padding {o['padding']}")
        # TFLite's AveragePool fails at Eval when a window misses the input entirely; refuse it here.
        for position in range(out_size):
            start = position * stride - pad
            if min(filt, size - start) - max(0, -start) <= 0:
                raise unsupported(op, f"pooling window {position} lies entirely in the padding")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if _float.is_float(model, op):
        return _float.lower_pool(model, op, layer)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    o = op.options
    _, pad_h = _geometry(op, inp.shape[1], o["filter_height"], o["stride_h"])
    _, pad_w = _geometry(op, inp.shape[2], o["filter_width"], o["stride_w"])
    int16 = inp.type == "INT16"
    if int16:
        act_min, act_max = quant.activation_range(o.get("fused_activation_function", "NONE"), out.scale, 0,
                                                  -32768, 32767)
        layer.function = layer.function.replace("_s8", "_s16")
    else:
        act_min, act_max = activation_range(op, out)
    layer.params = dict(ctype="int16_t" if int16 else "int8_t", input_dims=dims4(op, inp), output_dims=dims4(op, out),
                        stride_h=o["stride_h"], stride_w=o["stride_w"],
                        filter_h=o["filter_height"], filter_w=o["filter_width"], pad_h=pad_h, pad_w=pad_w,
                        act_min=act_min, act_max=act_max, padding=o["padding"],
                        activation=o.get("fused_activation_function", "NONE"))
    layer.macs = out.size * o["filter_height"] * o["filter_width"]
