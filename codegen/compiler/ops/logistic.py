"""LOGISTIC (int8) -> lookup_s8 with the table TFLite's interpreter builds for it;
int16 (16x8) -> logistic_s16 (``_sigmoid_s16.py``)."""
from __future__ import annotations

import numpy as np

from codegen.compiler.fixedpoint import expf
from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import _sigmoid_s16
from codegen.compiler.ops._lookup import KIND, memory, check_elementwise, float_table, lower_table  # noqa: F401 (KIND is this module's)
from codegen.compiler.ops import OperatorSpec, _float

OPCODES = ("LOGISTIC",)


def check(model: Model, op: Operator) -> None:
    if _float.is_float(model, op):
        return _float.check_unary(model, op)
    if model.op_inputs(op)[0].type == "INT16":
        return _sigmoid_s16.check(model, op)
    check_elementwise(model, op)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if _float.is_float(model, op):
        return _float.lower_unary(model, op, layer)
    if model.op_inputs(op)[0].type == "INT16":
        return _sigmoid_s16.lower(model, op, layer)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    # activations.cc SigmoidPrepare: 1.0f / (1.0f + std::exp(-value)) in float32.
    table = float_table(inp, out, lambda x: np.float32(1) / (np.float32(1) + expf(-x)))
    lower_table(model, op, layer, table, "1 / (1 + exp(-x)) quantized as TFLite's PopulateLookupTable")


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='lookup_s8', check=check, lower=lower, memory=memory, shape_preserving=True)
