"""Lower a ``Model`` to kernel calls with precomputed parameters and a memory plan.

The result, ``CompiledModel``, is everything the ``model.c.j2`` template needs:
for every operator the kernel to call, its parameter values, the constant
arrays it reads (weights, bias, requantization tables) and the arena offsets
of its input and output. All arithmetic on quantization parameters happens
here, in Python, with ``codegen.quant`` mirroring TFLite's Prepare functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import quant
from .errors import TinyforgeError
from .planner import Buffer, Plan, plan_memory
from .tflite_model import Model, Operator, Tensor

ARENA_ALIGNMENT = 16

# Operators that only reinterpret the shape of their input: the output aliases
# the input's bytes, so they cost neither RAM nor instructions.
ALIAS_OPS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}

# int8 SOFTMAX keeps the sum of exponentials below 2^28 only for fewer than 512 values.
SOFTMAX_MAX_DEPTH = 512

SUPPORTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", *sorted(ALIAS_OPS))


@dataclass
class ConstArray:
    name: str
    ctype: str
    values: list[int]
    comment: str = ""

    @property
    def nbytes(self) -> int:
        return len(self.values) * {"int8_t": 1, "int16_t": 2, "int32_t": 4}[self.ctype]


@dataclass
class Layer:
    index: int                 # operator index in the model's graph
    opcode: str
    kind: str                  # "conv2d", "depthwise_conv2d", "fully_connected", "softmax", "alias"
    symbol: str                # C identifier prefix for this layer's constants
    inputs: list[str]          # tensor names, for comments
    output: str
    input_offset: int          # arena offsets of the activation input and output
    output_offset: int
    output_bytes: int
    input_shape: tuple
    output_shape: tuple
    macs: int = 0
    consts: list[ConstArray] = field(default_factory=list)
    params: dict = field(default_factory=dict)


@dataclass
class IoTensor:
    name: str
    shape: tuple
    nbytes: int
    offset: int
    scale: float
    zero_point: int


@dataclass
class CompiledModel:
    model: Model
    layers: list[Layer]
    plan: Plan
    buffers: list[Buffer]
    inputs: list[IoTensor]
    outputs: list[IoTensor]

    @property
    def arena_size(self) -> int:
        return self.plan.arena_size

    @property
    def weight_bytes(self) -> int:
        return sum(c.nbytes for layer in self.layers for c in layer.consts)


def c_identifier(text: str) -> str:
    ident = re.sub(r"[^0-9A-Za-z_]", "_", text)
    return ident if ident and not ident[0].isdigit() else f"_{ident}"


class _Unsupported(TinyforgeError):
    pass


def _unsupported(op: Operator, why: str) -> _Unsupported:
    return _Unsupported(
        f"operator {op.index} ({op.opcode}) is not supported: {why}. "
        f"Supported: {', '.join(SUPPORTED_OPS)} with int8 activations")


def check_supported(model: Model, op: Operator) -> None:
    """Raise a one-line TinyforgeError when codegen cannot lower ``op``."""
    if op.opcode not in SUPPORTED_OPS:
        raise _unsupported(op, "no kernel for this operator")
    outputs = model.op_outputs(op)
    inputs = model.op_inputs(op)
    if len(outputs) != 1:
        raise _unsupported(op, f"{len(outputs)} outputs")
    for t in [inputs[0], outputs[0]]:
        if t is None or t.type != "INT8":
            raise _unsupported(op, f"tensor '{t.name if t else '?'}' is {t.type if t else 'missing'}, "
                                   "only int8 activations are implemented")
        if op.opcode not in ALIAS_OPS and t.quantization is None:
            raise _unsupported(op, f"tensor '{t.name}' has no quantization parameters")
    if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        weights = inputs[1]
        if weights is None or not weights.is_constant or weights.type != "INT8":
            raise _unsupported(op, "weights must be constant int8")
        if weights.quantization is None:
            raise _unsupported(op, f"weights '{weights.name}' have no quantization parameters")
        bias = inputs[2] if len(inputs) > 2 else None
        if bias is not None and (not bias.is_constant or bias.type != "INT32"):
            raise _unsupported(op, "bias must be constant int32")
        if op.options.get("fused_activation_function", "NONE") not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise _unsupported(op, f"fused activation {op.options['fused_activation_function']}")
    if op.opcode == "FULLY_CONNECTED" and op.options.get("weights_format", 0) != 0:
        raise _unsupported(op, "shuffled weights format")
    for t in outputs:
        if t.size == 0:
            raise _unsupported(op, f"output '{t.name}' has shape {list(t.shape)}")


def _dims4(shape: tuple) -> tuple[int, int, int, int]:
    if len(shape) != 4:
        raise TinyforgeError(f"expected a 4-D NHWC shape, got {list(shape)}")
    return tuple(int(d) for d in shape)


def _activation(op: Operator, out: Tensor) -> tuple[int, int]:
    return quant.activation_range(op.options.get("fused_activation_function", "NONE"), out.scale, out.zero_point)


def _requant_consts(sym: str, multipliers: list[int], shifts: list[int]) -> list[ConstArray]:
    return [ConstArray(f"{sym}_multiplier", "int32_t", list(map(int, multipliers)), "requantization multipliers"),
            ConstArray(f"{sym}_shift", "int32_t", list(map(int, shifts)), "requantization shifts")]


def _bias_const(sym: str, bias: Tensor | None) -> list[ConstArray]:
    return [] if bias is None else [ConstArray(f"{sym}_bias", "int32_t", bias.data.ravel().tolist(), bias.name)]


def _lower_conv(model: Model, op: Operator, layer: Layer) -> None:
    inp, weights = model.op_inputs(op)[:2]
    bias = model.op_inputs(op)[2] if len(op.inputs) > 2 else None
    out = model.op_outputs(op)[0]
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    n, in_h, in_w, in_c = _dims4(inp.shape)
    _, f_h, f_w, f_c = _dims4(weights.shape)
    _, out_h, out_w, out_c = _dims4(out.shape)
    o = op.options
    stride_h, stride_w = o["stride_h"], o["stride_w"]
    dil_h, dil_w = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    exp_h, pad_h = quant.conv_output_size_and_padding(o["padding"], in_h, f_h, stride_h, dil_h)
    exp_w, pad_w = quant.conv_output_size_and_padding(o["padding"], in_w, f_w, stride_w, dil_w)
    if (exp_h, exp_w) != (out_h, out_w):
        raise _unsupported(op, f"output shape {list(out.shape)} disagrees with padding {o['padding']} "
                               f"(expected {exp_h}x{exp_w})")
    if depthwise:
        if out_c % in_c:
            raise _unsupported(op, f"{out_c} output channels is not a multiple of {in_c} input channels")
        depth_multiplier = out_c // in_c
        layer.macs = out_h * out_w * out_c * f_h * f_w * n
    else:
        if f_c != in_c:
            raise _unsupported(op, f"filter depth {f_c} differs from input depth {in_c} (grouped convolution)")
        depth_multiplier = 1
        layer.macs = out_h * out_w * out_c * f_h * f_w * in_c * n
    multipliers, shifts = quant.conv_requant(inp.scale, weights.quantization.scale.tolist(), out.scale)
    act_min, act_max = _activation(op, out)
    sym = layer.symbol
    layer.consts = [ConstArray(f"{sym}_filter", "int8_t", weights.data.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)}"),
                    *_bias_const(sym, bias), *_requant_consts(sym, multipliers, shifts)]
    layer.params = dict(
        input_dims=(n, in_h, in_w, in_c), filter_dims=(weights.shape[0], f_h, f_w, f_c),
        output_dims=(n, out_h, out_w, out_c),
        input_offset=-inp.zero_point, output_offset=out.zero_point,
        stride_h=stride_h, stride_w=stride_w, dilation_h=dil_h, dilation_w=dil_w, pad_h=pad_h, pad_w=pad_w,
        depth_multiplier=depth_multiplier, act_min=act_min, act_max=act_max,
        per_channel=int(len(multipliers) > 1), has_bias=bias is not None,
        padding=o["padding"], activation=o.get("fused_activation_function", "NONE"))


def _lower_fully_connected(model: Model, op: Operator, layer: Layer) -> None:
    inp, weights = model.op_inputs(op)[:2]
    bias = model.op_inputs(op)[2] if len(op.inputs) > 2 else None
    out = model.op_outputs(op)[0]
    output_depth, input_depth = weights.shape
    if inp.size % input_depth:
        raise _unsupported(op, f"input of {inp.size} values does not split into rows of {input_depth}")
    batches = inp.size // input_depth
    multipliers, shifts = quant.fully_connected_requant(inp.scale, weights.quantization.scale.tolist(), out.scale)
    act_min, act_max = _activation(op, out)
    sym = layer.symbol
    layer.macs = batches * input_depth * output_depth
    layer.consts = [ConstArray(f"{sym}_weights", "int8_t", weights.data.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)}"),
                    *_bias_const(sym, bias), *_requant_consts(sym, multipliers, shifts)]
    layer.params = dict(
        batches=batches, input_depth=input_depth, output_depth=output_depth,
        input_offset=-inp.zero_point, filter_offset=-int(weights.quantization.zero_point[0]),
        output_offset=out.zero_point, act_min=act_min, act_max=act_max,
        per_channel=int(len(multipliers) > 1), has_bias=bias is not None,
        activation=op.options.get("fused_activation_function", "NONE"))


def _lower_softmax(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    out = model.op_outputs(op)[0]
    if out.zero_point != -128 or abs(out.scale - 1.0 / 256) > 1e-9:
        raise _unsupported(op, f"int8 softmax output must have scale 1/256 and zero point -128, "
                               f"has {out.scale} and {out.zero_point}")
    depth = inp.shape[-1]
    if depth >= SOFTMAX_MAX_DEPTH:
        raise _unsupported(op, f"softmax over {depth} values; at most {SOFTMAX_MAX_DEPTH - 1} (beyond that TFLite's "
                               "own int8 reference kernel shifts by 32 or more and has no defined result)")
    multiplier, left_shift, diff_min = quant.softmax_params(op.options.get("beta", 1.0), inp.scale)
    layer.params = dict(rows=inp.size // depth, depth=depth, input_multiplier=multiplier,
                        input_left_shift=left_shift, diff_min=diff_min, beta=op.options.get("beta", 1.0))


_LOWERINGS = {
    "CONV_2D": ("conv2d", _lower_conv),
    "DEPTHWISE_CONV_2D": ("depthwise_conv2d", _lower_conv),
    "FULLY_CONNECTED": ("fully_connected", _lower_fully_connected),
    "SOFTMAX": ("softmax", _lower_softmax),
}


def _plan(model: Model) -> tuple[Plan, list[Buffer], dict[int, str]]:
    """Give every activation tensor a buffer; alias ops share their input's buffer."""
    buffer_of: dict[int, str] = {}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    size: dict[str, int] = {}

    def touch(name: str, step: int) -> None:
        first[name] = min(first.get(name, step), step)
        last[name] = max(last.get(name, step), step)

    for t in model.inputs:
        name = buffer_of.setdefault(t, c_identifier(model.tensors[t].name))
        size[name] = model.tensors[t].nbytes
        touch(name, -1)
    for op in model.operators:
        for t in op.inputs:
            if t >= 0 and not model.tensors[t].is_constant and t in buffer_of:
                touch(buffer_of[t], op.index)
        for t in op.outputs:
            if op.opcode in ALIAS_OPS and op.inputs[0] in buffer_of:
                buffer_of[t] = buffer_of[op.inputs[0]]
            else:
                name = c_identifier(model.tensors[t].name)
                while name in size:
                    name += "_"
                buffer_of[t] = name
                size[name] = model.tensors[t].nbytes
            touch(buffer_of[t], op.index)
    end = len(model.operators)
    for t in model.outputs:
        touch(buffer_of[t], end)
    buffers = [Buffer(name, size[name], first[name], last[name]) for name in size]
    return plan_memory(buffers, ARENA_ALIGNMENT), buffers, buffer_of


