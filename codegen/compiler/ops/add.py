"""ADD -> add_elementwise_s8 (same shapes), add_s8 (broadcasting) or add_s16; SUB lowers here too."""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.fixedpoint import multiply_by_quantized_multiplier
from codegen.compiler.layer import ConstArray, Layer
from codegen.compiler.layouts import channel_requant
from codegen.compiler.ops._shapes import padded
from codegen.compiler.select import select_add
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops._binary import check, lower_geometry, memory  # noqa: F401
from codegen.compiler.ops import OperatorSpec, _float

OPCODES = ("ADD",)
KIND = "add"
# Either operand may be a constant (e.g. `1 - z` in a lowered GRU); _binary places it in flash.


def lower(model: Model, op: Operator, layer: Layer) -> None:
    if _float.is_float(model, op) or _float.is_float(model, op, 1):
        return _float.lower_arithmetic(model, op, layer)
    in1, in2 = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    layer.params = lower_geometry(model, op, layer)
    int16 = out.type == "INT16"
    layer.params.update(quant.add_params(in1.scale, in2.scale, out.scale, negate_input2=op.opcode == "SUB",
                                         left_shift=quant.ADD_LEFT_SHIFT_16BIT if int16
                                         else quant.ADD_LEFT_SHIFT_8BIT))
    p = layer.params
    same_shapes = padded(in1.shape) == padded(in2.shape) == p["shape"]
    tables = None if int16 or not same_shapes else _rescaled_tables(p)
    choice = select_add(out.type, same_shapes, tables is not None, out.size, layer.target.grow_weights)
    layer.function, layer.template, layer.choice_reason = choice.function, choice.template, choice.reason
    if choice.function == "add_elementwise_s8":
        table1, table2, (_, _, shift_less_one) = tables
        sym = layer.symbol
        layer.consts += [
            ConstArray(f"{sym}_table1", "int32_t", table1, f"{in1.name}: each byte's rescaled value, by byte + 128"),
            ConstArray(f"{sym}_table2", "int32_t", table2, f"{in2.name}: each byte's rescaled value, by byte + 128")]
        p.update(count=out.size, output_shift_less_one=shift_less_one)
    layer.macs = out.size


def _rescaled_tables(p: dict) -> tuple[list[int], list[int], tuple[int, int, int]] | None:
    """Each input's scaled value for every int8 byte, as AddElementwise computes it, and the sum's
    (0, multiplier, right shift - 1) for tf_mbqm_fast_halves; None when that requantization cannot take the
    sum (the same rule as the convolutions' channel tables)."""
    tables = []
    for number in (1, 2):
        offset, multiplier, shift = (p[f"input{number}_offset"], p[f"input{number}_multiplier"],
                                     p[f"input{number}_shift"])
        tables.append([multiply_by_quantized_multiplier((byte + offset) << p["left_shift"], multiplier, shift)
                       for byte in range(-128, 128)])
    sum_bound = max(map(abs, tables[0])) + max(map(abs, tables[1]))
    requant = channel_requant.channel_table([0], [p["output_multiplier"]], [p["output_shift"]], 1, sum_bound)
    return None if requant is None else (tables[0], tables[1], requant[0])


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='add_s8', check=check, lower=lower, memory=memory, constant_operands=True)
