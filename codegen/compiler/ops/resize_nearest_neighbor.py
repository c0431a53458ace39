"""RESIZE_NEAREST_NEIGHBOR -> resize_nearest_neighbor (firmware/kernels/resize_nearest_neighbor.c), int8 and
int16: each output pixel copies one input pixel. The index tables are TFLite's GetNearestNeighbor, computed
here in float32 as the reference computes them; the kernel copies bytes, so the values pass unchanged, as in
TFLite (which never requantizes here)."""
from __future__ import annotations

import math

import numpy as np

from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._shapes import constant_ints
from codegen.model.tflite_model import Model, Operator

OPCODES = ("RESIZE_NEAREST_NEIGHBOR",)
KIND = "resize_nearest_neighbor"
ELEMENT_BYTES = {"INT8": 1, "INT16": 2}


def nearest(index: int, input_size: int, output_size: int, align_corners: bool, half_pixel_centers: bool) -> int:
    """TFLite's GetNearestNeighbor, float32 step by step."""
    f32 = np.float32
    scale = (f32(input_size - 1) / f32(output_size - 1) if align_corners and output_size > 1
             else f32(input_size) / f32(output_size))
    value = (f32(index) + f32(0.5 if half_pixel_centers else 0.0)) * scale
    # TfLiteRound rounds half away from zero; the values are never negative here
    picked = int(math.floor(float(value) + 0.5)) if align_corners else int(math.floor(float(value)))
    picked = min(picked, input_size - 1)
    return max(0, picked) if half_pixel_centers else picked


def _size(model: Model, op: Operator) -> list[int]:
    size = constant_ints(model, op, 1, "the output size")
    if len(size) != 2:
        raise unsupported(op, f"the output size has {len(size)} values, expected height and width")
    return size


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type not in ELEMENT_BYTES or out.type != inp.type:
        raise unsupported(op, f"tensor '{inp.name}' is {inp.type}, output {out.type}; int8 and int16 are "
                              "implemented, input and output of one type")
    if len(inp.shape) != 4:
        raise unsupported(op, f"input '{inp.name}' has {len(inp.shape)} dimensions; TFLite takes 4 (NHWC)")
    height, width = _size(model, op)
    if height <= 0 or width <= 0:
        raise unsupported(op, f"output size {height}x{width}")
    want = [inp.shape[0], height, width, inp.shape[3]]
    if list(out.shape) != want:
        raise unsupported(op, f"output shape {list(out.shape)}, expected {want} from the size tensor")
    if max(inp.shape[1], inp.shape[2]) > 32767:
        raise unsupported(op, "input height or width above 32767")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    height, width = _size(model, op)
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    rows = [nearest(y, inp.shape[1], height, align, half) for y in range(height)]
    columns = [nearest(x, inp.shape[2], width, align, half) for x in range(width)]
    layer.consts.append(ConstArray(f"{layer.symbol}_rows", "int16_t", rows, f"input row of each output row "
                                   f"(align_corners={align}, half_pixel_centers={half})"))
    layer.consts.append(ConstArray(f"{layer.symbol}_columns", "int16_t", columns,
                                   "input column of each output column"))
    layer.params = dict(batches=inp.shape[0], input_height=inp.shape[1], input_width=inp.shape[2],
                        output_height=height, output_width=width,
                        pixel_bytes=inp.shape[3] * ELEMENT_BYTES[inp.type])
    layer.macs = 0


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="resize_nearest_neighbor", check=check, lower=lower)
