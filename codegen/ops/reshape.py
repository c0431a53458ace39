"""RESHAPE, SQUEEZE, EXPAND_DIMS: the output is the input's bytes under another shape.

The memory planner gives the output the input's buffer, so these cost neither
RAM nor instructions; the template only leaves a comment.
"""
from __future__ import annotations

from ..layer import Layer
from ..tflite_model import Model, Operator
from . import unsupported
from ._common import require_int8_activations

OPCODES = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
KIND = "alias"
ALIAS = True


def check(model: Model, op: Operator) -> None:
    require_int8_activations(model, op, quantized=False)
    inp = model.op_inputs(op)[0]
    out = model.op_outputs(op)[0]
    if inp.is_constant:
        raise unsupported(op, f"input '{inp.name}' is a constant; only activations are reshaped")
    if inp.size != out.size:
        raise unsupported(op, f"{inp.size} values in, {out.size} out")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    pass
