"""A representative subset of the conformance cases, built as firmware for each board (Cortex-M3 bluepill,
Cortex-M4F efr32mg12, Cortex-M33 efr32mg24) and run in the emulator: every output byte must equal TFLite's
BUILTIN_REF, as on the host (test_conformance.py).

The subset is a rule, not a list: the first and the last case of every operator (and quantization mode) in
the cases_*.py files, so a new operator or mode is on the devices as soon as it has cases. Each case is its
own image, built the way tests/test_firmware_checks.py builds one (codegen.emit.generate.generate_firmware,
tests/firmware_build.py) and judged by codegen.verify.testrun.run_test, as ``scons test`` does; the kernels are
compiled once per board into a library.
"""
from __future__ import annotations

import shutil

import pytest

from cases import CACHE, DEVICE_RESULTS, load_cases
from codegen.target.boards import load_board
from codegen.emit.generate import generate_firmware
from codegen.verify import cases as model_inputs
from codegen.compiler.select import Target
from codegen.pipeline import compile_model
from codegen.verify.testrun import run_test
from codegen.model.tflite_model import load_model
from firmware_build import compile_firmware, compile_kernel_library
from test_conformance import seeded_inputs

BOARDS = ["bluepill", "efr32mg12", "efr32mg24"]
WORK = CACHE / "device"


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


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bit_exact_on_device(case, board, converted, kernel_library, request):
    DEVICE_RESULTS[request.node.nodeid, board] = False
    error = case.model_path.with_suffix(".error")
    assert not error.is_file(), f"the converter refused the case: {error.read_text().strip()}"
    model = load_model(case.model_path)
    inputs = seeded_inputs(model, int(case.key()[:8], 16))
    out_dir = WORK / board / case.key()
    target = load_board(board)
    generated = generate_firmware(target, compile_model(model, Target.of(target)),
                                  [model_inputs.TestCase(f"seeded{i}", "seeded", t) for i, t in enumerate(inputs)],
                                  None, out_dir, [])
    # firmware_build links its own startup; the kernels come from the board's library.
    sources = [s for s in generated.sources if s.name != "startup.c"] + [kernel_library(board)]
    elf = compile_firmware(sources, out_dir, board=board, name="conformance")
    report: list[str] = []
    status = run_test(elf, target, generated.manifest, out_dir / "results.json", echo=report.append)
    assert status == 0, "\n".join(report)
    DEVICE_RESULTS[request.node.nodeid, board] = True