def _io(model: Model, index: int, plan: Plan, buffer_of: dict[int, str]) -> IoTensor:
    t = model.tensors[index]
    q = t.quantization
    return IoTensor(name=t.name, shape=t.shape, nbytes=t.nbytes, offset=plan.offsets[buffer_of[index]],
                    scale=float(q.scale[0]) if q else 0.0, zero_point=int(q.zero_point[0]) if q else 0)


def compile_model(model: Model) -> CompiledModel:
    if model.subgraph_count != 1:
        raise TinyforgeError(f"{model.path}: {model.subgraph_count} subgraphs; only single-subgraph models "
                             "are supported (control flow such as WHILE/IF is not)")
    for op in model.operators:
        check_supported(model, op)
    for t in model.inputs + model.outputs:
        if model.tensors[t].type != "INT8":
            raise TinyforgeError(f"{model.path}: model input/output '{model.tensors[t].name}' is "
                                 f"{model.tensors[t].type}; only int8 inputs and outputs are supported")
    plan, buffers, buffer_of = _plan(model)
    layers = []
    for op in model.operators:
        inp = model.op_inputs(op)[0]
        out = model.op_outputs(op)[0]
        kind, lower = _LOWERINGS.get(op.opcode, ("alias", None))
        layer = Layer(index=op.index, opcode=op.opcode, kind=kind, symbol=f"op{op.index}_{kind}",
                      inputs=[t.name for t in model.op_inputs(op) if t is not None and not t.is_constant],
                      output=out.name,
                      input_offset=plan.offsets[buffer_of[op.inputs[0]]],
                      output_offset=plan.offsets[buffer_of[op.outputs[0]]],
                      output_bytes=out.nbytes, input_shape=inp.shape, output_shape=out.shape)
        if lower is not None:
            lower(model, op, layer)
        layers.append(layer)
    return CompiledModel(model=model, layers=layers, plan=plan, buffers=buffers,
                         inputs=[_io(model, t, plan, buffer_of) for t in model.inputs],
                         outputs=[_io(model, t, plan, buffer_of) for t in model.outputs])
