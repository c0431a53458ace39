"""MEAN -> mean_s8 (firmware/kernels/mean_s8.c).

The sum of the raw int8 values over the reduced axes, less zero point times count, is rescaled by
``s_in / (s_out * count)`` as one quantized multiplier (``quant.mean_multiplier``), as TF 2.21's
integer QuantizedMeanOrSum does.
"""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import require_int8_activations
from codegen.compiler.ops._shapes import constant_ints, padded, require_dims, strides
from codegen.compiler.ops import OperatorSpec

OPCODES = ("MEAN",)
KIND = "mean"

def _axes(model: Model, op: Operator) -> tuple[list[int], list[int]]:
    """(raw axis values as stored, resolved axes: non-negative, duplicates dropped) as ResolveAxis does."""
    rank = len(model.op_inputs(op)[0].shape)
    raw = constant_ints(model, op, 1, "the axis")
    resolved: list[int] = []
    for a in raw:
        if not -rank <= a < rank:
            raise unsupported(op, f"axis {a} for a {rank}-D input")
        a = a + rank if a < 0 else a
        if a not in resolved:
            resolved.append(a)
    return raw, resolved


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type == "INT16":
        for t in (inp, out):
            if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
                raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
    else:
        require_int8_activations(model, op)
    require_dims(op, inp)
    _, axes = _axes(model, op)
    kept = [int(d) for a, d in enumerate(inp.shape) if a not in axes]
    if int(np.prod(kept, dtype=np.int64)) != out.size:
        raise unsupported(op, f"output shape {list(out.shape)} disagrees with reducing axes {axes}")
    count = int(np.prod([inp.shape[a] for a in axes], dtype=np.int64))
    largest = 32768 if inp.type == "INT16" else 128
    if count == 0 or count * largest >= 2 ** 31:
        raise unsupported(op, f"mean over {count} values; the int32 sum needs 1 to {2 ** 31 // largest - 1}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    _, axes = _axes(model, op)
    in_strides = strides(inp.shape)
    kept = [a for a in range(len(inp.shape)) if a not in axes]
    reduced = sorted(axes)
    count = int(np.prod([inp.shape[a] for a in reduced], dtype=np.int64))
    multiplier, shift = quant.mean_multiplier(inp.scale, out.scale, count)
    if inp.type == "INT16":
        layer.function = "mean_s16"
    layer.params = dict(
        ctype="int16_t" if inp.type == "INT16" else "int8_t", kept_shape=padded([inp.shape[a] for a in kept]), kept_step=padded([in_strides[a] for a in kept], 0),
        reduced_shape=padded([inp.shape[a] for a in reduced]),
        reduced_step=padded([in_strides[a] for a in reduced], 0),
        count=count, input_zero_point=inp.zero_point,
        output_zero_point=out.zero_point, multiplier=multiplier, shift=shift,
        axes=reduced,
        keep_dims=bool(op.options.get("keep_dims", False)))
    layer.macs = inp.size


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='mean_s8', check=check, lower=lower)
