"""codegen.verify.hostrun: the generated model.c built with the host's gcc gives TFLite's reference bytes."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from codegen.errors import TinyforgeError
from codegen.verify.hostrun import build_host_executable, run_on_host
from codegen.verify.reference import reference_outputs
from codegen.model.tflite_model import load_model

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODELS = ROOT.parent / "shared" / "models"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc not installed")


def seeded_cases(model_path: Path, count: int, seed: int = 7) -> list[list[np.ndarray]]:
    model = load_model(model_path)
    rng = np.random.default_rng(seed)
    return [[rng.integers(-128, 128, model.tensors[i].shape, dtype=np.int8) for i in model.inputs]
            for _ in range(count)]


def shared(name: str):
    path = SHARED_MODELS / f"{name}.tflite"
    return pytest.param(path, id=name,
                        marks=pytest.mark.skipif(not path.is_file(), reason="../shared models not present"))


@pytest.mark.parametrize("model_path", [
    shared("hello_world_int8"), shared("micro_speech_quantized"), shared("tflite_micro_speech"),
    shared("kws_ref_model"), pytest.param(ROOT / "models" / "kws_yes_no.tflite", id="default"),
])
def test_host_build_is_bit_exact_with_reference(model_path, tmp_path):
    cases = seeded_cases(model_path, 6)
    got = run_on_host(model_path, cases, tmp_path)
    want = reference_outputs(model_path, cases)
    assert len(got) == len(want) == 6
    for ours, theirs in zip(got, want):
        assert [o.shape for o in ours] == [t.shape for t in theirs]
        assert [o.dtype for o in ours] == [t.dtype for t in theirs]
        assert all(o.tobytes() == t.tobytes() for o, t in zip(ours, theirs))


def test_executable_is_cached_per_model(tmp_path):
    model_path = ROOT / "models" / "kws_yes_no.tflite"
    exe = build_host_executable(model_path, tmp_path)
    stamp = exe.stat().st_mtime_ns
    assert build_host_executable(model_path, tmp_path) == exe
    assert exe.stat().st_mtime_ns == stamp
    assert load_model(model_path).sha256[:24] in exe.parent.name
    # The host program is built from the same generated model.c the firmware compiles.
    assert "DO NOT EDIT" in (exe.parent / "model.c").read_text()
    assert "static uint8_t model_arena" in (exe.parent / "model.c").read_text()


def test_wrong_input_size_is_one_line_error(tmp_path):
    model_path = ROOT / "models" / "kws_yes_no.tflite"
    model = load_model(model_path)
    model_input = model.tensors[model.inputs[0]]
    with pytest.raises(TinyforgeError) as info:
        run_on_host(model_path, [[np.zeros(3, np.int8)]], tmp_path)
    assert str(info.value) == f"case 0: input '{model_input.name}' needs {model_input.size} values, got 3"
