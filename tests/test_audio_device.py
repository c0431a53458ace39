"""firmware/audio/microfrontend.c against codegen/features/microfrontend.py, byte for byte.

Three levels: the C built for the host (hundreds of clips, fed in chunks from 1
sample to a whole clip); the C cross-compiled and run in the emulator on each
board, on TFLM's four clips; and ``scons ... test frontend=device``, where the
test firmware embeds PCM, computes its own features and runs the model.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.target.boards import load_board
from codegen.verify.emulator import run_firmware
from codegen.features import frontend_tables, get_recipe, microfrontend
from codegen.features.firmware import render_frontend_sources
from codegen.wav import read_wav

from test_microfrontend import synthesized_clips
from codegen.paths import build_root

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
SHARED = ROOT.parent / "shared"
SHARED_CLIPS = ["yes_1000ms", "no_1000ms", "noise_1000ms", "silence_1000ms"]
MODEL = SHARED / "models" / "micro_speech_quantized.tflite"
SCONS = Path(sys.executable).with_name("scons")
needs_shared = pytest.mark.skipif(not MODEL.is_file(), reason="../shared reference data absent")
needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")


def _report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n  {text}", end="")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc not installed")
def test_c_frontend_on_host_matches_numpy(tmp_path, capsys):
    recipe = get_recipe("micro_speech")
    render_frontend_sources(recipe, tmp_path)
    exe = tmp_path / "frontend"
    subprocess.run(["gcc", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{tmp_path}", f"-I{FIRMWARE / 'include'}",
                    str(FIRMWARE / "audio" / "microfrontend.c"), str(tmp_path / "audio_frontend_tables.c"),
                    str(ROOT / "tests" / "firmware" / "frontend_host_driver.c"), "-o", str(exe)], check=True)
    clips = synthesized_clips()
    want = microfrontend.process(np.stack(clips), frontend_tables(recipe))
    data = b"".join(np.uint32(len(c)).tobytes() + c.tobytes() for c in clips)
    for chunk in (1, 7, 320, 16000):
        out = subprocess.run([str(exe), str(chunk)], input=data, capture_output=True, check=True).stdout
        got = np.frombuffer(out, np.uint16).reshape(want.shape)
        mismatched = [i for i in range(len(clips)) if not np.array_equal(got[i], want[i])]
        assert not mismatched, f"chunk {chunk}: clips {mismatched} differ"
    _report(capsys, f"C frontend (host gcc) vs numpy: {len(clips)}/{len(clips)} clips x 4 chunk sizes byte-identical")


@needs_shared
@needs_toolchain
@pytest.mark.parametrize("board", ["bluepill", "efr32mg12", "efr32mg24"])
def test_c_frontend_in_emulator_matches_host(board, build_firmware, tmp_path, capsys):
    if not (ROOT / "boards" / f"{board}.toml").is_file():
        pytest.skip(f"no board file for {board}")
    recipe = get_recipe("micro_speech")
    gen = tmp_path / "gen"
    render_frontend_sources(recipe, gen)
    elf = build_firmware(["frontend_clips.c", FIRMWARE / "audio" / "microfrontend.c",
                          FIRMWARE / "audio" / "stream_input.c", gen / "audio_frontend_tables.c"],
                         name="frontend", board=board, out_dir=gen)
    clips = [read_wav(SHARED / "audio" / f"{c}.wav") for c in SHARED_CLIPS]
    run = run_firmware(elf, load_board(board), max_instructions=200_000_000,
                       files={f"clip{i}.pcm": c.tobytes() for i, c in enumerate(clips)})
    assert run.exit_code == 0 and run.fault is None, run.console[-500:]
    got: dict[int, list[bytes]] = {}
    for line in run.console.splitlines():
        if line.startswith("slice "):
            _, clip, hexes = line.split()
            got.setdefault(int(clip), []).append(bytes.fromhex(hexes))
    want = microfrontend.process(np.stack(clips), frontend_tables(recipe))
    for i, name in enumerate(SHARED_CLIPS):
        features = np.frombuffer(b"".join(got.get(i, [])), "<u2").reshape(-1, recipe.channels)
        assert features.shape == (49, 40), name
        assert np.array_equal(features, want[i]), f"{name} on {board}"
    _report(capsys, f"C frontend in the emulator on {board}: 4/4 shared clips (196 slices) byte-identical to the host")


def _scons(*args):
    return subprocess.run([str(SCONS), "-Q", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


@needs_shared
@needs_toolchain
@pytest.mark.parametrize("board, clips", [("bluepill", ["yes_1000ms"]), ("efr32mg12", SHARED_CLIPS)])
def test_scons_frontend_device(board, clips, capsys):
    # bluepill's 64 KB flash holds the model and one second of PCM, not four
    if not (ROOT / "boards" / f"{board}.toml").is_file():
        pytest.skip(f"no board file for {board}")
    inputs = " ".join(str(SHARED / "audio" / f"{c}.wav") for c in clips)
    proc = _scons(f"board={board}", "test", f"model={MODEL}", f"inputs={inputs}", "frontend=device")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == f"{len(clips)} passed, 0 failed"
    run = json.loads((build_root() / board / "micro_speech_quantized-device-frontend" / "results.json").read_text())
    expected = json.loads((SHARED / "expected" / "micro_speech_features_and_outputs.json").read_text())
    assert run["frontend"] == "device"
    for case in run["cases"]:
        assert case["input"] == case["host_features"] == expected["samples"][case["name"]]["features_int8"]
        assert case["output"] == case["reference"]
        assert case["frontend_instructions"] > 0
    per_hop = max(c["frontend_instructions"] for c in run["cases"]) // 49
    _report(capsys, f"scons frontend=device on {board}: {len(clips)} clips, device features == host == shared "
                    f"expected; frontend ~{per_hop:,} instr per slice")


def test_frontend_device_refuses_npy_inputs(tmp_path):
    from codegen.errors import TinyforgeError
    from codegen.features.firmware import check_device_frontend_cases
    from codegen.verify.cases import TestCase
    case = TestCase("v", "x.npy", [np.zeros((1, 1960), np.int8)])
    with pytest.raises(TinyforgeError, match="input 'v' is not a .wav clip"):
        check_device_frontend_cases([case], get_recipe("micro_speech"))
