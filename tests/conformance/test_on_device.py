"""A representative subset of the conformance cases, built as firmware for one board of each kernel build (the
compiler flags the kernels take: Cortex-M3 bluepill, Cortex-M4F efr32mg12, Cortex-M33 efr32mg24, Cortex-M0+
rpi_pico, Cortex-M7 stm32f746g_disco) and run in the emulator: every output byte must equal TFLite's
BUILTIN_REF, as on the host (test_conformance.py).

The subset is a rule, not a list: the first and the last case of every operator (and quantization mode) in
the cases_*.py files, so a new operator or mode is on the devices as soon as it has cases. Each case is its
own image, built the way tests/test_firmware_checks.py builds one (codegen.emit.generate.generate_firmware,
tests/firmware_build.py) and judged by codegen.verify.testrun.run_test, as ``scons test`` does; the kernels are
compiled once per board into a library.
"""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from codegen.paths import build_root
from cases import DEVICE_RESULTS, KERNEL_RUNS, LAYOUT_RUNS, kernels_called, load_cases
from codegen.target.boards import load_board
from codegen.emit.generate import generate_firmware
from codegen.verify import cases as model_inputs
from codegen.compiler.select import TWO_PIXEL_CORES, Target
from codegen.pipeline import compile_model
from codegen.verify.testrun import run_test
from codegen.model.tflite_model import load_model
from firmware_build import boards_by_kernel_build, compile_firmware, compile_kernel_library
from test_conformance import seeded_inputs

# one board per kernel build: a new board with new flags is tested as soon as its file exists
BOARDS = [boards[0] for boards in boards_by_kernel_build().values()]
WORK = build_root() / "conformance-device"


def representative_cases():
    groups: dict[tuple[str, str], list] = {}
    for case in load_cases():
        groups.setdefault((case.operator, case.quantization), []).append(case)
    return [case for group in groups.values() for case in dict.fromkeys([group[0], group[-1]])]


CASES = representative_cases()

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")


@pytest.fixture(scope="session")
def kernel_library():
    """Per board, built on first use in this session (so it always matches firmware/kernels)."""
    built = {}

    def library(board: str):
        if board not in built:
            built[board] = compile_kernel_library(WORK / board / "kernels", board)
        return built[board]
    return library


def device_build(board: str) -> str:
    """The build's name in the coverage table: the core, and whether its kernels take their DSP paths."""
    b = load_board(board)
    return f"{b.core} ({'DSP' if b.dsp else 'Thumb-2'})"


def run_case_on_device(case, board: str, kernel_library, optimize: str = "size") -> list[str]:
    """Build ``case`` for ``board`` (with the weight budget's ``optimize`` setting), run it in the emulator,
    assert bit-exact; returns the kernels it ran."""
    error = case.model_path.with_suffix(".error")
    assert not error.is_file(), f"the converter refused the case: {error.read_text().strip()}"
    model = load_model(case.model_path)
    inputs = seeded_inputs(model, int(case.key()[:8], 16))
    out_dir = WORK / board / (case.key() + ("-speed" if optimize == "speed" else ""))
    target = load_board(board)
    compiled = compile_model(model, Target.of(target, optimize))
    generated = generate_firmware(target, compiled,
                                  [model_inputs.TestCase(f"seeded{i}", "seeded", t) for i, t in enumerate(inputs)],
                                  None, out_dir, [])
    # firmware_build links its own startup; the kernels come from the board's library.
    sources = [s for s in generated.sources if s.name != "startup.c"] + [kernel_library(board)]
    elf = compile_firmware(sources, out_dir, board=board, name="conformance")
    report: list[str] = []
    # Judged by outputs only: uncounted, several times faster than counting every instruction.
    status = run_test(elf, target, generated.manifest, out_dir / "results.json", echo=report.append, count=False)
    assert status == 0, f"{case.name} on {board}:\n" + "\n".join(report)
    functions = [layer.function for layer in compiled.layers if layer.function]
    KERNEL_RUNS.update((f, device_build(board)) for layer in compiled.layers if layer.function
                       for f in kernels_called(layer))
    LAYOUT_RUNS.update((layer.function, layer.weight_layout, device_build(board))
                       for layer in compiled.layers if layer.function)
    return functions


