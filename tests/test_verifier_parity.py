"""Models TFLite or TFLM run are not refused for a field no kernel reads: a bias tensor's quantization.
MCUNet's negative bias scale (TFLite runs it) and TFLM person_detect's per-channel bias axis outside the
bias's shape (TFLM runs it; TFLite's Python interpreter refuses the file, so the oracle runs a corrected
copy and the build says so). Both build bit-exact. And keyword_scrambled's int8 SOFTMAX with an int16
output at zero point -32768, which TFLite requires: it builds, bit-exact on the host and in the emulator."""
from __future__ import annotations

import numpy as np
import pytest

from codegen.errors import TinyforgeError
from codegen.model.tflite_model import load_model
from codegen.verify.hostrun import run_on_host
from codegen.verify.reference import oracle_copy, oracle_note, reference_outputs
from tflite_builder import Op, T, build

CHANNELS = 8


def conv_model(tmp_path, bias_scales, bias_axis: int = 0, weight_scale_count: int = CHANNELS) -> tuple:
    rng = np.random.default_rng(3)
    weights = rng.integers(-127, 128, (CHANNELS, 3, 3, 3), dtype=np.int8)
    bias = rng.integers(-2000, 2000, (CHANNELS,), dtype=np.int32)
    w_scales = list(np.linspace(0.002, 0.01, weight_scale_count))
    tensors = [T("input", (1, 6, 6, 3), "INT8", 0.05, -2),
               T("weights", weights.shape, "INT8", w_scales if weight_scale_count > 1 else w_scales[0], 0, weights),
               T("bias", bias.shape, "INT32", bias_scales, 0, bias, quantized_dimension=bias_axis),
               T("output", (1, 6, 6, CHANNELS), "INT8", 0.08, 5)]
    ops = [Op("CONV_2D", [0, 1, 2], [3], ("Conv2DOptions", {"Padding": 0, "StrideW": 1, "StrideH": 1}))]
    path = tmp_path / "conv.tflite"
    path.write_bytes(build(tensors, ops, [0], [3]))
    return path


def bit_exact(path, tmp_path, shape=(1, 6, 6, 3)):
    cases = [[np.random.default_rng(seed).integers(-128, 128, shape, dtype=np.int8)] for seed in (1, 2)]
    ours = run_on_host(path, cases, tmp_path / "host")
    theirs = reference_outputs(path, cases)
    assert [[o.tobytes() for o in c] for c in ours] == [[o.tobytes() for o in c] for c in theirs]


def test_negative_bias_scale_is_accepted_and_bit_exact(tmp_path):
    path = conv_model(tmp_path, [-9.2e-10] + [1e-4] * (CHANNELS - 1))
    model = load_model(path)
    assert model.oracle_fixes == [] and oracle_copy(model) == path     # TFLite runs the file as it is
    bit_exact(path, tmp_path)


def test_bias_axis_outside_its_shape_is_accepted_and_the_oracle_runs_a_corrected_copy(tmp_path):
    import tensorflow as tf
    path = conv_model(tmp_path, [1e-4] * CHANNELS, bias_axis=3)
    with pytest.raises(Exception):            # the property is real: TFLite's interpreter refuses the file
        tf.lite.Interpreter(model_path=str(path)).allocate_tensors()
    model = load_model(path)
    assert model.oracle_fixes == [(2, 3)]
    assert oracle_note(model) == ("note: TFLite refuses conv.tflite as it is: bias tensor(s) 2 ('bias', axis 3) put "
                                  "per-channel scales on an axis they do not have, which TFLM and tinyforge ignore; "
                                  "the oracle runs TFLite on a copy with that axis set to 0")
    copy = oracle_copy(model)
    assert copy != path and load_model(copy).oracle_fixes == []
    bit_exact(path, tmp_path)


