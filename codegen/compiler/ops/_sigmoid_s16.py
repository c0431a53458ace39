"""LOGISTIC and TANH with int16 input and output (16x8 quantization) -> logistic_s16 / tanh_s16.

Reached through ``logistic.py`` and ``tanh.py`` (one module per opcode) when the input is int16. TFLite's
reference kernels (reference_integer_ops::Logistic / Tanh for int16) do not use a per-model table: they
rescale the input to the grid of one fixed 256-entry sigmoid table and interpolate linearly between its
entries, tanh through tanh(x) = 2 * sigmoid(2x) - 1. Codegen computes the rescale (SigmoidPrepare /
TanhPrepare, ``quant.sigmoid_s16_multiplier``) and emits the table; the firmware interpolates.
"""
from __future__ import annotations

from codegen.compiler import quant
from codegen.compiler.layer import ConstArray, Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported

KIND = "activation_s16"

# TFLite's sigmoid_table_uint16 (kernels/internal/common.h): sigmoid(i / 24) in unsigned 0.16 for
# i = 0..255. It is data, not a formula: 44 of its entries sit one above round(65536 * sigmoid(i / 24)),
# nudged to reduce the interpolation error. tests/test_typed_io_and_stateful_ops.py reads every entry back
# from the reference interpreter and checks this copy.
SIGMOID_TABLE_UINT16 = [
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
]

# SigmoidPrepare accepts a power-of-two input scale only at 2**-12; TanhPrepare at 2**-12 and 2**-11.
MAX_POT_SHIFT = {"LOGISTIC": 0, "TANH": 1}


def check(model: Model, op: Operator) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    for t in (inp, out):
        if t.type != "INT16" or t.quantization is None or t.zero_point != 0:
            raise unsupported(op, f"tensor '{t.name}' must be int16 with zero point 0 (16x8 quantization)")
    if inp.size != out.size:
        raise unsupported(op, f"{inp.size} values in, {out.size} out")
    # Prepare's output checks: LOGISTIC wants exactly 1/32768, TANH a scale CheckedLog2 calls 2**-15.
    log2, pot = quant.checked_log2(out.scale)
    if (op.opcode == "LOGISTIC" and out.scale != 1.0 / 32768) or not pot or log2 != -15:
        raise unsupported(op, f"output scale {out.scale}; TFLite requires 1/32768 for int16 {op.opcode}")
    multiplier, _ = quant.sigmoid_s16_multiplier(inp.scale, MAX_POT_SHIFT[op.opcode])
    # The kernels compute input * multiplier in int32.
    if multiplier * 32768 > 1 << 31:
        raise unsupported(op, f"input scale {inp.scale} is above 5.33, where TFLite's int16 "
                              f"{op.opcode} overflows int32")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp = model.op_inputs(op)[0]
    multiplier, shift = quant.sigmoid_s16_multiplier(inp.scale, MAX_POT_SHIFT[op.opcode])
    layer.template = KIND
    layer.function = "logistic_s16" if op.opcode == "LOGISTIC" else "tanh_s16"
    layer.consts = [ConstArray(f"{layer.symbol}_table", "uint16_t", SIGMOID_TABLE_UINT16,
                               "TFLite's sigmoid_table_uint16: sigmoid(i / 24) in unsigned 0.16")]
    layer.params = dict(count=inp.size, multiplier=multiplier, shift=shift)
