"""FULLY_CONNECTED -> fully_connected_s8 (firmware/kernels/fully_connected_s8.c), or with symmetric weights
fully_connected_fast_s8, whose filter is stored in blocks of four rows (layouts/row_blocks.py)."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.layouts import row_blocks
from codegen.compiler.select import select_fully_connected
from codegen.model.tflite_model import Model, Operator, Tensor
from codegen.compiler.ops import _float, _fully_connected_s16, unsupported
from codegen.compiler.ops._common import (activation_range, require_bias_scale, bias_const, optional_input, require_int8_activations, require_weights,
                      requant_consts)
from codegen.compiler.ops import OperatorSpec

OPCODES = ("FULLY_CONNECTED",)
KIND = "fully_connected"


def check(model: Model, op: Operator) -> None:
    if _float.is_float(model, op):
        return _float.check_fully_connected(model, op)
    if model.op_inputs(op)[0].type == "INT16":
        return _fully_connected_s16.check(model, op)
    require_int8_activations(model, op)
    require_weights(model, op)
    if op.options.get("weights_format", 0) != 0:
        raise unsupported(op, "shuffled weights format")
    inp, weights = model.op_inputs(op)[:2]
    if len(weights.shape) != 2:
        raise unsupported(op, f"weights should be 2-D [out, in], are {list(weights.shape)}")
    if inp.size % weights.shape[1]:
        raise unsupported(op, f"input of {inp.size} values does not split into rows of {weights.shape[1]}")
    # fully_connected.cc Prepare resizes the output to [batches, units] (or the input's leading dimensions
    # with keep_num_dims); the firmware trusts the declared shape, so it must be that one.
    out = model.op_outputs(op)[0]
    units = weights.shape[0]
    expected = ((*inp.shape[:-1], units) if op.options.get("keep_num_dims") else (inp.size // weights.shape[1], units))
    if tuple(out.shape) != tuple(expected):
        raise unsupported(op, f"output shape {list(out.shape)}, TFLite computes {list(expected)}")
    require_bias_scale(model, op)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, weights = model.op_inputs(op)[:2]
    if inp.type == "FLOAT32":
        return _float.lower_fully_connected(model, op, layer)
    layer.apply(select_fully_connected(inp.type, int(weights.quantization.zero_point[0])))
    if inp.type == "INT16":
        return _fully_connected_s16.lower(model, op, layer)
    bias = optional_input(model, op, 2)
    out = model.op_outputs(op)[0]
    output_depth, input_depth = weights.shape
    # TFLite flattens every leading dimension into batches, whatever keep_num_dims says about the output shape.
    batches = inp.size // input_depth
    multipliers, shifts = quant.fully_connected_requant(inp.scale, weights.quantization.scale.tolist(), out.scale)
    act_min, act_max = activation_range(op, out)
    sym = layer.symbol
    layer.macs = batches * input_depth * output_depth
    input_offset = -inp.zero_point
    biases = bias_const(sym, bias)
    folded = _folded_bias(weights, bias, input_offset) if layer.function == "fully_connected_fast_s8" else None
    if folded is not None:
        # sum w * (x + offset) + bias = sum w * x + (bias + offset * row sum): the tuned kernel reads raw inputs
        biases = [ConstArray(f"{sym}_bias", "int32_t", folded,
                             f"{bias.name if bias is not None else 'no bias'} + input offset {input_offset} "
                             "x weight row sums")]
        input_offset = 0
    stored = row_blocks.interleave(weights.data) if layer.function == "fully_connected_fast_s8" else weights.data
    layer.consts = [ConstArray(f"{sym}_weights", "int8_t", stored.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)}, {layer.weight_layout}"),
                    *biases, *requant_consts(sym, multipliers, shifts)]
    layer.params = dict(
        batches=batches, input_depth=input_depth, output_depth=output_depth,
        input_offset=input_offset, filter_offset=-int(weights.quantization.zero_point[0]),
        output_offset=out.zero_point, act_min=act_min, act_max=act_max,
        per_channel=int(len(multipliers) > 1), has_bias=bool(biases),
        activation=op.options.get("fused_activation_function", "NONE"))


INT32 = (-(1 << 31), (1 << 31) - 1)


def _folded_bias(weights: Tensor, bias: Tensor | None, input_offset: int) -> list[int] | None:
    """bias + input_offset * row sums per output, or None when there is nothing to fold or a value leaves
    int32 (the kernel then adds the offset itself)."""
    if input_offset == 0:
        return None
    folded = input_offset * weights.data.astype(np.int64).sum(axis=1)
    if bias is not None:
        folded = folded + bias.data.astype(np.int64).ravel()
    if folded.min(initial=0) < INT32[0] or folded.max(initial=0) > INT32[1]:
        return None
    return folded.tolist()


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='fully_connected_s8', check=check, lower=lower)
