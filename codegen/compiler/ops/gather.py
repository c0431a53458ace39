"""GATHER -> gather (firmware/kernels/gather.c): slices of the params tensor along one axis, picked by the
indices, for int8, int16 and float32 params (the values are copied, not requantized, as TFLite copies them).

gather.cc's Prepare: batch_dims 0 here (others refused), a non-negative axis after adding the rank, int32 or
int64 indices; the output is params.shape[:axis] + indices.shape + params.shape[axis+1:]. TFLite fails at
Eval on an index outside [0, params.shape[axis]); constant indices are checked here, and indices computed at
run time must be int32 (the kernel leaves an out-of-range slice's bytes as they were: TFLite gives no output at
all for it)."""
from __future__ import annotations

from math import prod

import numpy as np

from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._shapes import same_quantization
from codegen.model.tflite_model import Model, Operator

OPCODES = ("GATHER",)
ELEMENT_BYTES = {"INT8": 1, "INT16": 2, "FLOAT32": 4}


def _axis(op: Operator, rank: int) -> int:
    axis = int(op.options.get("axis", 0))
    if not -rank <= axis < rank:
        raise unsupported(op, f"axis {axis} outside a rank-{rank} input")
    return axis % rank


def check(model: Model, op: Operator) -> None:
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected params and indices")
    params, indices = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    if params.type not in ELEMENT_BYTES or out.type != params.type:
        raise unsupported(op, f"params '{params.name}' are {params.type}, output {out.type}; int8, int16 and "
                              "float32 of one type are implemented")
    if params.quantization is not None and out.quantization is not None and not same_quantization(params, out):
        raise unsupported(op, "params and output quantization differ; the values are copied, not rescaled")
    if int(op.options.get("batch_dims", 0)) != 0:
        raise unsupported(op, f"batch_dims {op.options.get('batch_dims')}; only 0 is implemented")
    if indices.type not in ("INT32", "INT64") or (not indices.is_constant and indices.type != "INT32"):
        raise unsupported(op, f"indices '{indices.name}' are {indices.type}; constant int32/int64 or computed "
                              "int32 indices are implemented")
    if not params.shape:
        raise unsupported(op, "scalar params")
    axis = _axis(op, len(params.shape))
    want = [*params.shape[:axis], *indices.shape, *params.shape[axis + 1:]]
    if list(out.shape) != want:
        raise unsupported(op, f"output shape {list(out.shape)}, expected {want}")
    if indices.is_constant:
        bad = [int(i) for i in indices.data.ravel() if not 0 <= int(i) < params.shape[axis]]
        if bad:
            raise unsupported(op, f"index {bad[0]} outside 0..{params.shape[axis] - 1}; TFLite refuses it too")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    params, indices = model.op_inputs(op)
    axis = _axis(op, len(params.shape))
    sym = layer.symbol
    layer.params = dict(outer=prod(params.shape[:axis]), axis_size=params.shape[axis],
                        slice_bytes=prod(params.shape[axis + 1:]) * ELEMENT_BYTES[params.type],
                        count=indices.size, params_const=params.is_constant, indices_const=indices.is_constant)
    if params.is_constant:
        ctype = {"INT8": "int8_t", "INT16": "int16_t", "FLOAT32": "float"}[params.type]
        values = params.data.ravel().astype(float if ctype == "float" else int).tolist()
        layer.consts.append(ConstArray(f"{sym}_table", ctype, values, f"{params.name} {list(params.shape)}"))
    if indices.is_constant:
        layer.consts.append(ConstArray(f"{sym}_indices", "int32_t", indices.data.astype(np.int64).ravel().tolist(),
                                       f"{indices.name} {list(indices.shape)}"))
    layer.macs = 0


SPEC = OperatorSpec(opcodes=OPCODES, template="gather", function="gather", check=check, lower=lower,
                    constant_operands=True)
