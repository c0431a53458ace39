"""Board support files rendered from the board file: ``linker.ld`` and ``board.h``.

Everything board-specific in the firmware comes from here (and so from
``boards/<name>.toml``); the C sources in ``firmware/board/`` only use the
macros in ``board.h`` and the symbols the linker script defines.
"""
from __future__ import annotations

import re
from pathlib import Path

from codegen.target.boards import Board, register_steps
from codegen.errors import TinyforgeError
from codegen.emit.render import render

GENERATOR = "board_support"

def console_registers(board: Board) -> list[tuple[str, int]]:
    """``[console.registers]``: extra register offsets a console driver needs
    (``frame = 0x04`` becomes ``CONSOLE_FRAME_OFFSET``), so a UART family whose
    register map moves between chip series needs no new driver."""
    registers = board.console.get("registers", {})
    for name, offset in registers.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not isinstance(offset, int) or offset % 4:
            raise TinyforgeError(f"{board.path}: [console.registers] {name} = {offset!r}: expected "
                                 "a lower-case name and a 32-bit aligned integer offset")
    return sorted(registers.items(), key=lambda item: item[1])


def stack_reserve(board: Board) -> int:
    """Stack bytes, rounded up to 8: AAPCS requires SP % 8 == 0 at public interfaces."""
    reserve = (board.stack_reserve + 7) & ~7
    if reserve <= 0 or reserve >= board.ram.length:
        raise TinyforgeError(f"{board.path}: stack.reserve = {board.stack_reserve} does not fit "
                             f"in {board.ram.length} bytes of RAM")
    return reserve


def context(board: Board) -> dict:
    """Template variables shared by linker.ld.j2 and board.h.j2."""
    console = board.console
    return dict(
        board_name=board.name,
        board_file=Path(board.path).name,
        chip=board.data["board"].get("chip", board.name),
        core=board.core,
        clock_hz=board.clock_hz,
        flash_origin=board.flash.origin, flash_length=board.flash.length,
        ram_origin=board.ram.origin, ram_length=board.ram.length,
        stack_reserve=stack_reserve(board),
        caches=board.data["cpu"].get("caches", False),
        boot2=bool(board.data.get("boot", {}).get("stage2")),
        console_kind=console["kind"],
        console_base=console["base"],
        console_clock_hz=console["clock_hz"],
        console_baud=console["baud"],
        console_tx_data_offset=console["tx_data_offset"],
        console_status_offset=console["status_offset"],
        console_status_ready=console["status_ready"],
        console_registers=console_registers(board),
        clock_init=register_steps(board, board.clock_init, "clock_init"),
        console_init=register_steps(board, console.get("init", []), "console.init"),
    )


def render_board_support(board: Board, out_dir) -> list[Path]:
    """Write ``linker.ld`` and ``board.h`` for ``board`` into ``out_dir``."""
    from codegen.emit.boot2 import render_boot2
    out_dir = Path(out_dir)
    ctx = context(board)
    return [
        render("linker.ld.j2", out_dir / "linker.ld", GENERATOR, [board.path], **ctx),
        render("board.h.j2", out_dir / "board.h", GENERATOR, [board.path], **ctx),
        *render_boot2(board, out_dir),
    ]
