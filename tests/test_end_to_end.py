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
from codegen.paths import build_root
from parallel_runs import ParallelRuns, by_kernel_build

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCONS = Path(sys.executable).with_name("scons")
EXPECTED = SHARED / "expected" / "micro_speech_features_and_outputs.json"
SHARED_CLIPS = ["yes_1000ms", "no_1000ms", "noise_1000ms", "silence_1000ms"]

needs_shared = pytest.mark.skipif(not EXPECTED.is_file(), reason="../shared reference data not present")
needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed (run scripts/bootstrap)")
pytestmark = needs_toolchain
# What a board file decides (its startup, clocks, UART and memory map: boards/<name>.toml) is tested on every
# board: the demo and the fit messages. What the kernels decide (bit-exact outputs of the shared models, the
# refusal of an unsupported operator) is tested on the first board of each kernel build: boards that compile
# their kernels with the same flags link the same objects and the same generated model code.
from codegen.target.boards import known_boards  # noqa: E402
from firmware_build import boards_by_kernel_build  # noqa: E402
BOARDS = known_boards()   # every board file: a new board is tested as soon as it exists
KERNEL_BUILD_BOARDS = [boards[0] for boards in boards_by_kernel_build().values()]


def scons(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCONS), "-Q", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def summary_line(output: str) -> str:
    return [line for line in output.splitlines() if line.endswith(" failed")][-1]


def results(board: str, model_stem: str) -> dict:
    return json.loads((build_root() / board / model_stem / "results.json").read_text())


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED.read_text())


@pytest.fixture(scope="module", params=BOARDS)
def default_demo(request):
    return request.param, scons(f"board={request.param}", "test")


def test_default_model_demo_prints_right_labels(default_demo):
    board, default_demo = default_demo
    assert default_demo.returncode == 0, default_demo.stdout + default_demo.stderr
    run = results(board, "kws_yes_no")
    labels = {case["name"]: case["label"] for case in run["cases"]}
    # The demo clips are named for what they say; "house" is a word the model files under unknown.
    assert labels == {"yes": "yes", "no": "no", "house": "unknown", "silence": "silence"}
    assert summary_line(default_demo.stdout) == "4 passed, 0 failed"
    for case in run["cases"]:
        assert case["output"] == case["reference"]


def test_default_build_prints_size_report(default_demo):
    board, default_demo = default_demo
    from codegen.target.boards import load_board
    spec = load_board(board)
    assert f"size report ({board}):" in default_demo.stdout
    assert f"/ {spec.flash.length:>9,} bytes" in default_demo.stdout
    assert f"/ {spec.ram.length:>9,} bytes" in default_demo.stdout


def test_fit_estimate_is_close_to_what_links(default_demo):
    """inspect --board's estimate, before any linking, against the deployable figure of the real build."""
    import re
    from codegen.compiler.select import Target
    from codegen.model.tflite_model import load_model
    from codegen.pipeline import compile_model
    from codegen.target.boards import load_board
    from codegen.target.fit import estimate
    board, run = default_demo
    linked = int(re.search(r"deployed without the test application and its data: flash ([\d,]+), RAM ([\d,]+)",
                           run.stdout).group(1).replace(",", ""))
    b = load_board(board)
    fit = estimate(compile_model(load_model(ROOT / "models" / "kws_yes_no.tflite"), Target.of(b)), b)
    assert abs(fit.flash - linked) <= 0.05 * linked, (fit.flash, linked)


def test_build_outputs_exist(default_demo):
    board, _ = default_demo
    out = build_root() / board / "kws_yes_no"
    for name in ["firmware.elf", "firmware.bin", "firmware.hex", "firmware.map", "results.json",
                 "gen/model.c", "gen/model.h", "gen/app_config.h", "gen/test_inputs.c", "gen/linker.ld", "gen/board.h"]:
        assert (out / name).is_file(), name
    assert "DO NOT EDIT" in (out / "gen" / "model.c").read_text()


