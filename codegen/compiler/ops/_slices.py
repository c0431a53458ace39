"""Shared by SPLIT, SPLIT_V, UNPACK and PACK: slices along one axis as strided byte copies.

A tensor of shape ``S`` seen as [outer][S[axis]][inner] (outer = prod(S[:axis]), inner = prod(S[axis+1:]))
has its slice ``[start, start + length)`` along ``axis`` at ``outer`` runs of ``length * inner`` bytes,
one every ``S[axis] * inner`` bytes, beginning at byte ``start * inner``. Each copy here becomes one
``strided_copy_s8`` call (templates/ops/strided_copy.c.j2).
"""
from __future__ import annotations

from math import prod

from codegen.model.tflite_model import Model, Operator, Tensor
from codegen.compiler.ops import unsupported

KIND = "strided_copy"


def normalise_axis(op: Operator, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise unsupported(op, f"axis {axis} outside a rank-{rank} tensor")
    return axis % rank


def require_same_quantization(model: Model, op: Operator, tensors: list[Tensor], float32: bool = False) -> None:
    """TFLite's int8 SPLIT/UNPACK/PACK copy values, which is right only when every tensor shares one scale.
    With ``float32``, all-float32 tensors pass too: copying float values is exact whatever they are."""
    for t in tensors:
        if t.is_constant:
            raise unsupported(op, f"tensor '{t.name}' is a constant")
    if float32 and all(t.type == "FLOAT32" for t in tensors):
        return
    for t in tensors:
        if t.type != "INT8":
            raise unsupported(op, f"tensor '{t.name}' is {t.type}, "
                                  f"only int8{' (or all float32)' if float32 else ''} is implemented")
    reference = tensors[0]
    for t in tensors[1:]:
        if t.quantization is None or reference.quantization is None or \
                (t.scale, t.zero_point) != (reference.scale, reference.zero_point):
            raise unsupported(op, f"tensor '{t.name}' is quantized differently from '{reference.name}'")


def slice_copy(shape: tuple, axis: int, start: int, length: int, whole_offset: int, part_offset: int,
               into_whole: bool, itemsize: int = 1) -> dict:
    """One strided copy between the whole tensor (at ``whole_offset``) and a slice of it (at ``part_offset``,
    stored contiguously); ``into_whole`` copies the slice into the whole tensor (PACK). ``itemsize`` bytes
    per value (4 for float32) scale every count, so bytes are still what is copied."""
    outer, inner = prod(shape[:axis]), prod(shape[axis + 1:]) * itemsize
    whole = dict(offset=whole_offset + start * inner, stride=shape[axis] * inner)
    part = dict(offset=part_offset, stride=length * inner)
    src, dst = (part, whole) if into_whole else (whole, part)
    return dict(rows=outer, bytes=length * inner, src=src["offset"], src_stride=src["stride"],
                dst=dst["offset"], dst_stride=dst["stride"])
