"""``scons profile`` / ``python -m codegen profile``: per-layer counts that add up, outputs still bit-exact,
and the tuned kernels of every core (plain C on Cortex-M3, DSP on M4/M33) checked in the emulator."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.errors import TinyforgeError
from codegen.verify.profile import layer_counts
from codegen.paths import build_root

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT.parent / "shared" / "models"
SCONS = Path(sys.executable).with_name("scons")

needs_build = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or not MODELS.is_dir(),
                                 reason="needs arm-none-eabi-gcc and ../shared/models")


def profile(board: str, stem: str) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run([str(SCONS), "-Q", f"board={board}", f"model={MODELS / (stem + '.tflite')}", "vectors=2",
                           "profile"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    path = build_root() / board / stem / "profile.json"
    return proc, json.loads(path.read_text()) if path.is_file() else {}


def test_layer_counts_splits_the_first_inference():
    hits = [("tf_marker_begin", 100), ("model_layer_0", 103), ("model_layer_2", 150), ("tf_marker_end", 400),
            ("tf_marker_begin", 500), ("model_layer_0", 503)]
    assert layer_counts(hits, ["model_layer_0", "model_layer_2"]) == (300, [47, 250])


def test_layer_counts_names_missing_layers():
    hits = [("tf_marker_begin", 0), ("model_layer_0", 3), ("tf_marker_end", 9)]
    with pytest.raises(TinyforgeError, match=r"expected the layers \['model_layer_0', 'model_layer_1'\] in order"):
        layer_counts(hits, ["model_layer_0", "model_layer_1"])


@needs_build
def test_profile_micro_speech_adds_up_and_is_bit_exact():
    proc, p = profile("bluepill", "micro_speech_quantized")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(p) >= {"instructions_per_inference", "flash_bytes", "ram_bytes", "layers"}
    assert set(p["flash_bytes"]) >= {"code", "weights", "total"}
    assert set(p["ram_bytes"]) == {"arena", "static", "stack_peak", "total"}
    assert p["bit_exact"] and p["cases_checked"] == 2
    assert [layer["operator"] for layer in p["layers"]] == ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                                                            "SOFTMAX"]
    assert sum(layer["instructions"] for layer in p["layers"]) + p["call_overhead"] == p["instructions_per_inference"]
    # the latency estimate: per layer and in total, at least one cycle per instruction on this Cortex-M3
    assert sum(layer["estimated_cycles"] for layer in p["layers"]) + p["estimated_call_overhead_cycles"] == \
        p["estimated_cycles_per_inference"]
    assert p["estimated_cycles_per_inference"] > p["instructions_per_inference"]
    assert p["estimated_ms_per_inference"] == pytest.approx(p["estimated_cycles_per_inference"] / 72_000, abs=1e-4)
    assert "latency (estimate)" in proc.stdout and "cortex-m3: taken branch 1+2" in proc.stdout
    f, r = p["flash_bytes"], p["ram_bytes"]
    assert f["code"] + f["weights"] + f["other_constants"] == f["deployable"]
    assert f["deployable"] + f["test_application"] + f["test_data"] == f["total"]
    assert f["test_data"] >= 1960                 # one embedded 49x40 input and TFLite's output for it
    assert r["arena"] + r["static"] + r["stack_peak"] == r["total"]
    assert p["layers"][1]["macs"] == 25 * 20 * 8 * 10 * 8
    assert (build_root() / "bluepill" / "micro_speech_quantized" / "profile.png").stat().st_size > 0
    # The CLI profiles the same build and prints the same table.
    cli = subprocess.run([sys.executable, "-m", "codegen", "profile", str(build_root() / "bluepill" / "micro_speech_quantized"),
                          "--board", "bluepill"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert f"{p['instructions_per_inference']:,}" in cli.stdout


@needs_build
@pytest.mark.parametrize("board", ["efr32mg12", "efr32mg24"])
def test_dsp_kernels_are_bit_exact_in_the_emulator(board):
    """DS-CNN takes every tuned DSP path (tap-pairs conv, SMLAD pointwise, the 3x3 depthwise with int16-pair
    weights, blocked FC) on a core whose board file declares the DSP extension."""
    if not (ROOT / "boards" / f"{board}.toml").is_file():
        pytest.skip(f"no boards/{board}.toml")
    proc, p = profile(board, "kws_ref_model")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert p["bit_exact"]
    kernels = {layer["kernel"] for layer in p["layers"]}
    assert {"conv2d_tap_pairs_s8", "pointwise_conv_s8", "depthwise_conv2d_3x3_s8", "fully_connected_fast_s8"} <= kernels
    assert not {"packed_conv_s8", "depthwise_conv2d_s8", "depthwise_conv2d_fast_s8"} & kernels


def test_profile_cli_says_what_is_missing(tmp_path):
    cli = subprocess.run([sys.executable, "-m", "codegen", "profile", str(tmp_path), "--board", "bluepill"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode != 0
    assert f"{tmp_path / 'firmware.elf'} not found: build first with scons board=bluepill model=..." in cli.stderr
