"""TRANSPOSE_CONV -> transpose_conv_s8 or transpose_conv_s16 (firmware/kernels/transpose_conv_s*.c): the
reference walk, gathered per output value instead of TFLite's scatter into a scratch image.

The inputs are (output shape, filter, data, optional bias), in that order. As transpose_conv.cc's Prepare
and Eval do: the output shape is an int32 vector of 4 that gives the output tensor its shape (a constant; or a
model input, which must then hold the output's declared shape: the firmware, like TFLM, is built for it); the
filter is [out_c, k_h, k_w, in_c] with in_c the data's depth; padding comes from ComputePaddingHeightWidth
run on the *output* size (dilation 1); the multipliers are PopulateConvolutionQuantizationParams'
(per channel on axis 0), so they are CONV_2D's. 16x8 has zero points 0, an int64 (or int32) bias, and
requantizes from 64 bits as CONV_2D 16x8 does.
"""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._common import FUSED_ACTIVATIONS, dims4, requant_consts
from codegen.model.tflite_model import Model, Operator

OPCODES = ("TRANSPOSE_CONV",)
INT16_MIN, INT16_MAX = -32768, 32767
_BIAS_TYPES = {"INT8": ("INT32",), "INT16": ("INT64", "INT32")}


def _operands(model: Model, op: Operator):
    if len(op.inputs) not in (3, 4) or any(i < 0 for i in op.inputs[:3]):
        raise unsupported(op, f"it has {len(op.inputs)} inputs; TFLite takes output shape, filter, input "
                              "and an optional bias")
    shape, weights, inp = (model.tensor(i) for i in op.inputs[:3])
    bias = model.tensor(op.inputs[3]) if len(op.inputs) == 4 and op.inputs[3] >= 0 else None
    return shape, weights, inp, bias, model.op_outputs(op)[0]


