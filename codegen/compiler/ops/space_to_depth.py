"""SPACE_TO_DEPTH -> space_to_depth (firmware/kernels/space_to_depth.c), int8: an NHWC rearrangement by a
block size, byte copies, as TFLite's reference kernel indexes it. TFLite's Prepare asks for a 4-D input, a block
size of at least 1 dividing height and width, and one type for input and output.

int16 is refused: TFLite's converter has no 16x8 SPACE_TO_DEPTH, so no such model exists to check against.
(DEPTH_TO_SPACE is not here either: TFLite's reference resolver, the oracle, has no int8 DEPTH_TO_SPACE.)"""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._shapes import same_quantization
from codegen.model.tflite_model import Model, Operator

OPCODES = ("SPACE_TO_DEPTH",)
KIND = "space_to_depth"


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type != "INT8" or out.type != "INT8":
        raise unsupported(op, f"tensor '{inp.name}' is {inp.type}, output {out.type}; only int8 is implemented")
    if len(inp.shape) != 4:
        raise unsupported(op, f"input '{inp.name}' has {len(inp.shape)} dimensions; TFLite takes 4 (NHWC)")
    block = int(op.options.get("block_size", 0))
    if block < 1:
        raise unsupported(op, f"block size {block}; it must be at least 1")
    n, h, w, c = inp.shape
    if h % block or w % block:
        raise unsupported(op, f"height {h} and width {w} must be divisible by the block size {block}")
    want = [n, h // block, w // block, c * block * block]
    if list(out.shape) != want:
        raise unsupported(op, f"output shape {list(out.shape)}, expected {want}")
    if inp.quantization is not None and out.quantization is not None and not same_quantization(inp, out):
        raise unsupported(op, "input and output quantization differ; the values are moved, not rescaled")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    layer.params = dict(batches=inp.shape[0], input_height=inp.shape[1], input_width=inp.shape[2],
                        block=int(op.options["block_size"]), run_bytes=inp.shape[3])
    layer.macs = 0


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="space_to_depth", check=check, lower=lower)
