"""The latency estimate (codegen/verify/emulator/timing.py): instruction classes priced from the cores'
tables, taken branches priced when they are taken, flash wait states from the board file, and the
figures `test` and `profile` print from it."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from codegen.errors import TinyforgeError
from codegen.target.boards import load_board
from codegen.verify.emulator import run_firmware
from codegen.verify.emulator.timing import core_timing

BLUEPILL = load_board("bluepill")          # Cortex-M3, 2 wait states behind a prefetch buffer
EFR32MG12 = load_board("efr32mg12")        # Cortex-M4, 1 wait state behind a cache


def assemble(tmp_path: Path, source: str) -> bytes:
    """Thumb machine code for ``source``, assembled by the toolchain the builds use."""
    asm, obj, binary = tmp_path / "block.s", tmp_path / "block.o", tmp_path / "block.bin"
    asm.write_text(".syntax unified\n.thumb\n.cpu cortex-m4\n" + source + "\n")
    subprocess.run(["arm-none-eabi-as", "-o", str(obj), str(asm)], check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(obj), str(binary)], check=True)
    return binary.read_bytes()


LOOP_BODY = """
    adds r0, r0, r1
    ldr r2, [r3]
    ldr r4, [r3, #4]
    mla r5, r2, r4, r5
    smlal r6, r7, r2, r4
    umull r8, r9, r2, r4
    push {r4, r5, r6, lr}
    subs r1, #1
    bne.n 0
"""


def test_block_priced_per_class_on_each_core(tmp_path):
    code = assemble(tmp_path, LOOP_BODY)
    m3 = core_timing(BLUEPILL).price_block(code, 0x100)
    # adds 1, ldr 2, ldr right after 1, mla 2, smlal 4, umull 5, push 1+4, subs 1, bne not taken 1
    assert m3.cycles == 1 + 2 + 1 + 2 + 4 + 5 + 5 + 1 + 1
    # taken: the refill P = 2 and, behind a prefetch buffer, the 2 wait states of the new fetch
    assert m3.taken_extra == 2 + 2
    m4 = core_timing(EFR32MG12).price_block(code, 0x100)
    assert m4.cycles == 1 + 2 + 1 + 1 + 1 + 1 + 5 + 1 + 1
    assert m4.taken_extra == 2               # the instruction cache hides the wait state


def test_unconditional_branch_and_return_pay_the_refill(tmp_path):
    code = assemble(tmp_path, "adds r0, #1\nbx lr")
    block = core_timing(BLUEPILL).price_block(code, 0x100)
    assert (block.cycles, block.taken_extra) == (1 + 1 + 2 + 2, 0)
    code = assemble(tmp_path, "pop {r4, pc}")
    assert core_timing(BLUEPILL).price_block(code, 0x100).cycles == 1 + 2 + 2 + 2


def test_flash_settings_come_from_the_board_file():
    m3 = core_timing(BLUEPILL)
    assert (m3.clock_hz, m3.wait_states, m3.accelerator, m3.flash_read) == (72_000_000, 2, "prefetch", 2.0)
    m4 = core_timing(EFR32MG12)
    assert (m4.wait_states, m4.accelerator, m4.flash_read) == (1, "cache", 0.25)
    assert m3.ms(72_000) == pytest.approx(1.0)


def board_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (Path(BLUEPILL.path)).read_text()
    assert old in text
    path = tmp_path / "board.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_bad_flash_accelerator_is_one_line(tmp_path):
    path = board_with(tmp_path, 'accelerator = "prefetch"', 'accelerator = "turbo"')
    with pytest.raises(TinyforgeError, match=r"^.*board.toml: accelerator 'turbo' in \[memory.flash\] is not one "
                                             r"of none, prefetch, cache$"):
        load_board(path)


def test_negative_wait_states_are_one_line(tmp_path):
    path = board_with(tmp_path, "wait_states = 2", "wait_states = -1")
    with pytest.raises(TinyforgeError, match=r"wait_states in \[memory.flash\] must be 0 or more, got -1$"):
        load_board(path)


def test_core_without_a_timing_table_is_named(tmp_path):
    path = board_with(tmp_path, 'core = "cortex-m3"', 'core = "cortex-m0"')
    with pytest.raises(TinyforgeError, match=r"no timing model for core 'cortex-m0' in core_timing.toml \(known: "):
        core_timing(load_board(path))


@pytest.fixture(scope="module")
def marker_loop(tmp_path_factory):
    from firmware_build import TEST_FIRMWARE, compile_firmware
    root = tmp_path_factory.mktemp("fw")
    return compile_firmware([TEST_FIRMWARE / "marker_loop.c"], root / "marker_loop", name="marker_loop")


def test_loop_trips_cost_the_same_and_pay_their_taken_branch(marker_loop):
    timing = core_timing(BLUEPILL)
    run = run_firmware(marker_loop, BLUEPILL, timing=timing)
    plain = run_firmware(marker_loop, BLUEPILL)
    assert run.fault is None and run.exit_code == 0
    assert run.marker_spans == plain.marker_spans          # pricing changes no count
    _, n1000, n2000, _ = run.marker_spans
    _, c1000, c2000, _ = run.cycle_spans
    per_trip_instructions = (n2000 - n1000) / 1000
    per_trip_cycles = (c2000 - c1000) / 1000
    assert per_trip_cycles == int(per_trip_cycles)         # every trip costs the same
    # at least one cycle per instruction, plus the taken backward branch: P = 2 and 2 wait states
    assert per_trip_cycles >= per_trip_instructions + 4
    assert run.cycles >= sum(run.cycle_spans)
    assert plain.cycles is None and plain.cycle_spans == []


@pytest.mark.parametrize("board_name", ["efr32mg12", "nrf52840dk", "efr32mg24"])
def test_pricing_changes_no_execution(board_name, tmp_path_factory):
    """Pricing must not change what runs, on boards whose flash starts at address 0 too (efr32mg12,
    nRF52840): the same instructions, spans and console as an unpriced run. (The case that once differed,
    a MEM_READ hook ranged over such a flash under micro_speech_lstm's gate loop, is test_end_to_end.py's LSTM
    test, which runs `scons test` and so prices every run; this small firmware did not show it.)"""
    from firmware_build import TEST_FIRMWARE, compile_firmware
    board = load_board(board_name)
    elf = compile_firmware([TEST_FIRMWARE / "marker_loop.c"], tmp_path_factory.mktemp(board_name), board=board_name,
                           name="marker_loop")
    plain = run_firmware(elf, board)
    timed = run_firmware(elf, board, timing=core_timing(board))
    assert plain.fault is None and timed.fault is None
    assert (timed.exit_code, timed.console, timed.instructions, timed.marker_spans) == \
        (plain.exit_code, plain.console, plain.instructions, plain.marker_spans)
    assert timed.cycles >= timed.instructions


def test_a_hooked_run_that_ran_other_instructions_gives_neither_counts_nor_cycles(marker_loop, monkeypatch):
    """Unicorn 2.1.4 can take another branch under the flash-read hook and still print the right outputs
    (micro_speech_lstm on nucleo_f207zg: 0.5 % more instructions). run_firmware then keeps the unhooked run:
    its counts, and cycles without flash reads, with ``flash_reads_priced`` False to say so."""
    from codegen.verify.emulator import core
    timing = core_timing(BLUEPILL)
    assert timing.flash_read
    agreed = run_firmware(marker_loop, BLUEPILL, timing=timing)
    assert agreed.flash_reads_priced is True
    honest = core.Emulator.run

    def diverging(self):
        result = honest(self)
        if self.flash_reads:   # the hooked run: pretend it took a longer path
            result.instructions += 7
            result.marker_spans = [n + 7 for n in result.marker_spans]
        return result

    monkeypatch.setattr(core.Emulator, "run", diverging)
    kept = run_firmware(marker_loop, BLUEPILL, timing=timing)
    plain = run_firmware(marker_loop, BLUEPILL, timing=timing, flash_reads=False)
    assert kept.flash_reads_priced is False
    assert (kept.instructions, kept.marker_spans) == (plain.instructions, plain.marker_spans)
    assert kept.instructions == agreed.instructions and kept.cycles == plain.cycles < agreed.cycles
    assert run_firmware(marker_loop, BLUEPILL).flash_reads_priced is None
