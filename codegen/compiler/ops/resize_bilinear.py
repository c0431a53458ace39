"""RESIZE_BILINEAR -> resize_bilinear_s8 / resize_bilinear_s16 (firmware/kernels/resize_bilinear.c): TFLite's
ResizeBilinearInteger. Each output row and column has two input indices and a weight in 1/1024ths, computed
here as ComputeInterpolationValuesInteger computes them (scales rounded to 10 fractional bits; half-pixel
centres shift by half a step and half a pixel); the kernel blends the four pixels with those weights and
rounds the 20-bit fraction half away from zero. The values are not requantized, as in TFLite."""
from __future__ import annotations

from codegen.compiler.fixedpoint import trunc_div
from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops.resize_nearest_neighbor import ELEMENT_BYTES, _size
from codegen.model.tflite_model import Model, Operator

OPCODES = ("RESIZE_BILINEAR",)
ONE = 1 << 10


def interpolation(input_size: int, output_size: int, align_corners: bool, half_pixel_centers: bool) -> list[int]:
    """(lower index, upper index, weight of the upper one in 1/1024ths) for every output index, flattened."""
    scale = (ONE * input_size + output_size // 2) // output_size
    if align_corners and output_size > 1:
        scale = (ONE * (input_size - 1) + (output_size - 1) // 2) // (output_size - 1)
    table = []
    for v in range(output_size):
        scaled = v * scale + scale // 2 - (1 << 9) if half_pixel_centers else v * scale
        low = max(trunc_div(scaled, ONE), 0)
        high = min(trunc_div(scaled + ONE - 1, ONE), input_size - 1)
        table += [low, high, scaled - ONE * low]
    return table


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type not in ELEMENT_BYTES or out.type != inp.type:
        raise unsupported(op, f"tensor '{inp.name}' is {inp.type}, output {out.type}; int8 and int16 are "
                              "implemented, input and output of one type")
    if len(inp.shape) != 4:
        raise unsupported(op, f"input '{inp.name}' has {len(inp.shape)} dimensions; TFLite takes 4 (NHWC)")
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    if align and half:
        raise unsupported(op, "align_corners and half_pixel_centers together; TFLite allows one of them")
    height, width = _size(model, op)
    if height <= 0 or width <= 0:
        raise unsupported(op, f"output size {height}x{width}")
    want = [inp.shape[0], height, width, inp.shape[3]]
    if list(out.shape) != want:
        raise unsupported(op, f"output shape {list(out.shape)}, expected {want} from the size tensor")
    if max(inp.shape[1], inp.shape[2], height, width) > 8191:
        raise unsupported(op, "a height or width above 8191 (the 10-bit fixed-point positions would overflow)")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    height, width = _size(model, op)
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    how = f"(align_corners={align}, half_pixel_centers={half})"
    layer.consts += [
        ConstArray(f"{layer.symbol}_rows", "int16_t", interpolation(inp.shape[1], height, align, half),
                   f"per output row: upper and lower input row, weight of the lower one in 1/1024 {how}"),
        ConstArray(f"{layer.symbol}_columns", "int16_t", interpolation(inp.shape[2], width, align, half),
                   "per output column: left and right input column, weight of the right one in 1/1024")]
    layer.function = "resize_bilinear_s16" if inp.type == "INT16" else "resize_bilinear_s8"
    layer.params = dict(batches=inp.shape[0], input_height=inp.shape[1], input_width=inp.shape[2],
                        output_height=height, output_width=width, pixel_bytes=inp.shape[3],
                        ctype="int16_t" if inp.type == "INT16" else "int8_t")
    layer.macs = 4 * height * width * inp.shape[3] * inp.shape[0]


SPEC = OperatorSpec(opcodes=OPCODES, template="resize_bilinear", function="resize_bilinear_s8", check=check,
                    lower=lower)
