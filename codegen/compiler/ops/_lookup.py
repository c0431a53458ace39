"""Elementwise int8 operators as 256-entry tables: codegen evaluates TFLite's arithmetic for every int8
input once (``codegen/compiler/fixedpoint.py``) and the firmware looks each value up (``lookup_s8``).

An elementwise int8 operator is a function of one byte, so a table holds its exact answer for every input;
the interpreter itself runs LOGISTIC and TANH this way (activations.cc, PopulateLookupTable).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from codegen.compiler.fixedpoint import round_half_away
from codegen.compiler.layer import ConstArray, Layer, MemoryNeeds
from codegen.model.tflite_model import Model, Operator, Tensor
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import require_int8_activations

KIND = "lookup"
INT8_VALUES = range(-128, 128)


def memory(model: Model, op: Operator) -> MemoryNeeds:
    """Output i depends on input i alone and both have one element size (lookup_s8, and the int16
    LOGISTIC/TANH kernels), so the output may overwrite the input."""
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    return MemoryNeeds(in_place_scratch=0) if inp.nbytes == out.nbytes else MemoryNeeds()


def check_elementwise(model: Model, op: Operator) -> None:
    require_int8_activations(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.size != out.size:
        raise unsupported(op, f"{inp.size} values in, {out.size} out")


def float_table(inp: Tensor, out: Tensor, transform: Callable[[np.float32], np.float32]) -> list[int]:
    """tflite::ops::builtin::activations::PopulateLookupTable<int8_t>, float32 arithmetic throughout."""
    inverse_scale = np.float32(1) / np.float32(out.scale)
    table = []
    for value in INT8_VALUES:
        dequantized = np.float32(inp.scale) * np.float32(value - inp.zero_point)
        rescaled = round_half_away(float(np.float32(transform(dequantized) * inverse_scale)))
        table.append(min(127, max(-128, rescaled + out.zero_point)))
    return table


def lower_table(model: Model, op: Operator, layer: Layer, table: list[int], how: str) -> None:
    """``table[v + 128]`` is the output for input byte ``v``; ``how`` says where the numbers came from."""
    inp = model.op_inputs(op)[0]
    layer.consts = [ConstArray(f"{layer.symbol}_table", "int8_t", table,
                               f"output for input -128..127: {how}")]
    layer.params = dict(count=inp.size)


def check_elementwise_s16(model: Model, op: Operator) -> None:
    """16x8 elementwise: int16 in and out, zero points 0 (elementwise.cc / exp.cc Prepare)."""
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    for t in (inp, out):
        if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
            raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
    if inp.size != out.size:
        raise unsupported(op, f"{inp.size} values in, {out.size} out")


def lower_table_s16(model: Model, op: Operator, layer: Layer, transform, how: str) -> None:
    """TFLite's LUTPopulate<int16_t> of ``transform`` (float32 in and out) and LUTLookup on the device."""
    from codegen.compiler.fixedpoint import lut_populate_int16
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    table = lut_populate_int16(np.float32(inp.scale), inp.zero_point, np.float32(out.scale), out.zero_point,
                               transform)
    layer.consts = [ConstArray(f"{layer.symbol}_table", "int16_t", table, f"513 points of {how}")]
    layer.template = "lookup_s16"
    layer.function = "lookup_s16"
    layer.params = dict(count=inp.size)
