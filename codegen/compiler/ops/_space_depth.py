"""What SPACE_TO_DEPTH and DEPTH_TO_SPACE share: TFLite's Prepare checks (space_to_depth.cc, depth_to_space.cc)
and the kernel parameters. Both move whole pixels' bytes, so every element type TFLite takes and tinyforge
carries (int8, int32, float32) runs the same kernel."""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._shapes import same_quantization
from codegen.model.tflite_model import Model, Operator

ELEMENT_BYTES = {"INT8": 1, "INT32": 4, "FLOAT32": 4}
TFLITE_TYPES = ("FLOAT32", "UINT8", "INT8", "INT32", "INT64")     # what both Prepare functions accept


def check(model: Model, op: Operator, to_depth: bool) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    if inp.type != out.type:
        raise unsupported(op, f"input '{inp.name}' is {inp.type}, output {out.type}; TFLite needs one type")
    if inp.type not in TFLITE_TYPES:
        raise unsupported(op, f"tensor '{inp.name}' is {inp.type}; TFLite's {op.opcode} takes float32, uint8, "
                              "int8, int32 and int64")
    if inp.type not in ELEMENT_BYTES:
        raise unsupported(op, f"tensor '{inp.name}' is {inp.type}; int8, int32 and float32 are implemented")
    if len(inp.shape) != 4:
        raise unsupported(op, f"input '{inp.name}' has {len(inp.shape)} dimensions; TFLite takes 4 (NHWC)")
    block = int(op.options.get("block_size", 0))
    if block < 1:
        raise unsupported(op, f"block size {block}; it must be at least 1")
    n, h, w, c = inp.shape
    if to_depth:
        if h % block or w % block:
            raise unsupported(op, f"height {h} and width {w} must be divisible by the block size {block}")
        want = [n, h // block, w // block, c * block * block]
    else:
        if c % (block * block):
            raise unsupported(op, f"{c} channels must be divisible by the block size squared ({block * block})")
        want = [n, h * block, w * block, c // (block * block)]
    if list(out.shape) != want:
        raise unsupported(op, f"output shape {list(out.shape)}, expected {want}")
    if inp.quantization is not None and out.quantization is not None and not same_quantization(inp, out):
        raise unsupported(op, "input and output quantization differ; the values are moved, not rescaled")


def lower(model: Model, op: Operator, layer: Layer, to_depth: bool) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    shallow = inp if to_depth else out      # the side whose pixel is one run of bytes
    layer.params = dict(batches=inp.shape[0], input_height=inp.shape[1], input_width=inp.shape[2],
                        block=int(op.options["block_size"]), run_bytes=shallow.shape[3] * ELEMENT_BYTES[inp.type])
    layer.macs = 0
