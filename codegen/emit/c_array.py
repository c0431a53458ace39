"""Bytes as an xxd-style C array plus a header declaring it (templates/c_array.*.j2).

The output is a pure function of its inputs (no timestamps, no absolute paths),
so regenerating an unchanged input leaves the files byte-identical.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from codegen.errors import TinyforgeError
from codegen.emit.render import render

BYTES_PER_LINE = 12


def write_c_array(name: str, data: bytes, out_c: Path, out_h: Path, align: int = 16, source=None) -> None:
    """Write ``const unsigned char name[]`` and ``name_len`` to ``out_c``, their externs to ``out_h``.

    ``source`` is the file the bytes came from; the banner names it with its SHA-256.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise TinyforgeError(f"'{name}' is not a valid C identifier for the array name")
    if align <= 0 or align & (align - 1):
        raise TinyforgeError(f"array alignment must be a power of two, got {align}")
    out_c, out_h = Path(out_c), Path(out_h)
    data = bytes(data)
    # C forbids an empty initializer for an unsized array; a lone pad byte keeps
    # the file compilable while name_len still says 0.
    lines = ["  " + ", ".join(f"0x{b:02x}" for b in data[i:i + BYTES_PER_LINE])
             for i in range(0, len(data), BYTES_PER_LINE)] or ["  0x00"]
    inputs = [source] if source is not None and Path(source).is_file() else []
    context = dict(name=name, length=len(data), data_sha256=hashlib.sha256(data).hexdigest(), align=align,
                   guard=re.sub(r"[^A-Za-z0-9]", "_", out_h.name).upper() + "_", header=out_h.name, lines=lines)
    render("c_array.h.j2", out_h, "codegen.emit.c_array", inputs, **context)
    render("c_array.c.j2", out_c, "codegen.emit.c_array", inputs, **context)
