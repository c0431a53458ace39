"""REDUCE_MAX -> reduce_max_s8 / reduce_max_s16 (firmware/kernels/reduce_max.c): the largest stored value over
the reduced axes, as TFLite's reduce.cc computes it for int8 and int16 (no rescaling). The walk and its
parameters are MEAN's."""
from __future__ import annotations

import numpy as np

from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._shapes import padded, require_dims, same_quantization, strides
from codegen.compiler.ops.mean import _axes
from codegen.model.tflite_model import Model, Operator

OPCODES = ("REDUCE_MAX",)
KIND = "reduce_max"
CTYPES = {"INT8": "int8_t", "INT16": "int16_t"}


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type not in CTYPES or out.type != inp.type:
        raise unsupported(op, f"tensor '{inp.name}' is {inp.type}, output {out.type}; int8 and int16 are "
                              "implemented, input and output of one type")
    if inp.size == 0:
        raise unsupported(op, f"tensor '{inp.name}' has shape {list(inp.shape)}")
    if (inp.quantization is None) != (out.quantization is None) or (
            inp.quantization is not None and not same_quantization(inp, out)):
        raise unsupported(op, "input and output quantization differ; the maximum is taken of the stored values")
    require_dims(op, inp)
    _, axes = _axes(model, op)
    kept = [int(d) for a, d in enumerate(inp.shape) if a not in axes]
    if int(np.prod(kept, dtype=np.int64)) != out.size:
        raise unsupported(op, f"output shape {list(out.shape)} disagrees with reducing axes {axes}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    _, axes = _axes(model, op)
    in_strides = strides(inp.shape)
    kept = [a for a in range(len(inp.shape)) if a not in axes]
    reduced = sorted(axes)
    count = int(np.prod([inp.shape[a] for a in reduced], dtype=np.int64))
    layer.function = "reduce_max_s8" if inp.type == "INT8" else "reduce_max_s16"
    layer.params = dict(
        kept_shape=padded([inp.shape[a] for a in kept]), kept_step=padded([in_strides[a] for a in kept], 0),
        reduced_shape=padded([inp.shape[a] for a in reduced]),
        reduced_step=padded([in_strides[a] for a in reduced], 0),
        count=count, axes=reduced, keep_dims=bool(op.options.get("keep_dims", False)), ctype=CTYPES[inp.type])
    layer.macs = 0


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="reduce_max_s8", check=check, lower=lower)
