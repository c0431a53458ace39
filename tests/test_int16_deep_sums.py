"""16x8 convolutions over deep inputs: 600 channels of the largest int8 weight times the largest int16 value
sum to 600 * 127 * 32767 > 2^31 within one filter tap, so the kernels must not hold a tap's sum in int32.
Built with tests/tflite_builder.py (the converter's calibration never makes such extreme values) and checked
byte for byte against TFLite's reference kernels."""
from __future__ import annotations

import numpy as np
import pytest

from codegen.verify.hostrun import run_on_host
from codegen.verify.reference import reference_outputs
from tflite_builder import Op, T, build

DEPTH = 600


def _check(tmp_path, tensors, ops, inputs, outputs):
    path = tmp_path / "deep.tflite"
    path.write_bytes(build(tensors, ops, inputs, outputs))
    x = np.full((1, 2, 2, DEPTH), 32767, np.int16)
    cases = [[x], [-x], [np.where(np.arange(DEPTH) % 2, 32767, -32768).astype(np.int16).reshape(1, 1, 1, DEPTH)
                         .repeat(2, 1).repeat(2, 2)]]
    ours = run_on_host(path, cases, tmp_path / "host")
    theirs = reference_outputs(path, cases)
    for got, want in zip(ours, theirs):
        assert got[0].tobytes() == want[0].tobytes()
    return ours


def _weights(shape):
    return T("w", shape, "INT8", [1 / 127] * shape[0], 0, data=np.full(shape, 127, np.int8), quantized_dimension=0)


@pytest.mark.parametrize("opcode", ["CONV_2D", "TRANSPOSE_CONV"])
def test_a_tap_deeper_than_int32_holds(tmp_path, opcode):
    x = T("x", (1, 2, 2, DEPTH), "INT16", 1 / 32768, 0)
    y = T("y", (1, 2, 2, 2), "INT16", 0.05, 0)
    if opcode == "CONV_2D":
        options = ("Conv2DOptions", {"Padding": 0, "StrideW": 1, "StrideH": 1})
        bias = T("b", (2,), "INT64", data=np.zeros(2, np.int64))     # conv.cc's 16x8 Prepare requires one
        ours = _check(tmp_path, [x, _weights((2, 1, 1, DEPTH)), bias, y], [Op("CONV_2D", [0, 1, 2], [3], options)],
                      [0], [3])
    else:
        shape = T("shape", (4,), "INT32", data=np.array([1, 2, 2, 2], np.int32))
        options = ("TransposeConvOptions", {"Padding": 0, "StrideW": 1, "StrideH": 1})
        ours = _check(tmp_path, [shape, _weights((2, 1, 1, DEPTH)), x, y],
                      [Op("TRANSPOSE_CONV", [0, 1, 2], [3], options)], [2], [3])
    # 600 * 127 * 32767 / (127 * 32768 * 0.05) is just under 12,000: not saturated, so the sum itself was compared
    assert int(ours[0][0].ravel()[0]) == 11999