# Firmware builds (gcc), the oracle (its own process) and the emulator (Unicorn, outside the GIL) overlap well,
# so the selected runs go two at a time, one per core of a CI machine; each test then reads its result.
PARALLEL_RUNS = max(1, min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def device_runs(request, converted, kernel_library):
    """(case key, board) -> (bit-exact?, the run's report, the kernels it ran), for every selected run."""
    wanted = [(item.callspec.params["case"], item.callspec.params["board"]) for item in request.session.items
              if getattr(item, "originalname", "") == "test_bit_exact_on_device"]
    for board in sorted({board for _, board in wanted}):
        kernel_library(board)          # built once per board, before the runs share it

    def run(case, board):
        try:
            return True, "", run_case_on_device(case, board, kernel_library)
        except AssertionError as failure:
            return False, str(failure), []
        except Exception as error:     # a build or emulator error is this run's failure, not the session's
            return False, f"{case.name} on {board}: {type(error).__name__}: {error}", []

    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {(case.key(), board): pool.submit(run, case, board) for case, board in wanted}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bit_exact_on_device(case, board, device_runs, request):
    DEVICE_RESULTS[request.node.nodeid, board] = False
    exact, report, _ = device_runs[case.key(), board]
    assert exact, report
    DEVICE_RESULTS[request.node.nodeid, board] = True


@pytest.mark.parametrize("board", BOARDS)
def test_every_kernel_the_board_can_choose_runs_on_it(board, converted, kernel_library, request):
    """The first and last case of each operator may never reach a kernel (the reference convolutions, the
    tap-pairs kernel): for each kernel (a function over a layout of its constants) the selector chooses for
    this board in some case but no case above ran here, the first case that reaches it runs on the board too;
    with optimize=speed when only that setting reaches it (a small model's ADD tables, or an LSTM's exp tables,
    never fit the default weight budget)."""
    representative = {c.key() for c in CASES}
    reached: dict[tuple[str, str], tuple] = {}
    differs = []      # cases where optimize=speed keeps layouts the weight budget gave up
    for case in load_cases():
        if case.model_path.is_file():
            compiled = compile_model(load_model(case.model_path), Target.of(load_board(board)))
            for layer in compiled.layers:
                if layer.function:
                    reached.setdefault((layer.function, layer.weight_layout), (case, "size"))
            if compiled.weight_budget.given_up:
                differs.append(case)
    for case in differs:
        for layer in compile_model(load_model(case.model_path), Target.of(load_board(board), "speed")).layers:
            if layer.function:
                reached.setdefault((layer.function, layer.weight_layout), (case, "speed"))
    ran = {(f, layout) for f, layout, build in LAYOUT_RUNS if build == device_build(board)}
    extra = {(case.key(), optimize): (case, optimize) for kernel, (case, optimize) in reached.items()
             if kernel not in ran and (case.key() not in representative or optimize == "speed")}
    for case, optimize in extra.values():
        name = f"{request.node.nodeid}[{case.name}{', optimize=speed' if optimize == 'speed' else ''}]"
        DEVICE_RESULTS[name, board] = False
        run_case_on_device(case, board, kernel_library, optimize)
        DEVICE_RESULTS[name, board] = True


# Kernels no converted model reaches, so no conformance case can run them. Each is named with the test that
# does check it; the coverage test fails if one of them starts to run (the entry is then stale).
NOT_REACHED_BY_CONVERTED_MODELS = {
    "fully_connected_s8": "asymmetric int8 weights, which TFLite's converter never writes; tests/test_kernels.py",
    "svdf_s8": "SVDF; tests/test_typed_io_and_stateful_ops.py",
    "softmax_s8_s16": "int8 SOFTMAX with an int16 output, which Keras models do not convert to; "
                      "tests/test_verifier_parity.py",
}
# conv2d_tap_pairs_s8 runs on every core: without the DSP extension, for layers the weight budget keeps in int8.
DSP_ONLY = {"depthwise_conv2d_3x3_s8", "unidirectional_sequence_lstm_paired_s8"}
# Chosen only for cores with SMLAL and no SMLAD (select.TWO_PIXEL_CORES); the host's conformance builds never
# choose it, and tests/test_kernels.py runs its plain C path against TFLite.
SMLAL_WITHOUT_DSP_ONLY = {"conv2d_tap_pairs_two_pixels_s8"}


def kernel_functions() -> list[str]:
    """Every kernel entry point declared in tinyforge/kernels.h."""
    import re
    from codegen.paths import FIRMWARE_DIR
    header = (FIRMWARE_DIR / "include" / "tinyforge" / "kernels.h").read_text()
    return sorted(set(re.findall(r"^void (\w+)\(", header, re.M)))


def coverage_table() -> tuple[list[str], list[str], dict]:
    """(builds, kernels, {(kernel, build): ran?, None where that build cannot choose the kernel, "elsewhere"
    for kernels no converted model reaches})."""
    from test_conformance import HOST_BUILDS
    builds = [HOST_BUILDS[False], HOST_BUILDS[True], *(device_build(b) for b in BOARDS)]
    can_choose = {HOST_BUILDS[False]: False, HOST_BUILDS[True]: True,
                  **{device_build(b): load_board(b).dsp for b in BOARDS}}
    two_pixels = {HOST_BUILDS[False]: False, HOST_BUILDS[True]: False,
                  **{device_build(b): load_board(b).core in TWO_PIXEL_CORES and not load_board(b).dsp for b in BOARDS}}
    table = {}
    for function in kernel_functions():
        for build in builds:
            if function in NOT_REACHED_BY_CONVERTED_MODELS:
                table[function, build] = "elsewhere"
            elif function in DSP_ONLY and not can_choose[build]:
                table[function, build] = None
            elif function in SMLAL_WITHOUT_DSP_ONLY and not two_pixels[build]:
                table[function, build] = None
            else:
                table[function, build] = (function, build) in KERNEL_RUNS
    return builds, kernel_functions(), table


def test_every_kernel_ran_on_every_build(request):
    """Coverage by construction: every kernel x build (host C paths with both layouts, each board's core with
    its Thumb-2 or DSP paths) that the selector can choose ran bit-exact in this session."""
    selected = {item.nodeid.split("[")[0] for item in request.session.items}
    needed = {"tests/conformance/test_conformance.py::test_bit_exact_with_tflite_reference",
              "tests/conformance/test_on_device.py::test_every_kernel_the_board_can_choose_runs_on_it"}
    if not needed <= selected:
        pytest.skip("needs the whole conformance suite in this session (host and on-device)")
    _, _, table = coverage_table()
    missing = sorted(f"{function} on {build}" for (function, build), ran in table.items() if ran is False)
    assert not missing, f"never ran: {', '.join(missing)}"
    stale = sorted(f for f in NOT_REACHED_BY_CONVERTED_MODELS if any(f == g for g, _ in KERNEL_RUNS))
    assert not stale, f"now reached by a conformance case, drop from NOT_REACHED_BY_CONVERTED_MODELS: {stale}"
