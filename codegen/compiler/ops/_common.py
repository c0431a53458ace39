"""Checks and parameter helpers shared by the operator modules."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray
from codegen.model.tflite_model import Model, Operator, Tensor
from codegen.compiler.ops import unsupported

FUSED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def require_int8_activations(model: Model, op: Operator, quantized: bool = True) -> None:
    """The first input and every output are int8 (with quantization parameters when ``quantized``)."""
    tensors = [model.tensor(op.inputs[0]) if op.inputs else None, *model.op_outputs(op)]
    for t in tensors:
        if t is None or t.type != "INT8":
            raise unsupported(op, f"tensor '{t.name if t else '?'}' is {t.type if t else 'missing'}, "
                                  "only int8 activations are implemented for it")
        if quantized and t.quantization is None:
            raise unsupported(op, f"tensor '{t.name}' has no quantization parameters")
        if t.size == 0:
            raise unsupported(op, f"tensor '{t.name}' has shape {list(t.shape)}")


ACTIVATION_CTYPES = {"INT8": "int8_t", "INT16": "int16_t"}


def _require_one_type(model: Model, op: Operator, types: dict, what: str, quantized: bool) -> str:
    """The first input and every output share one of ``types``; returns it."""
    tensors = [model.tensor(op.inputs[0]) if op.inputs else None, *model.op_outputs(op)]
    kind = tensors[0].type if tensors[0] is not None else None
    for t in tensors:
        if t is None or t.type not in types or t.type != kind:
            raise unsupported(op, f"tensor '{t.name if t else '?'}' is {t.type if t else 'missing'}, "
                                  f"only {what} (one type throughout) are implemented for it")
        if quantized and t.quantization is None:
            raise unsupported(op, f"tensor '{t.name}' has no quantization parameters")
        if t.size == 0:
            raise unsupported(op, f"tensor '{t.name}' has shape {list(t.shape)}")
    return kind


def require_int8_or_int16_activations(model: Model, op: Operator, quantized: bool = True) -> str:
    """The first input and every output are int8, or all int16 (16x8 quantization); returns that type."""
    return _require_one_type(model, op, ACTIVATION_CTYPES, "int8 or int16 activations", quantized)


# Operators that move elements without arithmetic (TRANSPOSE, STRIDED_SLICE, PAD) run float32 too: their kernels
# copy whole elements, so the bits are TFLite's.
MOVED_CTYPES = {"INT8": "int8_t", "INT16": "int16_t", "FLOAT32": "float"}
MOVED_SUFFIXES = {"INT8": "s8", "INT16": "s16", "FLOAT32": "f32"}


def require_moved_activations(model: Model, op: Operator) -> str:
    """The first input and every output are int8, int16 or float32, one type throughout; returns that type."""
    return _require_one_type(model, op, MOVED_CTYPES, "int8, int16 or float32", quantized=False)


def require_weights(model: Model, op: Operator) -> None:
    """Constant int8 weights with quantization, optional constant int32 bias, a fused activation we clamp."""
    inputs = model.op_inputs(op)
    weights = inputs[1] if len(inputs) > 1 else None
    if weights is None or not weights.is_constant:
        raise unsupported(op, "weights must be constant int8")
    if weights.type != "INT8":
        raise unsupported(op, f"weights '{weights.name}' are {weights.type}, only int8 weights are implemented")
    if weights.quantization is None:
        raise unsupported(op, f"weights '{weights.name}' have no quantization parameters")
    bias = inputs[2] if len(inputs) > 2 else None
    if bias is not None and (not bias.is_constant or bias.type != "INT32"):
        raise unsupported(op, "bias must be constant int32")
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in FUSED_ACTIVATIONS:
        raise unsupported(op, f"fused activation {activation}")


def dims4(op: Operator, tensor: Tensor) -> tuple[int, int, int, int]:
    if len(tensor.shape) != 4:
        raise unsupported(op, f"tensor '{tensor.name}' should be 4-D NHWC, is {list(tensor.shape)}")
    return tuple(int(d) for d in tensor.shape)


def activation_range(op: Operator, out: Tensor) -> tuple[int, int]:
    return quant.activation_range(op.options.get("fused_activation_function", "NONE"), out.scale, out.zero_point)


def requant_consts(sym: str, multipliers: list[int], shifts: list[int]) -> list[ConstArray]:
    return [ConstArray(f"{sym}_multiplier", "int32_t", list(map(int, multipliers)), "requantization multipliers"),
            ConstArray(f"{sym}_shift", "int32_t", list(map(int, shifts)), "requantization shifts")]


def bias_const(sym: str, bias: Tensor | None) -> list[ConstArray]:
    return [] if bias is None else [ConstArray(f"{sym}_bias", "int32_t", bias.data.ravel().tolist(), bias.name)]


def optional_input(model: Model, op: Operator, position: int) -> Tensor | None:
    return model.tensor(op.inputs[position]) if len(op.inputs) > position else None


def require_bias_scale(model: Model, op: Operator) -> None:
    """Mirror GetQuantizedConvolutionMultipler (kernels/kernel_util.cc), which per-tensor FULLY_CONNECTED's
    Prepare calls: the bias scale must be within 2% of an output step of input_scale * weight_scale
    (a bias without quantization counts as scale 0)."""
    inputs = model.op_inputs(op)
    inp, weights = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    if bias is None or weights.quantization is None or weights.quantization.per_channel:
        return
    out = model.op_outputs(op)[0]
    bias_scale = float(bias.quantization.scale[0]) if bias.quantization else 0.0
    product = float(np.float32(inp.scale)) * float(np.float32(weights.scale))
    if abs(product - bias_scale) / out.scale > 0.02:
        raise unsupported(op, f"bias scale {bias_scale} is not input scale x weight scale ({product})")
