"""Firmware that knows when it breaks (issue 7): the HardFault report, the stack reserve check and the
debug build's arena bounds checks, each run end to end in the emulator."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from codegen.target.boards import load_board
from codegen.verify.emulator import run_firmware
from codegen.verify.emulator.elfinfo import ElfInfo
from codegen.verify.testrun import firmware_fault_report, stack_verdict

from firmware_build import FIRMWARE, compile_firmware

REPO = Path(__file__).resolve().parent.parent
BOARD = load_board("bluepill")


def test_hardfault_report_names_the_faulting_function(build_firmware):
    elf = build_firmware(["bad_read.c"], name="bad_read")
    run = run_firmware(elf, BOARD, max_instructions=1_000_000)
    assert run.fault is not None and run.fault.function == "read_unmapped"
    # The firmware's own handler printed the fault status registers and the stacked PC ...
    line = re.search(r"HardFault: CFSR=0x([0-9A-F]{8}) HFSR=0x([0-9A-F]{8}) PC=0x([0-9A-F]{8})", run.console)
    assert line is not None
    assert int(line.group(3), 16) == run.fault.pc
    assert ElfInfo(elf).function_at(int(line.group(3), 16)) == "read_unmapped"
    # ... and the test harness turns that line into one naming the function.
    assert firmware_fault_report(run.console, elf) == (
        f"firmware HardFault report: CFSR=0x00008200 HFSR=0x40000000 at pc 0x{run.fault.pc:08x} in read_unmapped")
    assert run.exit_code is None or run.exit_code != 0


def test_no_fault_report_from_a_clean_run(build_firmware):
    elf = build_firmware(["hello.c"], name="hello")
    run = run_firmware(elf, BOARD, max_instructions=5_000_000)
    assert run.fault is None and "HardFault" not in run.console       # hello.c exits 7 on purpose
    assert firmware_fault_report(run.console, elf) is None


def test_stack_within_reserve_is_reported(build_firmware):
    run = run_firmware(build_firmware(["stack_use.c"], name="stack_use"), BOARD)
    line, problem = stack_verdict(run.stack_peak, BOARD)
    assert problem is None
    assert line == f"stack: peak {run.stack_peak} of 2048 bytes reserved ({100 * run.stack_peak / 2048:.0f}%)"
    assert 1024 < run.stack_peak < 2048


def test_stack_beyond_reserve_fails(build_firmware):
    """stack_hog.c outgrows the reserve into .bss without faulting: only the painted-stack check sees it."""
    run = run_firmware(build_firmware(["stack_hog.c"], name="stack_hog"), BOARD)
    assert run.fault is None and run.exit_code == 0
    line, problem = stack_verdict(run.stack_peak, BOARD)
    assert line == "stack: peak 2048 of 2048 bytes reserved (100%)"
    assert problem == ("stack overflow: the firmware used all 2048 bytes of its stack reserve; "
                       "raise [stack] reserve in bluepill.toml")


def _debug_firmware(build_firmware, out_dir: Path, corrupt_layer: int | None = None) -> tuple[Path, object]:
    """The default model's test firmware built with TF_DEBUG_ARENA, optionally with one layer's output
    offset moved past the end of the arena (a broken plan)."""
    from codegen.emit.generate import generate_firmware
    from codegen.verify.cases import random_cases
    from codegen.pipeline import compile_model
    from codegen.model.tflite_model import load_model

    model = load_model(REPO / "models" / "kws_yes_no.tflite")
    compiled = compile_model(model)
    if corrupt_layer is not None:
        compiled.layers[corrupt_layer].output_offset = compiled.arena_size - 8
    generated = generate_firmware(BOARD, compiled, random_cases(model, 1), None, out_dir, [])
    kernels = sorted((FIRMWARE / "kernels").glob("*.c"))
    sources = [s for s in generated.sources if s.name not in ("startup.c",)] + kernels
    elf = build_firmware(sources, name="debug", extra_flags=["-DTF_DEBUG_ARENA", "-std=c99"], out_dir=out_dir)
    return elf, compiled


def test_debug_build_runs_an_intact_plan(build_firmware, tmp_path):
    elf, _ = _debug_firmware(build_firmware, tmp_path / "intact")
    run = run_firmware(elf, BOARD, max_instructions=200_000_000)
    assert run.fault is None and run.exit_code == 0, run.console
    assert "arena check failed" not in run.console and "done 1" in run.console


def test_debug_build_stops_a_broken_plan_at_the_layer(build_firmware, tmp_path):
    elf, compiled = _debug_firmware(build_firmware, tmp_path / "broken", corrupt_layer=2)
    layer = compiled.layers[2]
    run = run_firmware(elf, BOARD, max_instructions=200_000_000)
    assert run.exit_code == 4
    start = compiled.arena_size - 8
    assert (f"arena check failed: layer {layer.index} touches [{start}, {start + layer.output_bytes}) "
            f"outside the {compiled.arena_size}-byte arena") in run.console
    assert "result 0" not in run.console       # stopped before the broken layer ran


def test_release_build_has_no_arena_checks(tmp_path):
    from codegen.emit.generate import generate_model_sources
    from codegen.pipeline import compile_model
    from codegen.model.tflite_model import load_model

    model = load_model(REPO / "models" / "kws_yes_no.tflite")
    compiled = compile_model(model)
    model_c = generate_model_sources(compiled, tmp_path, [model.path])[1].read_text()
    # The checks exist only under TF_DEBUG_ARENA, one per range each kernel call touches.
    assert model_c.count("tf_arena_check(") == 1 + sum(len(l.arena_ranges) for l in compiled.layers)
    assert "#ifdef TF_DEBUG_ARENA" in model_c
