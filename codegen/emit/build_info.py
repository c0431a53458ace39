"""The build-info record every firmware image carries (``templates/build_info.c.j2``).

It names the board the image was built for, the chip and the model's SHA-256,
so ``scons board=B flash`` can refuse an image built for another board. It is
read back from the ELF's ``.tf_build_info`` section, or found by its magic in a
raw ``.bin`` image.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from codegen.target.boards import Board
from codegen.errors import TinyforgeError
from codegen.emit.render import render

MAGIC = b"TFBUILD\0"
VERSION = 1
SECTION = ".tf_build_info"
NAME_BYTES = 32
# magic[8], version (u32), board[32], chip[32], model_sha256[32]: the C struct, little-endian.
RECORD = struct.Struct(f"<8sI{NAME_BYTES}s{NAME_BYTES}s32s")


@dataclass(frozen=True)
class BuildInfo:
    board: str
    chip: str
    model_sha256: str


def render_build_info(board: Board, model_sha256: str, out_dir, inputs) -> Path:
    chip = board.data["board"].get("chip", board.name)
    for what, text in (("board name", board.name), ("chip", chip)):
        if len(text.encode()) >= NAME_BYTES:
            raise TinyforgeError(f"{board.path}: {what} '{text}' is longer than {NAME_BYTES - 1} bytes")
    digest = bytes.fromhex(model_sha256)
    return render("build_info.c.j2", Path(out_dir) / "build_info.c", "codegen.emit.build_info", inputs,
                  magic=MAGIC[:-1].decode(), version=VERSION, board_name=board.name, chip=chip,
                  model_sha256=[f"0x{b:02x}" for b in digest])


def _parse(record: bytes) -> BuildInfo:
    magic, version, board, chip, digest = RECORD.unpack(record)
    if magic != MAGIC or version != VERSION:
        raise ValueError("not a build-info record")
    return BuildInfo(board.rstrip(b"\0").decode(), chip.rstrip(b"\0").decode(), digest.hex())


def read_build_info(image) -> BuildInfo | None:
    """The record in ``image`` (.elf, or .bin searched for the magic), or None if it has none."""
    path = Path(image)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TinyforgeError(f"{path}: cannot read image: {exc.strerror}") from None
    if data[:4] == b"\x7fELF":
        from io import BytesIO

        from elftools.elf.elffile import ELFFile
        section = ELFFile(BytesIO(data)).get_section_by_name(SECTION)
        if section is None or section.data_size < RECORD.size:
            return None
        try:
            return _parse(section.data()[:RECORD.size])
        except ValueError:
            return None
    at = data.find(MAGIC)
    while at >= 0:
        try:
            return _parse(data[at:at + RECORD.size])
        except (ValueError, struct.error):
            at = data.find(MAGIC, at + 1)
    return None
