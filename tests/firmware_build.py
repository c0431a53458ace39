"""Compiling small test firmwares with arm-none-eabi-gcc, the way tests (not the SCons build) need it.

A plain module rather than part of conftest.py: test modules import it by name, and
``import conftest`` would find whichever conftest.py (tests/ or tests/conformance/) came first."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"
TEST_FIRMWARE = Path(__file__).resolve().parent / "firmware"

# The product build's flags and source lists (codegen.target.toolchain): a test image is compiled as
# `scons` compiles firmware.
from codegen.target import toolchain  # noqa: E402


class BuildError(Exception):
    """gcc/ld failed; ``output`` holds their stderr."""

    def __init__(self, output: str):
        super().__init__(output)
        self.output = output


def compile_kernel_library(out_dir, board="bluepill") -> Path:
    """``firmware/kernels/*.c`` compiled for ``board`` into ``out_dir/libkernels.a``: tests that link many
    model images for one board pass it to ``compile_firmware`` instead of recompiling every kernel for each.
    The linker takes only the kernels a model calls."""
    from codegen.target.boards import load_board

    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    b = load_board(board)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    kernels = toolchain.kernel_sources()
    objects = [out_dir / f"{k.stem}.o" for k in kernels]
    (out_dir / "libkernels.a.tmp").unlink(missing_ok=True)   # ar adds to an existing archive
    for cmd in (["arm-none-eabi-gcc", *toolchain.target_flags(b), f"-I{FIRMWARE / 'include'}", "-c",
                 *map(str, kernels)],
                ["arm-none-eabi-ar", "rcs", "libkernels.a.tmp", *map(str, objects)]):
        proc = subprocess.run(cmd, cwd=out_dir, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(proc.stderr)
    library = out_dir / "libkernels.a"
    (out_dir / "libkernels.a.tmp").replace(library)
    return library


def compile_firmware(sources, out_dir, board="bluepill", name="firmware", extra_flags=()):
    """Render board support for ``board`` into ``out_dir``, compile and link
    ``sources`` (plus startup, the board's console driver and the runtime) into
    ``out_dir/<name>.elf``. Raises BuildError with gcc's output on failure."""
    from codegen.emit.board_support import render_board_support
    from codegen.target.boards import load_board

    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    b = load_board(board)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = [f for f in render_board_support(b, out_dir) if f.suffix == ".c"]   # the RP2040's boot2.c
    names = {Path(s).name for s in sources}
    sources = [*sources, *(f for f in generated if f.name not in names)]
    elf = out_dir / f"{name}.elf"
    cmd = ["arm-none-eabi-gcc", *toolchain.target_flags(b), *toolchain.LINK_FLAGS, *extra_flags,
           f"-I{out_dir}", f"-I{FIRMWARE / 'include'}",
           *[str(s) for s in sources], *map(str, toolchain.runtime_sources()),
           *map(str, toolchain.board_sources(b)),
           f"-T{out_dir / 'linker.ld'}", f"-Wl,-Map={out_dir / (name + '.map')}", "-o", str(elf), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(proc.stderr)
    return elf