def test_the_same_fault_on_a_tensor_the_kernels_read_is_still_refused(tmp_path):
    """A negative scale on the weights: that one is read, and every requantization multiplier comes from it."""
    bad = tmp_path / "bad.tflite"
    rng = np.random.default_rng(3)
    weights = rng.integers(-127, 128, (CHANNELS, 3, 3, 3), dtype=np.int8)
    tensors = [T("input", (1, 6, 6, 3), "INT8", 0.05, -2), T("weights", weights.shape, "INT8", -0.01, 0, weights),
               T("output", (1, 6, 6, CHANNELS), "INT8", 0.08, 5)]
    bad.write_bytes(build(tensors, [Op("CONV_2D", [0, 1], [2], ("Conv2DOptions", {"Padding": 0, "StrideW": 1,
                                                                                  "StrideH": 1}))], [0], [2]))
    with pytest.raises(TinyforgeError) as error:
        load_model(bad)
    assert str(error.value) == (f"{bad}: not a valid TFLite model: tensor 1 ('weights') has quantization scale "
                                "-0.009999999776482582; scales must be positive")


def softmax_int16_model(tmp_path, zero_point: int = -32768):
    tensors = [T("logits", (2, 12), "INT8", 0.1, 5), T("probabilities", (2, 12), "INT16", 1 / 65536, zero_point)]
    path = tmp_path / "softmax16.tflite"
    path.write_bytes(build(tensors, [Op("SOFTMAX", [0], [1], ("SoftmaxOptions", {"Beta": 1.0}))], [0], [1]))
    return path


def test_int8_softmax_with_int16_output_is_bit_exact(tmp_path):
    path = softmax_int16_model(tmp_path)
    cases = [[np.random.default_rng(seed).integers(-128, 128, (2, 12), dtype=np.int8)] for seed in range(6)]
    ours = run_on_host(path, cases, tmp_path / "host")
    theirs = reference_outputs(path, cases)
    assert [[o.tobytes() for o in c] for c in ours] == [[o.tobytes() for o in c] for c in theirs]


def test_int8_softmax_with_int16_output_on_a_board(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    path = softmax_int16_model(tmp_path)
    root = Path(__file__).resolve().parent.parent
    for board in ("bluepill", "efr32mg24"):
        proc = subprocess.run([str(Path(sys.executable).with_name("scons")), "-Q", f"board={board}", f"model={path}",
                               "vectors=4", "test"], cwd=root, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert proc.stdout.strip().splitlines()[-1] == "4 passed, 0 failed"


def test_an_int16_zero_point_elsewhere_is_still_refused(tmp_path):
    tensors = [T("x", (1, 12), "INT16", 1 / 65536, -32768), T("y", (1, 12), "INT16", 1 / 32768, 0)]
    path = tmp_path / "tanh16.tflite"
    path.write_bytes(build(tensors, [Op("TANH", [0], [1])], [0], [1]))
    with pytest.raises(TinyforgeError) as error:
        load_model(path)
    assert str(error.value) == (f"{path}: not a valid TFLite model: tensor 0 ('x') is INT16 with zero point -32768, "
                                "outside [0, 0]")


def test_an_operator_version_the_reference_resolver_lacks_runs_on_a_copy_saying_the_version_it_has(tmp_path):
    """The converter writes int8 DEPTH_TO_SPACE as version 2; TFLite's reference resolver registers version 1
    only, and that reference kernel computes int8. The model is accepted, and the oracle's copy says version 1."""
    import tensorflow as tf
    path = tmp_path / "d2s.tflite"
    path.write_bytes(build([T("x", (1, 2, 3, 8), "INT8", 0.1, 4), T("y", (1, 4, 6, 2), "INT8", 0.1, 4)],
                           [Op("DEPTH_TO_SPACE", [0], [1], ("DepthToSpaceOptions", {"BlockSize": 2}), version=2)],
                           [0], [1]))
    with pytest.raises(Exception, match="version '2'"):    # the property is real
        tf.lite.Interpreter(model_path=str(path), experimental_op_resolver_type=
                            tf.lite.experimental.OpResolverType.BUILTIN_REF).allocate_tensors()
    model = load_model(path)
    assert oracle_note(model) == ("note: TFLite's reference resolver registers DEPTH_TO_SPACE at version 1 only, "
                                  "and its reference kernel computes version 2 too; the oracle runs TFLite on a "
                                  "copy that says version 1")
    copy = oracle_copy(model)
    assert copy != path and [op.version for op in load_model(copy).operators] == [1]
    bit_exact(path, tmp_path, (1, 2, 3, 8))