def check(model: Model, op: Operator) -> None:
    shape, weights, inp, bias, out = _operands(model, op)
    if inp.type not in _BIAS_TYPES or out.type != inp.type:
        raise unsupported(op, f"input '{inp.name}' is {inp.type}, output {out.type}; int8 or int16 (16x8) "
                              "activations of one type are implemented")
    for t in (inp, out):
        if t.quantization is None:
            raise unsupported(op, f"tensor '{t.name}' has no quantization parameters")
        if t.type == "INT16" and t.zero_point != 0:
            raise unsupported(op, f"tensor '{t.name}' must have zero point 0 (16x8 quantization)")
    if shape.type != "INT32" or list(shape.shape) != [4]:
        raise unsupported(op, "the output shape must be an int32 tensor of 4 values")
    if not shape.is_constant and op.inputs[0] not in model.inputs:
        raise unsupported(op, "the output shape is computed by another operator; a constant, or a model input "
                              "holding the output's declared shape, is supported")
    if not weights.is_constant or weights.type != "INT8" or weights.quantization is None:
        raise unsupported(op, "the filter must be constant int8 with quantization")
    if any(int(z) != 0 for z in weights.quantization.zero_point):
        raise unsupported(op, f"filter '{weights.name}' has non-zero zero points; int8 filters are symmetric")
    dims4(op, inp)
    dims4(op, weights)
    dims4(op, out)
    # A model input as the output shape (SEANet's): the firmware is built for the output tensor's declared
    # shape, as TFLM builds it, and that input must hold it.
    want = [int(v) for v in shape.data.ravel()] if shape.is_constant else list(out.shape)
    if list(out.shape) != want:
        raise unsupported(op, f"output shape {list(out.shape)} differs from the output-shape tensor's {want}")
    if weights.shape[3] != inp.shape[3]:
        raise unsupported(op, f"filter depth {weights.shape[3]} differs from input depth {inp.shape[3]}")
    if out.shape[0] != inp.shape[0] or out.shape[3] != weights.shape[0]:
        raise unsupported(op, f"output shape {want} does not match {inp.shape[0]} batches of "
                              f"{weights.shape[0]} filters")
    if bias is not None:
        if not bias.is_constant or bias.type not in _BIAS_TYPES[inp.type]:
            raise unsupported(op, f"bias must be constant {' or '.join(_BIAS_TYPES[inp.type]).lower()}")
        if bias.size != weights.shape[0]:
            raise unsupported(op, f"bias has {bias.size} values for {weights.shape[0]} output channels")
    if op.options.get("padding") not in ("SAME", "VALID"):
        raise unsupported(op, f"padding {op.options.get('padding')}")
    if op.options.get("stride_h", 0) < 1 or op.options.get("stride_w", 0) < 1:
        raise unsupported(op, f"strides {op.options.get('stride_h')}x{op.options.get('stride_w')}; "
                              "they must be at least 1")
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in FUSED_ACTIVATIONS:
        raise unsupported(op, f"fused activation {activation}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    _, weights, inp, bias, out = _operands(model, op)
    o = op.options
    n, in_h, in_w, in_c = inp.shape
    out_c, k_h, k_w, _ = weights.shape
    _, out_h, out_w, _ = out.shape
    # ComputePaddingHeightWidth on the output size: the padding the forward convolution would have had.
    pad_h = quant.conv_output_size_and_padding(o["padding"], out_h, k_h, o["stride_h"], 1)[1]
    pad_w = quant.conv_output_size_and_padding(o["padding"], out_w, k_w, o["stride_w"], 1)[1]
    multipliers, shifts = quant.conv_requant(inp.scale, weights.quantization.scale.tolist(), out.scale)
    activation = o.get("fused_activation_function", "NONE")
    int16 = inp.type == "INT16"
    if int16:
        act_min, act_max = quant.activation_range(activation, out.scale, 0, INT16_MIN, INT16_MAX)
    else:
        act_min, act_max = quant.activation_range(activation, out.scale, out.zero_point)
    sym = layer.symbol
    layer.function = "transpose_conv_s16" if int16 else "transpose_conv_s8"
    layer.template = "conv2d_s16" if int16 else "conv2d"
    # Every input value meets every filter tap once (products that land outside the output are dropped).
    layer.macs = sum(1 for oy in range(out_h) for ky in range(k_h)
                     if (oy + pad_h - ky) % o["stride_h"] == 0 and 0 <= (oy + pad_h - ky) // o["stride_h"] < in_h) \
        * sum(1 for ox in range(out_w) for kx in range(k_w)
              if (ox + pad_w - kx) % o["stride_w"] == 0 and 0 <= (ox + pad_w - kx) // o["stride_w"] < in_w) \
        * n * out_c * in_c
    bias_type = "int64_t" if int16 else "int32_t"
    layer.consts = [ConstArray(f"{sym}_filter", "int8_t", weights.data.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)} [out_c, k_h, k_w, in_c]"),
                    *([] if bias is None else [ConstArray(f"{sym}_bias", bias_type,
                                                          [int(v) for v in bias.data.ravel()], bias.name)]),
                    *requant_consts(sym, multipliers, shifts)]
    layer.params = dict(
        input_dims=(n, in_h, in_w, in_c), filter_dims=(out_c, k_h, k_w, in_c), output_dims=(n, out_h, out_w, out_c),
        input_offset=0 if int16 else -inp.zero_point, output_offset=0 if int16 else out.zero_point,
        stride_h=o["stride_h"], stride_w=o["stride_w"], dilation_h=1, dilation_w=1, pad_h=pad_h, pad_w=pad_w,
        depth_multiplier=1, act_min=act_min, act_max=act_max, per_channel=int(len(multipliers) > 1),
        has_bias=bias is not None, padding=o["padding"], activation=activation)


SPEC = OperatorSpec(opcodes=OPCODES, template="conv2d", function="transpose_conv_s8", check=check, lower=lower,
                    data_input=2, name="transpose_conv")
