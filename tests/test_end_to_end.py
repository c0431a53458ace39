"""End to end, as a user runs it: ``scons board=bluepill test ...`` builds real
firmware with arm-none-eabi-gcc, runs it in the emulator, and every output is
compared byte-for-byte with TFLite's reference kernels."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCONS = Path(sys.executable).with_name("scons")
EXPECTED = SHARED / "expected" / "micro_speech_features_and_outputs.json"
SHARED_CLIPS = ["yes_1000ms", "no_1000ms", "noise_1000ms", "silence_1000ms"]

needs_shared = pytest.mark.skipif(not EXPECTED.is_file(), reason="../shared reference data not present")
needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed (run scripts/bootstrap)")
pytestmark = needs_toolchain


def scons(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCONS), "-Q", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def summary_line(output: str) -> str:
    return [line for line in output.splitlines() if line.endswith(" failed")][-1]


def results(board: str, model_stem: str) -> dict:
    return json.loads((ROOT / "build" / board / model_stem / "results.json").read_text())


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED.read_text())


@pytest.fixture(scope="module")
def default_demo():
    return scons("board=bluepill", "test")


def test_default_model_demo_prints_right_labels(default_demo):
    assert default_demo.returncode == 0, default_demo.stdout + default_demo.stderr
    run = results("bluepill", "kws_yes_no")
    labels = {case["name"]: case["label"] for case in run["cases"]}
    # The demo clips are named for what they say; "house" is a word the model files under unknown.
    assert labels == {"yes": "yes", "no": "no", "house": "unknown", "silence": "silence"}
    assert summary_line(default_demo.stdout) == "4 passed, 0 failed"
    for case in run["cases"]:
        assert case["output"] == case["reference"]


def test_default_build_prints_size_report(default_demo):
    assert "size report (bluepill):" in default_demo.stdout
    assert "/    65,536 bytes" in default_demo.stdout and "/    20,480 bytes" in default_demo.stdout


def test_build_outputs_exist(default_demo):
    out = ROOT / "build" / "bluepill" / "kws_yes_no"
    for name in ["firmware.elf", "firmware.bin", "firmware.hex", "firmware.map", "results.json",
                 "gen/model.c", "gen/model.h", "gen/main.c", "gen/test_inputs.c", "gen/linker.ld", "gen/board.h"]:
        assert (out / name).is_file(), name
    assert "DO NOT EDIT" in (out / "gen" / "model.c").read_text()


@needs_shared
@pytest.mark.parametrize("model, want_labels", [
    ("micro_speech_quantized", ["yes", "no", "silence", "silence"]),
    ("tflite_micro_speech", ["yes", "no", "_unknown_", "_unknown_"]),
])
def test_shared_model_on_shared_clips_is_bit_exact(model, want_labels, expected):
    clips = " ".join(str(SHARED / "audio" / f"{c}.wav") for c in SHARED_CLIPS)
    run = scons("board=bluepill", "test", f"model={SHARED / 'models' / (model + '.tflite')}", f"inputs={clips}")
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary_line(run.stdout) == "4 passed, 0 failed"
    cases = results("bluepill", model)["cases"]
    assert [c["name"] for c in cases] == SHARED_CLIPS
    assert [c["label"] for c in cases] == want_labels
    for case in cases:
        sample = expected["samples"][case["name"]]
        assert case["input"] == sample["features_int8"], f"{case['name']}: features differ"
        assert case["output"] == sample["outputs"][model + ".tflite"], f"{case['name']}: output differs"
        assert case["output"] == case["reference"]
        assert case["instructions"] > 0


@pytest.mark.parametrize("model", [
    pytest.param(SHARED / "models" / "micro_speech_quantized.tflite", marks=needs_shared, id="micro_speech"),
    pytest.param(SHARED / "models" / "tflite_micro_speech.tflite", marks=needs_shared, id="mltk"),
    pytest.param(ROOT / "models" / "kws_yes_no.tflite", id="default"),
])
def test_random_vectors_bit_exact(model):
    run = scons("board=bluepill", "test", f"model={model}", "vectors=5")
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary_line(run.stdout) == "5 passed, 0 failed"
    cases = results("bluepill", model.stem)["cases"]
    assert len(cases) == 5 and all(c["output"] == c["reference"] for c in cases)


@needs_shared
def test_unsupported_operator_stops_before_compiling():
    run = scons("board=bluepill", f"model={SHARED / 'models' / 'micro_speech_lstm.tflite'}")
    assert run.returncode != 0
    assert ("error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM) is not supported: no kernel for this operator. "
            "Supported: CONV_2D, DEPTHWISE_CONV_2D") in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "arm-none-eabi-gcc" not in run.stdout and "cc:" not in run.stdout


@pytest.mark.parametrize("region, field, small, want", [
    # 16 KB of flash cannot hold the default model's 16 KB of weights plus code.
    ("FLASH", "length = 0x10000", "length = 0x4000", "FLASH overflowed by "),
    # 8 KB of RAM: the 8,320-byte arena plus the 2,048-byte stack exceed it by exactly 2,176 bytes.
    ("RAM", "length = 0x5000", "length = 0x2000", "RAM overflowed by 2,176 bytes (the region is 8,192 bytes)"),
])
def test_firmware_that_does_not_fit_says_by_how_much(tmp_path, region, field, small, want):
    board = (ROOT / "boards" / "bluepill.toml").read_text()
    board = board.replace('name = "bluepill"', f'name = "tiny{region.lower()}"').replace(field, small)
    path = tmp_path / f"tiny{region.lower()}.toml"
    path.write_text(board)
    run = scons(f"board={path}", f"model={ROOT / 'models' / 'kws_yes_no.tflite'}", "vectors=1")
    assert run.returncode != 0
    assert f"error: the firmware does not fit tiny{region.lower()}: {want}" in run.stderr
    assert "Traceback" not in run.stderr
