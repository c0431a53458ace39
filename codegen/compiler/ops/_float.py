"""float32 layers: TFLite's float reference kernels, one C loop each (firmware/kernels/*_f32.c), in the same
order of operations and compiled with -ffp-contract=off, so every core gives TFLite's bits.

Reached from the operator modules when a layer's data input is float32. Weights and biases are float32
constants (a model with int8 weights and float activations is dynamic-range, refused with its advice by
codegen.compiler.lower); the fused activation becomes a float range, as CalculateActivationRange gives it.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import FUSED_ACTIVATIONS, dims4, optional_input
from codegen.compiler.ops._shapes import activation_offsets, broadcast_steps, operand, padded, require_dims
from codegen.model.tflite_model import Model, Operator

FLOAT_MAX = float(np.finfo(np.float32).max)
RANGES = {"NONE": (-FLOAT_MAX, FLOAT_MAX), "RELU": (0.0, FLOAT_MAX), "RELU6": (0.0, 6.0),
          "RELU_N1_TO_1": (-1.0, 1.0)}


def is_float(model: Model, op: Operator, position: int = 0) -> bool:
    t = model.tensor(op.inputs[position]) if len(op.inputs) > position else None
    return t is not None and t.type == "FLOAT32"


def c_float(value: float) -> str:
    """A C float literal of ``value`` rounded to float32; infinities and NaN as GCC's builtins (a PADV2 before a
    max pool pads with -inf)."""
    value = float(np.float32(value))
    if np.isnan(value):
        return "__builtin_nanf(\"\")"
    if np.isinf(value):
        return "__builtin_inff()" if value > 0 else "(-__builtin_inff())"
    return f"{value!r}f"


def float_range(op: Operator, activation: str | None = None) -> dict:
    activation = activation or op.options.get("fused_activation_function", "NONE")
    if activation not in RANGES:
        raise unsupported(op, f"fused activation {activation}; supported: {', '.join(FUSED_ACTIVATIONS)}")
    low, high = RANGES[activation]
    return dict(act_min=c_float(low), act_max=c_float(high), activation=activation)


def require_float(model: Model, op: Operator, positions=(0,), constants=()) -> None:
    """The data inputs at ``positions`` and every output are float32 activations; inputs at ``constants``
    (when present) are float32 constants."""
    for position in positions:
        t = model.tensor(op.inputs[position])
        if t.type != "FLOAT32":
            raise unsupported(op, f"tensor '{t.name}' is {t.type} in a float32 layer; all its tensors must be float32")
    for t in model.op_outputs(op):
        if t.type != "FLOAT32":
            raise unsupported(op, f"output '{t.name}' is {t.type} in a float32 layer; all its tensors must be float32")
        if t.size == 0:
            raise unsupported(op, f"tensor '{t.name}' has shape {list(t.shape)}")
    for position in constants:
        t = optional_input(model, op, position)
        if t is None:
            continue
        if not t.is_constant or t.type != "FLOAT32":
            raise unsupported(op, f"tensor '{t.name}' must be a float32 constant (it is {t.type}"
                                  f"{'' if t.is_constant else ', computed at run time'})")
    float_range(op)


def _weights(sym: str, name: str, tensor, what: str) -> ConstArray:
    return ConstArray(f"{sym}_{name}", "float", tensor.data.astype(np.float32).ravel().tolist(),
                      f"{tensor.name} {list(tensor.shape)}{what}")


# CONV_2D and DEPTHWISE_CONV_2D ----------------------------------------------------------------------------

def check_conv(model: Model, op: Operator, geometry) -> None:
    require_float(model, op, constants=(1, 2))
    inp, weights = model.op_inputs(op)[:2]
    out = model.op_outputs(op)[0]
    for t in (inp, weights, out):
        dims4(op, t)
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    channels = weights.shape[3] if depthwise else weights.shape[0]
    if out.shape[0] != inp.shape[0] or out.shape[3] != channels:
        raise unsupported(op, f"output shape {list(out.shape)} does not match {inp.shape[0]} batches of "
                              f"{channels} channels")
    bias = optional_input(model, op, 2)
    if bias is not None and bias.size != channels:
        raise unsupported(op, f"bias has {bias.size} values for {channels} output channels")
    if not depthwise and inp.shape[3] % weights.shape[3]:
        raise unsupported(op, f"filter depth {weights.shape[3]} does not divide input depth {inp.shape[3]}")
    if depthwise and out.shape[3] % inp.shape[3]:
        raise unsupported(op, f"{out.shape[3]} output channels is not a multiple of {inp.shape[3]} input channels")
    geometry(model, op)


def lower_conv(model: Model, op: Operator, layer: Layer, g) -> None:
    weights = model.op_inputs(op)[1]
    bias = optional_input(model, op, 2)
    sym = layer.symbol
    layer.template = "conv2d_f32"
    layer.function = "depthwise_conv2d_f32" if g.depthwise else "conv2d_f32"
    layer.consts = [_weights(sym, "filter", weights, "")] + ([_weights(sym, "bias", bias, "")] if bias is not None else [])
    layer.macs = g.n * g.out_h * g.out_w * g.out_c * g.f_h * g.f_w * (1 if g.depthwise else weights.shape[3])
    layer.params = dict(input_dims=(g.n, g.in_h, g.in_w, g.in_c), filter_dims=tuple(weights.shape),
                        output_dims=(g.n, g.out_h, g.out_w, g.out_c), stride_h=g.stride_h, stride_w=g.stride_w,
                        dilation_h=g.dil_h, dilation_w=g.dil_w, pad_h=g.pad_h, pad_w=g.pad_w,
                        depth_multiplier=g.depth_multiplier, has_bias=bias is not None,
                        padding=op.options["padding"], **float_range(op))


# FULLY_CONNECTED ------------------------------------------------------------------------------------------

def check_fully_connected(model: Model, op: Operator) -> None:
    require_float(model, op, constants=(1, 2))
    inp, weights = model.op_inputs(op)[:2]
    if op.options.get("weights_format", 0) != 0:
        raise unsupported(op, "shuffled weights format")
    if len(weights.shape) != 2:
        raise unsupported(op, f"weights should be 2-D [out, in], are {list(weights.shape)}")
    if inp.size % weights.shape[1]:
        raise unsupported(op, f"input of {inp.size} values does not split into rows of {weights.shape[1]}")
    out = model.op_outputs(op)[0]
    units = weights.shape[0]
    expected = ((*inp.shape[:-1], units) if op.options.get("keep_num_dims") else (inp.size // weights.shape[1], units))
    if tuple(out.shape) != tuple(expected):
        raise unsupported(op, f"output shape {list(out.shape)}, TFLite computes {list(expected)}")
    bias = optional_input(model, op, 2)
    if bias is not None and bias.size != units:
        raise unsupported(op, f"bias has {bias.size} values for {units} outputs")


def lower_fully_connected(model: Model, op: Operator, layer: Layer) -> None:
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    sym = layer.symbol
    output_depth, input_depth = weights.shape
    layer.template = "fully_connected_f32"
    layer.function = "fully_connected_f32"
    layer.weight_layout = "float32 [out, in]"
    layer.choice_reason = "float32 layer"
    layer.consts = [_weights(sym, "weights", weights, "")] + ([_weights(sym, "bias", bias, "")] if bias is not None else [])
    layer.macs = inp.size * output_depth
    layer.params = dict(batches=inp.size // input_depth, input_depth=input_depth, output_depth=output_depth,
                        has_bias=bias is not None, **float_range(op))


# AVERAGE_POOL_2D and MAX_POOL_2D --------------------------------------------------------------------------

def check_pool(model: Model, op: Operator, pool_check_geometry) -> None:
    require_float(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    dims4(op, inp)
    dims4(op, out)
    pool_check_geometry(model, op)


def lower_pool(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    o = op.options
    _, pad_h = quant.conv_output_size_and_padding(o["padding"], inp.shape[1], o["filter_height"], o["stride_h"], 1)
    _, pad_w = quant.conv_output_size_and_padding(o["padding"], inp.shape[2], o["filter_width"], o["stride_w"], 1)
    layer.template = "pool2d_f32"
    layer.function = "average_pool2d_f32" if op.opcode == "AVERAGE_POOL_2D" else "max_pool2d_f32"
    layer.params = dict(input_dims=dims4(op, inp), output_dims=dims4(op, out), stride_h=o["stride_h"],
                        stride_w=o["stride_w"], filter_h=o["filter_height"], filter_w=o["filter_width"],
                        pad_h=pad_h, pad_w=pad_w, padding=o["padding"], **float_range(op))
    layer.macs = out.size * o["filter_height"] * o["filter_width"]


# ADD, SUB, MUL ----------------------------------------------------------------------------------------------

def check_arithmetic(model: Model, op: Operator) -> None:
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected 2")
    ins = model.op_inputs(op)
    for t in ins:
        if t.type != "FLOAT32":
            raise unsupported(op, f"tensor '{t.name}' is {t.type} in a float32 layer; all its tensors must be float32")
        require_dims(op, t)
    require_float(model, op)
    if all(t.is_constant for t in ins):
        raise unsupported(op, "both inputs are constants (the converter folds these)")
    out_shape = padded(model.op_outputs(op)[0].shape)
    for t in ins:
        broadcast_steps(op, t, out_shape)


def lower_arithmetic(model: Model, op: Operator, layer: Layer) -> None:
    out = model.op_outputs(op)[0]
    in1, in2 = model.op_inputs(op)
    out_shape = padded(out.shape)
    offsets = activation_offsets(model, op, layer)
    layer.template = "arithmetic_f32"
    layer.function = f"{op.opcode.lower()}_f32"
    layer.params = dict(shape=out_shape, step1=broadcast_steps(op, in1, out_shape),
                        step2=broadcast_steps(op, in2, out_shape),
                        operand1=operand(model, op, 0, offsets, layer.consts, layer.symbol, "float"),
                        operand2=operand(model, op, 1, offsets, layer.consts, layer.symbol, "float"),
                        **float_range(op))
    layer.macs = out.size


# RELU, RELU6, RELU_N1_TO_1 ----------------------------------------------------------------------------------

def check_clamp(model: Model, op: Operator) -> None:
    require_float(model, op)
    if model.op_inputs(op)[0].size != model.op_outputs(op)[0].size:
        raise unsupported(op, "input and output sizes differ")


def lower_clamp(model: Model, op: Operator, layer: Layer) -> None:
    layer.template = "clamp_f32"
    layer.function = "clamp_f32"
    layer.params = dict(count=model.op_inputs(op)[0].size, **float_range(op, op.opcode))


# SOFTMAX, LOGISTIC, TANH ------------------------------------------------------------------------------------

def check_unary(model: Model, op: Operator) -> None:
    require_float(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.size != out.size:
        raise unsupported(op, "input and output sizes differ")
    if op.opcode == "SOFTMAX" and not inp.shape:
        raise unsupported(op, "a scalar input; SOFTMAX needs at least one dimension")


def lower_unary(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    layer.template = "softmax_f32" if op.opcode == "SOFTMAX" else "activation_f32"
    layer.function = f"{op.opcode.lower()}_f32"
    layer.params = dict(count=inp.size)
    if op.opcode == "SOFTMAX":
        depth = inp.shape[-1]
        layer.params.update(rows=inp.size // depth, depth=depth, beta=c_float(op.options.get("beta", 1.0)))
