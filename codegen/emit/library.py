"""Export a compiled model as a self-contained C library for the user's own firmware (``scons ... lib``).

The folder holds the generated model with a prefixed API (``include/<P>.h``, ``src/<P>_model.c``), copies of
only the kernels and headers this model calls, and the files a build system needs (``CMakeLists.txt``,
``<P>.mk``) plus ``README.md``. Nothing from ``firmware/board``, no ``main``, no linker script.

Every global symbol carries the prefix, so several exported models link into one firmware: each kernel copy
is compiled with ``src/<P>_symbols.h`` first, which renames its entry points (``conv2d_s8`` becomes
``<P>_conv2d_s8``). The copies start with a do-not-edit banner and a ``#line`` directive, so compiler
messages point at the original file.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from codegen.emit.generate import model_context
from codegen.emit.render import make_banner, render, write_if_changed
from codegen.errors import TinyforgeError
from codegen.paths import FIRMWARE_DIR
from codegen.pipeline import CompiledModel

GENERATOR = "codegen.emit.library"
ARENA_KINDS = ("static", "external")
KERNELS_HEADER = FIRMWARE_DIR / "include" / "tinyforge" / "kernels.h"
_C_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
_DEFINITION = re.compile(r"^void (\w+)\(", re.M)


@dataclass
class ExportedLibrary:
    folder: Path
    prefix: str
    sources: list[Path]          # every .c file, in the folder
    include_dirs: list[Path]     # public first, then private


# Prefixes tinyforge's own firmware uses (model_invoke, tf_... kernels' helpers).
RESERVED_PREFIXES = ("model", "tf")


def default_prefix(model_stem: str) -> str:
    """The model's file name made a C identifier: ``kws_yes_no``, ``_1st_model`` for ``1st-model``, and
    ``model_lib`` for ``model``, which tinyforge's own firmware uses."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", model_stem)
    ident = ident if ident and not ident[0].isdigit() else f"_{ident}"
    return f"{ident}_lib" if ident.lower() in RESERVED_PREFIXES else ident


def check_options(prefix: str, arena: str) -> None:
    if not _C_IDENTIFIER.match(prefix):
        raise TinyforgeError(f"prefix={prefix}: a library prefix must be a C identifier (letters, digits and _, "
                             "not starting with a digit)")
    if prefix.lower() in RESERVED_PREFIXES:
        raise TinyforgeError(f"prefix={prefix}: '{prefix}' is what tinyforge's own firmware uses; choose another")
    if arena not in ARENA_KINDS:
        raise TinyforgeError(f"arena={arena}: expected static (the library owns its arena) or external (the "
                             f"caller passes one to {prefix}_init)")


def kernel_entry_points() -> list[str]:
    """Every kernel function tinyforge/kernels.h declares: what the symbols header renames."""
    return sorted(set(re.findall(r"^void (\w+)\(", KERNELS_HEADER.read_text(), re.M)))


def kernel_sources(functions: set[str]) -> list[Path]:
    """The kernel files that define ``functions`` (one operator per file; quantize.c holds three)."""
    sources = []
    for path in sorted((FIRMWARE_DIR / "kernels").glob("*.c")):
        if functions & set(_DEFINITION.findall(path.read_text())):
            sources.append(path)
    found = {f for path in sources for f in _DEFINITION.findall(path.read_text())}
    missing = sorted(functions - found)
    if missing:
        raise TinyforgeError(f"no kernel source defines {', '.join(missing)}")
    return sources


def included_headers(sources: list[Path]) -> list[Path]:
    """The quoted headers the sources include, transitively: beside the including file, else under
    firmware/include."""
    seen: dict[Path, None] = {}
    todo = list(sources)
    while todo:
        path = todo.pop()
        for name in _INCLUDE.findall(path.read_text()):
            for candidate in (path.parent / name, FIRMWARE_DIR / "include" / name):
                if candidate.is_file():
                    candidate = candidate.resolve()
                    if candidate not in seen:
                        seen[candidate] = None
                        todo.append(candidate)
                    break
    return sorted(seen)


def _copy_with_banner(source: Path, destination: Path, preamble: str = "") -> Path:
    """A copy of our own source, marked as generated and pointing compiler messages at the original."""
    relative = source.relative_to(FIRMWARE_DIR.parent).as_posix()
    text = (make_banner(GENERATOR, [source]) + "\n" + preamble + f'#line 1 "{relative}"\n' + source.read_text())
    write_if_changed(destination, text)
    return destination


def export_library(board, compiled: CompiledModel, out_dir: Path, prefix: str, arena: str = "static"
                   ) -> ExportedLibrary:
    """Write the library for ``compiled`` (compiled for ``board``) into ``out_dir``."""
    check_options(prefix, arena)
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)      # a previous export may hold kernels this model no longer uses
    include, src = out_dir / "include", out_dir / "src"
    model_path = compiled.model.path
    inputs = [model_path, board.path]

    context = model_context(compiled, api=prefix, header=f"{prefix}.h", library=True,
                            external_arena=arena == "external")
    header = render("model.h.j2", include / f"{prefix}.h", GENERATOR, inputs, **context)
    model_c = render("model.c.j2", src / f"{prefix}_model.c", GENERATOR, inputs, **context)
    symbols = render("library/symbols.h.j2", src / f"{prefix}_symbols.h", GENERATOR, [KERNELS_HEADER],
                     prefix=prefix, PREFIX=prefix.upper(), functions=kernel_entry_points())

    functions = {layer.function for layer in compiled.layers if layer.function}
    used = kernel_sources(functions)
    copied = []
    for path in used:
        copied.append(_copy_with_banner(path, src / "kernels" / f"{prefix}_{path.name}",
                                        f'#include "{prefix}_symbols.h"   /* first: this library\'s kernel names */\n'))
    for path in included_headers(used + [KERNELS_HEADER]):
        relative = path.relative_to(FIRMWARE_DIR)
        # tinyforge/kernels.h keeps its include path; the kernels' own headers sit beside the kernels
        destination = src / relative.relative_to("include") if relative.parts[0] == "include" else src / relative
        _copy_with_banner(path, destination)
    _copy_with_banner(KERNELS_HEADER, src / "tinyforge" / "kernels.h")

    sources = [model_c, *copied]
    context = dict(prefix=prefix, PREFIX=prefix.upper(), board=board, model_name=compiled.model.name,
                   model_file=model_path.name, arena=arena, target=compiled.target.describe(),
                   sources=[p.relative_to(out_dir).as_posix() for p in sources],
                   functions=sorted(functions), header=header.name, symbols=symbols.name,
                   arena_size=compiled.arena_size, weight_bytes=compiled.weight_bytes,
                   weight_budget=compiled.weight_budget.summary(), optimize=compiled.target.optimize,
                   model_inputs=compiled.inputs, model_outputs=compiled.outputs)
    render("library/CMakeLists.txt.j2", out_dir / "CMakeLists.txt", GENERATOR, inputs, **context)
    render("library/library.mk.j2", out_dir / f"{prefix}.mk", GENERATOR, inputs, **context)
    render("library/README.md.j2", out_dir / "README.md", GENERATOR, inputs, **context)
    return ExportedLibrary(folder=out_dir, prefix=prefix, sources=sources, include_dirs=[include, src])
