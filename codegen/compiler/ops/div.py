"""DIV -> div_f32 (firmware/kernels/arithmetic_f32.c), float32 with broadcasting and a fused activation, as
TFLite's reference Div / BroadcastDivSlow compute it (one IEEE division per element, then the clamp).

Quantized DIV is refused with the reason: TFLite's div.cc evaluates float32, int32 and uint8 only, so an int8
or int16 DIV has no reference to be exact with (the converter leaves such a division in float32). Integer DIV
of constants is shape arithmetic, folded at compile time (codegen/compiler/fold.py)."""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.compiler.ops import OperatorSpec, _float, unsupported
from codegen.compiler.ops._binary import memory
from codegen.model.tflite_model import Model, Operator

OPCODES = ("DIV",)


def check(model: Model, op: Operator) -> None:
    types = {t.type for t in model.op_inputs(op) if t is not None}
    if types != {"FLOAT32"}:
        raise unsupported(op, f"{'/'.join(sorted(types))} inputs; TFLite's DIV runs float32, int32 and uint8 only "
                              "(keep the division in float32, or fold it into a constant multiplier)")
    _float.check_arithmetic(model, op)


def lower(model: Model, op: Operator, layer: Layer) -> None:
    _float.lower_arithmetic(model, op, layer)


SPEC = OperatorSpec(opcodes=OPCODES, template="arithmetic_f32", function="div_f32", check=check, lower=lower,
                    memory=memory, constant_operands=True)
