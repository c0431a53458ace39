"""FULLY_CONNECTED with int16 activations and int8 weights (16x8) -> fully_connected_s16.

Reached through ``fully_connected.py`` (one module per opcode) when the input is int16. The multipliers
come from the same Prepare arithmetic as the int8 operator; the activation clamp is
CalculateActivationRangeQuantized in the int16 domain.
"""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import FUSED_ACTIVATIONS, optional_input, requant_consts

KIND = "fully_connected_s16"
INT16_MIN, INT16_MAX = -32768, 32767


def check(model: Model, op: Operator) -> None:
    inputs = model.op_inputs(op)
    inp, weights, out = inputs[0], inputs[1] if len(inputs) > 1 else None, model.op_outputs(op)[0]
    for t in (inp, out):
        if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
            raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
    if weights is None or not weights.is_constant or weights.type != "INT8" or weights.quantization is None:
        raise unsupported(op, "weights must be constant int8 with quantization")
    if len(weights.shape) != 2 or inp.size % weights.shape[1]:
        raise unsupported(op, f"weights {list(weights.shape)} do not fit input {list(inp.shape)}")
    bias = optional_input(model, op, 2)
    if bias is not None and (not bias.is_constant or bias.type not in ("INT64", "INT32")):
        raise unsupported(op, "bias must be constant int64 (or int32)")
    if op.options.get("fused_activation_function", "NONE") not in FUSED_ACTIVATIONS:
        raise unsupported(op, f"fused activation {op.options.get('fused_activation_function')}")
    if op.options.get("weights_format", 0) != 0:
        raise unsupported(op, "shuffled weights format")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, weights = model.op_inputs(op)[:2]
    bias = optional_input(model, op, 2)
    out = model.op_outputs(op)[0]
    output_depth, input_depth = weights.shape
    batches = inp.size // input_depth
    multipliers, shifts = quant.fully_connected_requant(inp.scale, weights.quantization.scale.tolist(), out.scale)
    activation = op.options.get("fused_activation_function", "NONE")
    act_min, act_max = quant.activation_range(activation, out.scale, 0, INT16_MIN, INT16_MAX)
    sym = layer.symbol
    layer.macs = batches * input_depth * output_depth
    layer.consts = [ConstArray(f"{sym}_weights", "int8_t", weights.data.ravel().tolist(),
                               f"{weights.name} {list(weights.shape)}"),
                    *([] if bias is None else [ConstArray(f"{sym}_bias", "int64_t", bias.data.ravel().tolist(),
                                                          bias.name)]),
                    *requant_consts(sym, multipliers, shifts)]
    layer.params = dict(batches=batches, input_depth=input_depth, output_depth=output_depth,
                        filter_offset=-int(weights.quantization.zero_point[0]), act_min=act_min, act_max=act_max,
                        per_channel=int(len(multipliers) > 1), has_bias=bias is not None, activation=activation)
