"""Pass 0, fold: shape arithmetic evaluated at compile time.

Shapes are static in a ``.tflite`` a microcontroller runs, so SHAPE is a constant, and so is every integer
operator that only reads constants: Keras' ``Reshape`` with a batch of -1, for example, becomes SHAPE ->
STRIDED_SLICE -> PACK -> RESHAPE, which folds to a RESHAPE with a constant shape. Each folded operator's
outputs become constant tensors and the operator disappears from the model the later passes see; nothing of
it reaches the firmware.

Only int32/int64 operators are folded (plus SHAPE, whose input may be anything): their arithmetic is plain
integer arithmetic, so numpy gives TFLite's numbers. A quantized operator with constant inputs is the
converter's to fold, and stays for the operator checks to refuse. An operator whose output is a model output
is not folded either: the firmware must write it.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from codegen.compiler.ops import Unsupported, unsupported
from codegen.model.tflite_model import NUMPY_TYPES, Model, Operator, Tensor

INTEGER_TYPES = ("INT32", "INT64")


def _axis(op: Operator, rank: int, key: str = "axis") -> int:
    axis = int(op.options.get(key, 0))
    if not -rank <= axis < rank:
        raise unsupported(op, f"axis {axis} outside a rank-{rank} tensor")
    return axis % rank


def _shape(model, op, values):
    return np.array(model.tensor(op.inputs[0]).shape, np.int64)


def _strided_slice(model, op, values):
    from codegen.compiler.ops.strided_slice import resolve
    axes = resolve(model, op)
    data = values[0]
    for axis, (start, step, count, _) in enumerate(axes):
        if count and not (0 <= start < data.shape[axis] and 0 <= start + (count - 1) * step < data.shape[axis]):
            raise unsupported(op, f"the slice reaches outside axis {axis} of the {list(data.shape)} input")
    picked = values[0][np.ix_(*[[start + i * step for i in range(count)] for start, step, count, _ in axes])]
    return picked.reshape([count for _, _, count, shrunk in axes if not shrunk])


def _pack(model, op, values):
    return np.stack(values, axis=_axis(op, values[0].ndim + 1))


def _concatenation(model, op, values):
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise unsupported(op, "a fused activation on integer shape arithmetic")
    return np.concatenate(values, axis=_axis(op, values[0].ndim))


def _gather(model, op, values):
    if int(op.options.get("batch_dims", 0)) != 0:
        raise unsupported(op, "batch_dims other than 0")
    params, indices = values
    axis = _axis(op, params.ndim)
    if np.any(indices < 0) or np.any(indices >= params.shape[axis]):
        raise unsupported(op, f"an index outside 0..{params.shape[axis] - 1}")   # TFLite refuses it too
    return np.take(params, indices, axis=axis)


def _arithmetic(model, op, values):
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise unsupported(op, "a fused activation on integer shape arithmetic")
    a, b = (v.astype(np.int64) for v in values)
    if op.opcode in ("DIV", "FLOOR_DIV", "FLOOR_MOD") and np.any(b == 0):
        raise unsupported(op, "a division by zero")
    if op.opcode == "ADD":
        return a + b
    if op.opcode == "SUB":
        return a - b
    if op.opcode == "MUL":
        return a * b
    if op.opcode == "DIV":                      # C integer division truncates toward zero
        return np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))
    if op.opcode == "FLOOR_DIV":
        return a // b
    return a % b                                # FLOOR_MOD: the sign of the divisor, as Python's


def _reduce(model, op, values):
    data, axes = values
    rank = data.ndim
    axes = tuple(sorted({int(a) % rank for a in np.ravel(axes)}))
    reduce = np.prod if op.opcode == "REDUCE_PROD" else np.sum
    return reduce(data.astype(np.int64), axis=axes, keepdims=bool(op.options.get("keep_dims", False)))


def _reshaped(model, op, values):
    return values[0].reshape(model.op_outputs(op)[0].shape)


def _cast(model, op, values):
    return values[0]


def _fill(model, op, values):
    dims, value = values
    return np.full([int(d) for d in dims.ravel()], value.ravel()[0])


FOLDERS = {
    "SHAPE": _shape, "STRIDED_SLICE": _strided_slice, "PACK": _pack, "CONCATENATION": _concatenation,
    "GATHER": _gather, "ADD": _arithmetic, "SUB": _arithmetic, "MUL": _arithmetic, "DIV": _arithmetic,
    "FLOOR_DIV": _arithmetic, "FLOOR_MOD": _arithmetic, "REDUCE_PROD": _reduce, "SUM": _reduce,
    "RESHAPE": _reshaped, "SQUEEZE": _reshaped, "EXPAND_DIMS": _reshaped, "CAST": _cast, "FILL": _fill,
}


def _foldable(model: Model, op: Operator, outputs: set[int]) -> bool:
    if op.opcode not in FOLDERS or any(t in outputs for t in op.outputs):
        return False
    if any(model.tensors[t].type not in INTEGER_TYPES for t in op.outputs):
        return False
    if op.opcode == "SHAPE":
        return True
    ins = [model.tensors[t] for t in op.inputs if t >= 0]
    return bool(ins) and all(t.is_constant and not t.is_variable and t.type in INTEGER_TYPES for t in ins)


def fold_constants(model: Model) -> Model:
    """The model with its foldable operators evaluated; ``model.folded`` lists them (as they were)."""
    tensors = list(model.tensors)
    folded_model = dataclasses.replace(model, tensors=tensors, operators=[])
    outputs = set(model.outputs)
    folded = []
    for op in model.operators:
        if not _foldable(folded_model, op, outputs):
            folded_model.operators.append(op)
            continue
        values = [tensors[t].data for t in op.inputs if t >= 0 and op.opcode != "SHAPE"]
        out = tensors[op.outputs[0]]
        try:
            value = FOLDERS[op.opcode](folded_model, op, values)
        except Unsupported:
            raise
        except (ValueError, IndexError) as error:
            raise unsupported(op, f"its constant inputs cannot be evaluated ({error})") from None
        value = np.asarray(value).astype(NUMPY_TYPES[out.type])
        tensors[out.index] = Tensor(out.index, out.name, tuple(int(d) for d in value.shape), out.type,
                                    out.quantization, value)
        folded.append(op)
    folded_model.folded = folded
    return folded_model
