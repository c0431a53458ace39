"""BATCH_MATMUL -> batch_matmul_s8 (firmware/kernels/batch_matmul_s8.c), int8, or batch_matmul_s16, 16x8 (int16
operands with zero points 0, summed in int64): out[b] = lhs[b] x rhs[b] with TFLite's batch broadcasting (up to
3 batch dimensions, a dimension of 1 repeated) and adj_x / adj_y.

batch_matmul.cc: each operand is offset by its zero point, the products sum in int32 (integer sums do not
depend on the order, so the transposes TFLite makes first change nothing here), the sum is rescaled by
lhs scale x rhs scale / output scale (MultiplyByQuantizedMultiplier) and clamped to int8. Constant operands
stay in flash."""
from __future__ import annotations

import numpy as np

from codegen.compiler import quant
from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._shapes import activation_offsets, operand
from codegen.model.tflite_model import Model, Operator

OPCODES = ("BATCH_MATMUL",)


def _geometry(model: Model, op: Operator) -> dict:
    lhs, rhs = model.op_inputs(op)
    if not 2 <= len(lhs.shape) <= 5 or not 2 <= len(rhs.shape) <= 5:
        raise unsupported(op, f"operands of rank {len(lhs.shape)} and {len(rhs.shape)}; TFLite takes 2 to 5")
    adj_x, adj_y = bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))
    rows, depth = (lhs.shape[-1], lhs.shape[-2]) if adj_x else (lhs.shape[-2], lhs.shape[-1])
    rhs_depth, cols = (rhs.shape[-1], rhs.shape[-2]) if adj_y else (rhs.shape[-2], rhs.shape[-1])
    if depth != rhs_depth:
        raise unsupported(op, f"lhs {list(lhs.shape)} and rhs {list(rhs.shape)} do not share the summed dimension")
    # the batch dimensions, padded to TFLite's three (its shapes are extended to 5-D)
    lb = ([1] * (5 - len(lhs.shape)) + list(lhs.shape[:-2]))[-3:]
    rb = ([1] * (5 - len(rhs.shape)) + list(rhs.shape[:-2]))[-3:]
    batch = []
    for a, b in zip(lb, rb):
        if a != b and 1 not in (a, b):
            raise unsupported(op, f"batch dimensions {list(lhs.shape[:-2])} and {list(rhs.shape[:-2])} do not broadcast")
        batch.append(max(a, b))

    def steps(dims, matrix):
        out, stride = [], matrix
        for d in reversed(dims):
            out.append(0 if d == 1 else stride)
            stride *= d
        return list(reversed(out))
    return dict(batch=batch, lhs_step=steps(lb, rows * depth), rhs_step=steps(rb, depth * cols), rows=rows,
                cols=cols, depth=depth, adj_x=int(adj_x), adj_y=int(adj_y))


def check(model: Model, op: Operator) -> None:
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected 2")
    lhs, rhs = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    kind = lhs.type if lhs.type in ("INT8", "INT16") else "INT8"
    for t in (lhs, rhs, out):
        if t.type != kind or t.quantization is None or t.quantization.per_channel:
            # batch_matmul.cc's Prepare: both operands of one type (besides its float x int8 hybrid)
            raise unsupported(op, f"tensor '{t.name}' is {t.type}; per-tensor int8, or int16 throughout, is "
                                  "implemented")
    if lhs.is_constant and rhs.is_constant:
        raise unsupported(op, "both inputs are constants (the converter folds these)")
    g = _geometry(model, op)
    if out.size != int(np.prod(g["batch"])) * g["rows"] * g["cols"] or list(out.shape[-2:]) != [g["rows"], g["cols"]]:
        raise unsupported(op, f"output shape {list(out.shape)}, expected batches {g['batch']} of "
                              f"{g['rows']}x{g['cols']}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    lhs, rhs = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    g = _geometry(model, op)
    offsets = activation_offsets(model, op, layer)
    multiplier, shift = quant.quantize_multiplier(float(np.float32(lhs.scale) * np.float32(rhs.scale) /
                                                        np.float32(out.scale)))
    ctype = "int16_t" if lhs.type == "INT16" else "int8_t"
    layer.function = "batch_matmul_s16" if lhs.type == "INT16" else "batch_matmul_s8"
    layer.params = dict(g, lhs_offset=-lhs.zero_point, rhs_offset=-rhs.zero_point, output_offset=out.zero_point,
                        multiplier=multiplier, shift=shift, ctype=ctype,
                        operand1=operand(model, op, 0, offsets, layer.consts, layer.symbol, ctype),
                        operand2=operand(model, op, 1, offsets, layer.consts, layer.symbol, ctype))
    layer.macs = int(np.prod(g["batch"])) * g["rows"] * g["cols"] * g["depth"]


SPEC = OperatorSpec(opcodes=OPCODES, template="batch_matmul", function="batch_matmul_s8", check=check, lower=lower,
                    constant_operands=True)
