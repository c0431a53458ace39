"""MAXIMUM, MINIMUM -> maximum_s8 / minimum_s8 / maximum_s16 / minimum_s16 (firmware/kernels/maximum_minimum.c),
with broadcasting. TFLite compares the stored integers (maximum_minimum.cc): its Prepare asks only that the
inputs share a type, which the output takes; no quantization is read."""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, unsupported
from codegen.compiler.ops._binary import memory
from codegen.compiler.ops._shapes import activation_offsets, broadcast_steps, operand, padded, require_dims
from codegen.model.tflite_model import Model, Operator

OPCODES = ("MAXIMUM", "MINIMUM")
KIND = "maximum_minimum"
CTYPES = {"INT8": "int8_t", "INT16": "int16_t"}


def check(model: Model, op: Operator) -> None:
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected 2")
    ins, out = model.op_inputs(op), model.op_outputs(op)[0]
    for t in [*ins, out]:
        if t.type not in CTYPES:
            raise unsupported(op, f"tensor '{t.name}' is {t.type}; int8 and int16 are implemented")
        if t.size == 0:
            raise unsupported(op, f"tensor '{t.name}' has shape {list(t.shape)}")
        require_dims(op, t)
    if ins[0].type != ins[1].type or out.type != ins[0].type:
        # TFLite's Prepare: TF_LITE_ENSURE_TYPES_EQ(input1, input2), and the output takes that type
        raise unsupported(op, f"inputs are {ins[0].type} and {ins[1].type}, output {out.type}; TFLite needs one type")
    if all(t.is_constant for t in ins):
        raise unsupported(op, "both inputs are constants (the converter folds these)")
    out_shape = padded(out.shape)
    for t in ins:
        broadcast_steps(op, t, out_shape)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    out = model.op_outputs(op)[0]
    ctype = CTYPES[out.type]
    out_shape = padded(out.shape)
    offsets = activation_offsets(model, op, layer)
    # the shared operand rule (an arena offset, or a constant array of the layer), in the tensors' C type
    operands = [operand(model, op, k, offsets, layer.consts, layer.symbol, ctype) for k in range(2)]
    in1, in2 = model.op_inputs(op)
    suffix = "s8" if out.type == "INT8" else "s16"
    layer.function = f"{op.opcode.lower()}_{suffix}"
    layer.params = dict(shape=out_shape, step1=broadcast_steps(op, in1, out_shape),
                        step2=broadcast_steps(op, in2, out_shape), operand1=operands[0], operand2=operands[1],
                        ctype=ctype)
    layer.macs = out.size


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function="maximum_s8", check=check, lower=lower, memory=memory,
                    constant_operands=True)
