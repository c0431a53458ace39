"""Compiling small test firmwares with arm-none-eabi-gcc, the way tests (not the SCons build) need it.

A plain module rather than part of conftest.py: test modules import it by name, and
``import conftest`` would find whichever conftest.py (tests/ or tests/conformance/) came first."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"
TEST_FIRMWARE = Path(__file__).resolve().parent / "firmware"

# The product build's flags and source lists (codegen.target.toolchain): a test image is compiled as
# `scons` compiles firmware.
from codegen.target import toolchain  # noqa: E402
from codegen.paths import build_root  # noqa: E402


def boards_by_kernel_build() -> dict[tuple, list[str]]:
    """Every board file, grouped by the flags its kernels compile with. The kernels include no board header, so
    boards in one group link the same kernel object code: the first of each group stands for the others (their
    firmware, startup and memory map run in tests/test_library.py, tests/test_boards.py and the demo tests)."""
    groups: dict[tuple, list[str]] = {}
    from codegen.target.boards import known_boards, load_board
    for board in known_boards():
        groups.setdefault(tuple(toolchain.target_flags(load_board(board))), []).append(board)
    return groups


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
           *[str(s) for s in sources], *map(str, support_objects(b, tuple(extra_flags), out_dir / "board.h")),
           f"-T{out_dir / 'linker.ld'}", f"-Wl,-Map={out_dir / (name + '.map')}", "-o", str(elf), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(proc.stderr)
    return elf


_support_lock = threading.Lock()


def support_objects(board, extra_flags: tuple, board_header: Path) -> list[Path]:
    """The runtime, startup and console driver compiled for ``board``, once for every image that shares them.

    They read only ``board.h`` and ``firmware/include``, so the objects are kept under a hash of those, their
    sources and the flags: hundreds of conformance images per board link the same ones instead of compiling
    them again (about half of each image's compile time)."""
    sources = [*toolchain.runtime_sources(), *toolchain.board_sources(board)]
    flags = [*toolchain.target_flags(board), *extra_flags]
    digest = hashlib.sha256("\0".join(flags).encode())
    for path in [board_header, *sources, *sorted((FIRMWARE / "include").rglob("*.h"))]:
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes())
    out_dir = build_root() / "test-objects" / f"{board.name}-{digest.hexdigest()[:16]}"
    objects = [out_dir / f"{s.stem}.o" for s in sources]
    with _support_lock:
        if all(o.is_file() for o in objects):
            return objects
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
        shutil.copyfile(board_header, work / "board.h")
        proc = subprocess.run(["arm-none-eabi-gcc", *flags, f"-I{work}", f"-I{FIRMWARE / 'include'}", "-c",
                               *map(str, sources)], cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            raise BuildError(proc.stderr)
        shutil.rmtree(out_dir, ignore_errors=True)
        work.replace(out_dir)
    return objects