def scons_test_run(name: str, params: dict) -> tuple[subprocess.CompletedProcess, dict | None]:
    """One selected item's ``scons test`` (uncounted) and the results.json it wrote, read before the board's next
    run replaces it."""
    board = params["board"]
    if name == "test_shared_model_on_shared_clips_is_bit_exact":
        model = SHARED / "models" / (params["model"] + ".tflite")
        clips = " ".join(str(SHARED / "audio" / f"{c}.wav") for c in SHARED_CLIPS)
        run = scons(f"board={board}", "test", f"model={model}", f"inputs={clips}", "count=no")
    else:
        model = params["model"]
        run = scons(f"board={board}", "test", f"model={model}", "vectors=5", "count=no")
    return run, results(board, model.stem) if run.returncode == 0 else None


@pytest.fixture(scope="module")
def scons_runs(request):
    """The shared-model and random-vector runs of every selected board, two boards at a time."""
    runs = ParallelRuns(request, {"test_shared_model_on_shared_clips_is_bit_exact", "test_random_vectors_bit_exact"},
                        scons_test_run, group=by_kernel_build)
    yield runs
    runs.close()


@needs_shared
@pytest.mark.parametrize("board", KERNEL_BUILD_BOARDS)
@pytest.mark.parametrize("model, want_labels", [
    ("micro_speech_quantized", ["yes", "no", "silence", "silence"]),
    ("tflite_micro_speech", ["yes", "no", "_unknown_", "_unknown_"]),
])
def test_shared_model_on_shared_clips_is_bit_exact(model, want_labels, expected, board, scons_runs, request):
    # Judged by features, outputs and labels; the demo (default_demo) and the benchmarks count instructions.
    run, result = scons_runs.result(request)
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary_line(run.stdout) == "4 passed, 0 failed"
    cases = result["cases"]
    assert [c["name"] for c in cases] == SHARED_CLIPS
    assert [c["label"] for c in cases] == want_labels
    for case in cases:
        sample = expected["samples"][case["name"]]
        assert case["input"] == sample["features_int8"], f"{case['name']}: features differ"
        assert case["output"] == sample["outputs"][model + ".tflite"], f"{case['name']}: output differs"
        assert case["output"] == case["reference"]


@pytest.mark.parametrize("board", KERNEL_BUILD_BOARDS)
@pytest.mark.parametrize("model", [
    pytest.param(SHARED / "models" / "micro_speech_quantized.tflite", marks=needs_shared, id="micro_speech"),
    pytest.param(SHARED / "models" / "tflite_micro_speech.tflite", marks=needs_shared, id="mltk"),
    pytest.param(SHARED / "models" / "kws_ref_model.tflite", marks=needs_shared, id="mlperf_ds_cnn"),
    pytest.param(ROOT / "models" / "kws_yes_no.tflite", id="default"),
])
def test_random_vectors_bit_exact(model, board, scons_runs, request):
    # Judged by outputs only: uncounted runs are several times faster (the counts are the benchmarks' business).
    run, result = scons_runs.result(request)
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary_line(run.stdout) == "5 passed, 0 failed"
    cases = result["cases"]
    assert len(cases) == 5 and all(c["output"] == c["reference"] for c in cases)


@needs_shared
@pytest.mark.parametrize("board", ["efr32mg12"])
def test_lstm_model_bit_exact(board):
    # 124 KB of weights: needs a board with more flash than bluepill's 64 KB.
    run = scons(f"board={board}", "test", f"model={SHARED / 'models' / 'micro_speech_lstm.tflite'}", "vectors=5",
                "count=no")
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary_line(run.stdout) == "5 passed, 0 failed"
    cases = results(board, "micro_speech_lstm")["cases"]
    assert len(cases) == 5 and all(c["output"] == c["reference"] for c in cases)


@pytest.fixture(scope="module")
def log_model(tmp_path_factory) -> Path:
    """A full-int8 model whose only operator, LOG, has no kernel here."""
    import numpy as np
    import tensorflow as tf
    path = tmp_path_factory.mktemp("unsupported") / "log_model.tflite"
    rng = np.random.default_rng(0)
    model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Lambda(tf.math.log)])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.uniform(0.1, 2, (1, 8)).astype(np.float32)] for _ in range(8))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    path.write_bytes(converter.convert())
    return path


