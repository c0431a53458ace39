"""ADD, SUB and MUL share operand checks and broadcast geometry (TFLite's BroadcastAdd6DSlow / Mul6DSlow),
for int8 and for int16 (16x8 quantization)."""
from __future__ import annotations

from codegen.compiler.layer import Layer, MemoryNeeds
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import _float, unsupported
from codegen.compiler import quant
from codegen.compiler.ops._common import FUSED_ACTIVATIONS
from codegen.compiler.ops._shapes import activation_offsets, broadcast_steps, operand, padded, require_dims


CTYPES = {"INT8": "int8_t", "INT16": "int16_t"}
RANGES = {"INT8": (-128, 127), "INT16": (-32768, 32767)}


def check(model: Model, op: Operator) -> None:
    if len(op.inputs) == 2 and any(t.type == "FLOAT32" for t in model.op_inputs(op)):
        return _float.check_arithmetic(model, op)
    if len(op.inputs) != 2:
        raise unsupported(op, f"{len(op.inputs)} inputs, expected 2")
    out = model.op_outputs(op)[0]
    for t in [*model.op_inputs(op), out]:
        if t.type not in CTYPES or t.quantization is None or t.type != out.type:
            raise unsupported(op, f"tensor '{t.name}' is {t.type}"
                                  f"{'' if t.quantization else ' without quantization'}; "
                                  "only quantized int8, or int16 (16x8), operands of one type are implemented")
        if t.size == 0:
            raise unsupported(op, f"tensor '{t.name}' has shape {list(t.shape)}")
        require_dims(op, t)
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in FUSED_ACTIVATIONS:
        raise unsupported(op, f"fused activation {activation}; supported: {', '.join(FUSED_ACTIVATIONS)}")
    if all(model.tensors[t].is_constant for t in op.inputs):
        raise unsupported(op, "both inputs are constants (the converter folds these)")
    if out.type == "INT16" and op.opcode in ("ADD", "SUB") and power_of_two_int16(model, op):
        raise unsupported(op, "int16 with pot_scale_int16 and power-of-two scales takes TFLite's shift-only "
                              "path, which is not implemented (the converter's 16x8 models use the general one)")
    out_shape = padded(out.shape)
    for t in model.op_inputs(op):
        broadcast_steps(op, t, out_shape)


def power_of_two_int16(model: Model, op: Operator) -> bool:
    """add.cc / sub.cc Prepare: int16 runs the power-of-two path unless pot_scale_int16 is false or one of
    the three scales is not (CheckedLog2) a power of two."""
    if not op.options.get("pot_scale_int16", True):
        return False
    return all(quant.checked_log2(t.scale)[1] for t in [*model.op_inputs(op), model.op_outputs(op)[0]])


def lower_geometry(model: Model, op: Operator, layer: Layer) -> dict:
    """Operands and broadcast steps; constant operands become arrays of the layer."""
    out = model.op_outputs(op)[0]
    out_shape = padded(out.shape)
    in1, in2 = model.op_inputs(op)
    offsets = activation_offsets(model, op, layer)
    qmin, qmax = RANGES[out.type]
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", "NONE"), out.scale,
                                              out.zero_point, qmin, qmax)
    ctype = CTYPES[out.type]
    return dict(shape=out_shape, step1=broadcast_steps(op, in1, out_shape),
                step2=broadcast_steps(op, in2, out_shape),
                operand1=operand(model, op, 0, offsets, layer.consts, layer.symbol, ctype),
                operand2=operand(model, op, 1, offsets, layer.consts, layer.symbol, ctype),
                input1_offset=-in1.zero_point, input2_offset=-in2.zero_point, output_offset=out.zero_point,
                act_min=act_min, act_max=act_max, activation=op.options.get("fused_activation_function", "NONE"),
                ctype=ctype)


def memory(model: Model, op: Operator) -> MemoryNeeds:
    """Output i is written after both operands' element i is read, so the output may overwrite the first
    operand when neither operand is broadcast (a constant second operand may be: it stays in flash)."""
    out_shape = padded(model.op_outputs(op)[0].shape)
    first, second = model.op_inputs(op)
    if padded(first.shape) == out_shape and (second.is_constant or padded(second.shape) == out_shape):
        return MemoryNeeds(in_place_scratch=0)
    return MemoryNeeds()
