"""Shape arithmetic folded at compile time (codegen/compiler/fold.py): Keras' Reshape with a dynamic batch,
SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, runs as a plain RESHAPE, byte-identical to TFLite; the folded
operators' errors are one line each."""
from __future__ import annotations

import numpy as np
import pytest

from codegen.compiler.fold import fold_constants
from codegen.errors import TinyforgeError
from codegen.model.tflite_model import load_model
from codegen.pipeline import compile_model
from codegen.verify.hostrun import run_on_host
from codegen.verify.reference import reference_outputs
from tflite_builder import Op, T, build

I32 = "INT32"


def _keras_reshape(tmp_path, batch_index=0, extra=None):
    """x [1, 4, 6] -> RESHAPE(x, PACK(SHAPE(x)[batch_index], 24)) -> MUL by 2 -> [1, 24]."""
    tensors = [T("x", (1, 4, 6), "INT8", 0.1, 3),
               T("shape", (3,), I32),
               T("begin", (1,), I32, data=np.array([batch_index], np.int32)),
               T("end", (1,), I32, data=np.array([batch_index + 1], np.int32)),
               T("strides", (1,), I32, data=np.array([1], np.int32)),
               T("batch", (), I32),
               T("rest", (), I32, data=np.array(24, np.int32)),
               T("target", (2,), I32),
               T("flat", (1, 24), "INT8", 0.1, 3),
               T("two", (1,), "INT8", 0.1, 0, data=np.array([20], np.int8)),
               T("y", (1, 24), "INT8", 0.25, -5)]
    ops = [Op("SHAPE", [0], [1], ("ShapeOptions", {"OutType": 2})),
           Op("STRIDED_SLICE", [1, 2, 3, 4], [5], ("StridedSliceOptions", {"ShrinkAxisMask": 1})),
           Op("PACK", [5, 6], [7], ("PackOptions", {"ValuesCount": 2, "Axis": 0})),
           Op("RESHAPE", [0, 7], [8]),
           Op("MUL", [8, 9], [10])]
    path = tmp_path / "reshape.tflite"
    path.write_bytes(build(tensors, ops, [0], [10]))
    return path


def test_dynamic_batch_reshape_folds_and_is_bit_exact(tmp_path):
    path = _keras_reshape(tmp_path)
    folded = fold_constants(load_model(path))
    assert [op.opcode for op in folded.folded] == ["SHAPE", "STRIDED_SLICE", "PACK"]
    assert [op.opcode for op in folded.operators] == ["RESHAPE", "MUL"]
    assert folded.tensors[7].data.tolist() == [1, 24]
    assert [layer.opcode for layer in compile_model(load_model(path)).layers] == ["RESHAPE", "MUL"]
    rng = np.random.default_rng(3)
    cases = [[rng.integers(-128, 128, (1, 4, 6), dtype=np.int8)] for _ in range(3)]
    ours, theirs = run_on_host(path, cases, tmp_path / "host"), reference_outputs(path, cases)
    assert [o[0].tobytes() for o in ours] == [t[0].tobytes() for t in theirs]


def test_a_folded_slice_outside_the_shape_is_one_line(tmp_path):
    path = _keras_reshape(tmp_path, batch_index=5)
    with pytest.raises(TinyforgeError) as info:
        compile_model(load_model(path))
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("operator 1 (STRIDED_SLICE) is not supported: the slice reaches outside "
                                      "axis 0 of the [3] input. ")


@pytest.mark.parametrize("opcode, a, b, want", [
    ("DIV", [7, -7, 7], [2, 2, -2], [3, -3, -3]),          # C division truncates
    ("FLOOR_DIV", [7, -7, 7], [2, 2, -2], [3, -4, -4]),
    ("MUL", [3, 4, 5], [2, 2, 2], [6, 8, 10])])
def test_integer_arithmetic_folds_as_tflite_computes_it(tmp_path, opcode, a, b, want):
    tensors = [T("x", (1, 3), "INT8", 0.1, 0), T("a", (3,), I32, data=np.array(a, np.int32)),
               T("b", (3,), I32, data=np.array(b, np.int32)), T("c", (3,), I32), T("y", (1, 3), "INT8", 0.1, 0)]
    path = tmp_path / "m.tflite"
    path.write_bytes(build(tensors, [Op(opcode, [1, 2], [3]), Op("RELU", [0], [4])], [0], [4]))
    assert fold_constants(load_model(path)).tensors[3].data.tolist() == want


def test_division_by_zero_is_refused_in_one_line(tmp_path):
    tensors = [T("x", (1, 3), "INT8", 0.1, 0), T("a", (1,), I32, data=np.array([4], np.int32)),
               T("b", (1,), I32, data=np.array([0], np.int32)), T("c", (1,), I32), T("y", (1, 3), "INT8", 0.1, 0)]
    path = tmp_path / "m.tflite"
    path.write_bytes(build(tensors, [Op("DIV", [1, 2], [3]), Op("RELU", [0], [4])], [0], [4]))
    with pytest.raises(TinyforgeError, match=r"^operator 0 \(DIV\) is not supported: a division by zero\. "):
        compile_model(load_model(path))
