"""RESHAPE, SQUEEZE, EXPAND_DIMS: the output is the input's bytes under another shape.

The memory planner gives the output the input's buffer, so these cost neither
RAM nor instructions; the template only leaves a comment.
"""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import require_int8_or_int16_activations
from codegen.compiler.ops import OperatorSpec

OPCODES = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
KIND = "alias"


def check(model: Model, op: Operator) -> None:
    inp = model.op_inputs(op)[0]
    out = model.op_outputs(op)[0]
    if inp.type == "FLOAT32" or out.type == "FLOAT32":
        if inp.type != out.type:
            raise unsupported(op, f"input '{inp.name}' is {inp.type}, output {out.type}; a reshape keeps the type")
    else:
        require_int8_or_int16_activations(model, op, quantized=False)
    if inp.is_constant:
        raise unsupported(op, f"input '{inp.name}' is a constant; only activations are reshaped")
    if inp.size != out.size:
        raise unsupported(op, f"{inp.size} values in, {out.size} out")
    if op.opcode == "RESHAPE":
        computed = _tflite_output_shape(model, op, inp.size)
        if computed != tuple(out.shape):
            raise unsupported(op, f"output shape {list(out.shape)}, its shape input asks for {list(computed)}")


def _tflite_output_shape(model: Model, op: Operator, input_size: int) -> tuple[int, ...]:
    """The shape reshape.cc's GetOutputShape gives the output (TFLite resizes the output to it whatever the
    file declares): from a 1-D int32 shape tensor, else from ``new_shape``; one -1 stretches."""
    if len(op.inputs) > 1 and op.inputs[1] < 0:
        raise unsupported(op, "its shape input is listed but omitted (-1)")   # TFLite hangs on this
    shape_tensor = model.tensor(op.inputs[1]) if len(op.inputs) == 2 else None
    if shape_tensor is not None and len(shape_tensor.shape) == 1 and shape_tensor.type == "INT32":
        if not shape_tensor.is_constant:
            raise unsupported(op, "its shape is computed at run time")
        wanted = [int(v) for v in shape_tensor.data.ravel()]
    else:
        # GetOutputShapeFromParam: no options means no dimensions, i.e. a scalar.
        wanted = [int(v) for v in op.options.get("new_shape") or []]
        if wanted == [0]:             # legacy converters wrote [0] for a scalar
            wanted = []
    if wanted.count(-1) > 1 or any(v < -1 for v in wanted):
        raise unsupported(op, f"shape {wanted}")
    known = 1
    for v in wanted:
        known *= v if v != -1 else 1
    if -1 in wanted:
        if known == 0 or input_size % known:
            raise unsupported(op, f"shape {wanted} cannot hold {input_size} values")
        wanted[wanted.index(-1)] = input_size // known
    return tuple(wanted)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    pass


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function=None, check=check, lower=lower, alias=True)
