"""STRIDED_SLICE -> strided_slice_s8 / _s16 / _f32 (firmware/kernels/strided_slice.c), int8, int16, float32.

Begin/end/strides and the masks are resolved here as TFLite's strided_slice_logic.h StartForAxis and
StopForAxis do, so the kernel only walks start + i * step per output dimension.
"""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import MOVED_CTYPES, MOVED_SUFFIXES, require_moved_activations
from codegen.compiler.ops._shapes import constant_ints, padded, require_dims, same_quantization, strides
from codegen.compiler.ops import OperatorSpec

OPCODES = ("STRIDED_SLICE",)
KIND = "strided_slice"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def resolve(model: Model, op: Operator) -> list[tuple[int, int, int, bool]]:
    """Per input axis ``(start, stride, count, shrunk)``."""
    inp = model.op_inputs(op)[0]
    o = op.options
    for name in ("ellipsis_mask", "new_axis_mask"):
        if o.get(name, 0):
            raise unsupported(op, f"{name} {o[name]}; only begin, end and shrink-axis masks are implemented")
    if o.get("offset", False):
        raise unsupported(op, "offset=true (end relative to begin)")
    begin = constant_ints(model, op, 1, "begin")
    end = constant_ints(model, op, 2, "end")
    stride = constant_ints(model, op, 3, "strides")
    if not len(begin) == len(end) == len(stride) <= len(inp.shape):
        raise unsupported(op, f"begin/end/strides of lengths {len(begin)}/{len(end)}/{len(stride)} "
                              f"for a {len(inp.shape)}-D input")
    axes = []
    for axis, size in enumerate(int(d) for d in inp.shape):
        if axis >= len(begin):
            axes.append((0, 1, size, False))
            continue
        step = stride[axis]
        if step == 0:
            raise unsupported(op, f"stride 0 on axis {axis}")
        low, high = (0, size) if step > 0 else (-1, size - 1)
        if o.get("begin_mask", 0) >> axis & 1:
            start = 0 if step > 0 else size - 1
        else:
            start = begin[axis] + size if begin[axis] < 0 else begin[axis]
        start = _clamp(start, low, high)
        shrunk = bool(o.get("shrink_axis_mask", 0) >> axis & 1)
        if shrunk:
            stop = start + 1
        elif o.get("end_mask", 0) >> axis & 1:
            stop = size if step > 0 else -1
        else:
            stop = _clamp(end[axis] + size if end[axis] < 0 else end[axis], low, high)
        axes.append((start, step, len(range(start, stop, step)), shrunk))
    return axes


def check(model: Model, op: Operator) -> None:
    require_moved_activations(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    require_dims(op, inp)
    if inp.quantization is not None and out.quantization is not None and not same_quantization(inp, out):
        raise unsupported(op, "input and output quantization differ")
    axes = resolve(model, op)
    kept = [count for _, _, count, shrunk in axes if not shrunk]
    if kept != list(out.shape) or any(count != 1 for _, _, count, shrunk in axes if shrunk):
        raise unsupported(op, f"output shape {list(out.shape)} disagrees with the resolved slice {kept}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    axes = resolve(model, op)
    in_strides = strides(inp.shape)
    layer.function = f"strided_slice_{MOVED_SUFFIXES[inp.type]}"
    layer.params = dict(shape=padded([count for _, _, count, _ in axes]),
                        step=padded([step * s for (_, step, _, _), s in zip(axes, in_strides)], fill=0),
                        start=sum(start * s for (start, _, _, _), s in zip(axes, in_strides)),
                        ctype=MOVED_CTYPES[inp.type])


SPEC = OperatorSpec(opcodes=OPCODES, template="transpose", name=KIND, function='strided_slice_s8', check=check, lower=lower)
