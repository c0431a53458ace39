"""Does a compiled model fit a board, before anything is linked? (``inspect --board``)

Flash: the weights and parameters exactly as the chosen kernels store them, plus the code: the kernels this
model calls, the runtime, startup and console driver, each compiled for the board's core
with the product's flags and measured (cached per source, board and flags), plus the generated model's code.
RAM: the arena and the board's stack reserve. The code figure is an estimate (the linker drops unused
functions, and model.c is not compiled here); the weights, the arena and the reserve are exact, so a model
whose exact parts alone overflow a region cannot fit whatever the linker does.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from codegen.errors import TinyforgeError
from codegen.target import toolchain
from codegen.target.boards import Board, known_boards, load_board

# Bytes per layer of model.c besides the weights: the layer's function with its kernel call and its parameter
# structs, plus its share of the API. Linked model.o minus weights measured 86..116 per layer on the shared
# models and boards; 130 keeps the estimate on the safe side (within 1 % of the linked firmware on all of them).
MODEL_CODE_PER_LAYER = 130
_CACHE = Path(tempfile.gettempdir()) / "tinyforge-code-sizes"


@dataclass
class Fit:
    board: Board
    weights: int
    code: int                # estimate
    arena: int
    stack: int

    @property
    def flash(self) -> int:
        return self.weights + self.code

    @property
    def ram(self) -> int:
        return self.arena + self.stack

    def overflow(self, exact_only: bool = False) -> dict[str, int]:
        """Bytes over each region, for the estimate or, with ``exact_only``, for the exact parts alone."""
        flash = self.weights if exact_only else self.flash
        over = {"FLASH": flash - self.board.flash.length, "RAM": self.ram - self.board.ram.length}
        return {region: n for region, n in over.items() if n > 0}


def _object_bytes(source: Path, board: Board) -> int:
    """Bytes an object puts in flash (.text, .rodata, .data initial values), compiled as the build does, with
    the board's generated board.h (startup and console drivers include it)."""
    from codegen.emit.board_support import render_board_support
    flags = toolchain.target_flags(board)
    key = hashlib.sha256(json.dumps([str(source), source.read_bytes().hex(), board.path.read_text(),
                                     flags]).encode()).hexdigest()[:24]
    cached = _CACHE / f"{key}.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    _CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        render_board_support(board, Path(tmp))
        obj = Path(tmp) / "x.o"
        include = [f"-I{d}" for d in toolchain.INCLUDE_DIRS]
        proc = subprocess.run(["arm-none-eabi-gcc", *flags, *include, f"-I{tmp}", "-c", str(source), "-o", str(obj)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            first = next((line for line in proc.stderr.splitlines() if "error" in line), proc.stderr.strip())
            raise TinyforgeError(f"cannot measure {source.name} for {board.name}: {first}")
        size = subprocess.run(["arm-none-eabi-size", "-A", str(obj)], capture_output=True, text=True).stdout
    total = sum(int(parts[1]) for parts in (line.split() for line in size.splitlines())
                if len(parts) >= 2 and parts[0].startswith((".text", ".rodata", ".data")) and parts[1].isdigit())
    cached.write_text(json.dumps(total))
    return total


def estimate(compiled, board: Board) -> Fit:
    from codegen.emit.library import kernel_sources
    functions = {layer.function for layer in compiled.layers if layer.function}
    sources = [*kernel_sources(functions), *toolchain.runtime_sources(), *toolchain.board_sources(board)]
    try:
        code = sum(_object_bytes(s, board) for s in sources)
    except OSError:
        raise TinyforgeError("arm-none-eabi-gcc not found: run scripts/bootstrap") from None
    code += MODEL_CODE_PER_LAYER * len(compiled.layers)
    return Fit(board=board, weights=compiled.weight_bytes, code=code, arena=compiled.arena_size,
               stack=board.stack_reserve)


def boards_that_fit(compiled_for, exclude: str) -> list[str]:
    """Known boards whose regions hold the model (``compiled_for(board)`` compiles it for that board)."""
    fitting = []
    for name in known_boards():
        if name == exclude:
            continue
        other = load_board(name)
        if not estimate(compiled_for(other), other).overflow():
            fitting.append(name)
    return fitting


def describe(fit: Fit, compiled_for) -> list[str]:
    """The lines ``inspect --board`` prints."""
    b = fit.board
    lines = [f"fit on {b.name} (flash {b.flash.length:,} bytes, RAM {b.ram.length:,} bytes):",
             f"  flash about {fit.flash:>9,} = weights and parameters {fit.weights:,} (exact) + code about {fit.code:,}"
             f" ({100.0 * fit.flash / b.flash.length:.1f} %)",
             f"  RAM         {fit.ram:>9,} = arena {fit.arena:,} + stack reserve {fit.stack:,}"
             f" ({100.0 * fit.ram / b.ram.length:.1f} %), plus the application's static data"]
    over = fit.overflow()
    if not over:
        lines.append(f"fits {b.name}")
        return lines
    sizes = {"FLASH": b.flash.length, "RAM": b.ram.length}
    certain = fit.overflow(exact_only=True)
    parts = [f"{region} overflowed by {'at least' if region in certain else 'about'} {certain.get(region, n):,} bytes "
             f"(the region is {sizes[region]:,} bytes)" for region, n in over.items()]
    others = boards_that_fit(compiled_for, exclude=b.name)
    hint = f"; it fits {', '.join(others)}" if others else "; no known board holds it"
    lines.append(f"does not fit {b.name}: {'; '.join(parts)}{hint}")
    return lines


def check_before_build(compiled, board: Board, compiled_for) -> None:
    """The build's first step: refuse a model whose exact parts already overflow the board, before compiling.

    Only the exact parts count here (the weights as stored; the arena and the stack reserve): the code is an
    estimate, and the linker still has the last word on the rest. The line is the linker's own
    (``the firmware does not fit B: FLASH|RAM overflowed by N bytes ...``), with what overflows it and, when
    another known board holds the model, which."""
    fit = Fit(board=board, weights=compiled.weight_bytes, code=0, arena=compiled.arena_size,
              stack=board.stack_reserve)
    over = fit.overflow(exact_only=True)
    if not over:
        return
    sizes = {"FLASH": board.flash.length, "RAM": board.ram.length}
    what = {"FLASH": f"the weights and parameters alone are {fit.weights:,} bytes, before any code",
            "RAM": f"arena {fit.arena:,} + stack reserve {fit.stack:,}, before static data"}
    parts = [f"{region} overflowed by {n:,} bytes (the region is {sizes[region]:,} bytes): {what[region]}"
             for region, n in over.items()]
    others = boards_that_fit(compiled_for, exclude=board.name)
    hint = f"; it fits {', '.join(others)}" if others else "; no known board holds it"
    raise TinyforgeError(f"the firmware does not fit {board.name}: {'; '.join(parts)}{hint}")