@pytest.mark.parametrize("board", KERNEL_BUILD_BOARDS)
def test_unsupported_operator_stops_before_compiling(board, log_model):
    run = scons(f"board={board}", f"model={log_model}")
    assert run.returncode != 0
    assert ("error: operator 0 (LOG) is not supported: no kernel for this operator. "
            "Supported: ") in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "arm-none-eabi-gcc" not in run.stdout and "cc:" not in run.stdout


def test_a_model_too_big_for_the_board_stops_before_compiling():
    """The fit check runs first: VWW's weights alone overflow the Blue Pill's 64 KB of flash."""
    model = SHARED / "models" / "vww_96_int8.tflite"
    if not model.is_file():
        pytest.skip("../shared reference models absent")
    from codegen.model.tflite_model import load_model
    from codegen.pipeline import compile_model
    from codegen.compiler.select import Target
    from codegen.target.boards import load_board
    board = load_board("bluepill")
    compiled = compile_model(load_model(model), Target.of(board))
    run = scons("board=bluepill", f"model={model}", "vectors=1")
    assert run.returncode != 0
    flash_over = compiled.weight_bytes - board.flash.length
    ram_over = compiled.arena_size + board.stack_reserve - board.ram.length
    line = next(x for x in run.stderr.splitlines() if x.startswith("error:"))
    assert line == (
        f"error: the firmware does not fit bluepill: FLASH overflowed by {flash_over:,} bytes (the region is "
        f"65,536 bytes): the weights and parameters alone are {compiled.weight_bytes:,} bytes, before any code; "
        f"RAM overflowed by {ram_over:,} bytes (the region is 20,480 bytes): arena {compiled.arena_size:,} + "
        f"stack reserve {board.stack_reserve:,}, before static data; it fits efr32mg12, efr32mg24, nano33ble, "
        f"nrf52840dk, nucleo_f207zg, nucleo_l4r5zi, rpi_pico, stm32f746g_disco")
    assert "cc:" not in run.stdout and "link:" not in run.stdout and "Traceback" not in run.stderr


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("region, small", [
    # 16 KB of flash cannot hold the default model's weights plus code.
    ("FLASH", 0x4000),
    # 6 KB of RAM cannot hold the default model's arena plus the board's stack reserve.
    ("RAM", 0x1800),
])
def test_firmware_that_does_not_fit_says_by_how_much(tmp_path, region, small, board):
    import re
    from codegen.target.boards import load_board
    from codegen.pipeline import compile_model
    from codegen.model.tflite_model import load_model
    reserve = load_board(board).stack_reserve
    arena = compile_model(load_model(ROOT / "models" / "kws_yes_no.tflite")).arena_size
    want = {"FLASH": "FLASH overflowed by ", "RAM": "RAM overflowed by "}[region]
    text = (ROOT / "boards" / f"{board}.toml").read_text()
    text = text.replace(f'name = "{board}"', f'name = "tiny{region.lower()}"')
    section = f"[memory.{region.lower()}]"
    text = re.sub(re.escape(section) + r"\norigin = (\w+)\nlength = \w+",
                  lambda m: f"{section}\norigin = {m.group(1)}\nlength = {small:#x}", text)
    path = tmp_path / f"tiny{region.lower()}.toml"
    path.write_text(text)
    run = scons(f"board={path}", f"model={ROOT / 'models' / 'kws_yes_no.tflite'}", "vectors=1")
    assert run.returncode != 0
    assert f"error: the firmware does not fit tiny{region.lower()}: {want}" in run.stderr
    if region == "RAM":
        # the arena and the stack reserve, plus the firmware's few static bytes (the nRF console's EasyDMA byte)
        over = int(re.search(r"RAM overflowed by ([\d,]+) bytes", run.stderr).group(1).replace(",", ""))
        assert 0 <= over - (arena + reserve - small) < 64, run.stderr
        assert f"(the region is {small:,} bytes)" in run.stderr
    assert "Traceback" not in run.stderr
