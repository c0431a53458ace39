"""CAST -> cast (firmware/kernels/cast.c): every element converted to the output's type with TFLite's
static_cast, for int8, int16, int32 and float32 on either side. No quantization is read: TFLite casts the stored
values, so an int8 tensor cast to float32 gives its raw integers, not their real values (DEQUANTIZE does that)."""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.model.tflite_model import Model, Operator

ELEMENT_TYPES = {"INT8": "TF_ELEMENT_INT8", "INT16": "TF_ELEMENT_INT16", "INT32": "TF_ELEMENT_INT32",
                 "FLOAT32": "TF_ELEMENT_FLOAT32"}


def check(model: Model, op: Operator) -> None:
    for tensor in (model.op_inputs(op)[0], model.op_outputs(op)[0]):
        if tensor.type not in ELEMENT_TYPES:
            raise unsupported(op, f"tensor '{tensor.name}' is {tensor.type}; int8, int16, int32 and float32 are "
                                  "implemented")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    layer.params = dict(count=inp.size, from_type=ELEMENT_TYPES[inp.type], to_type=ELEMENT_TYPES[out.type])
    layer.macs = 0


SPEC = OperatorSpec(opcodes=("CAST",), template="cast", function="cast", check=check, lower=lower,
                    shape_preserving=True)      # cast.cc's Prepare gives the output the input's shape
