"""USB Flashing Format (UF2, github.com/microsoft/uf2 README, "File format"): the image as 512-byte blocks
that a board's USB mass-storage bootloader (the RP2040's RPI-RP2 drive) writes to flash as they arrive.

Each block: magic 0x0A324655 and 0x9E5D5157, flags (0x00002000: the family ID field is present), the
target address, 256 payload bytes, the block's number and the block count, the family ID (RP2040:
0xE48BFF56), the payload padded to 476 bytes, and the closing magic 0x0AB16F30.
"""
from __future__ import annotations

import struct
from pathlib import Path

MAGIC_START0, MAGIC_START1, MAGIC_END = 0x0A324655, 0x9E5D5157, 0x0AB16F30
FLAG_FAMILY_ID_PRESENT = 0x00002000
PAYLOAD = 256
DATA_BYTES = 476


def to_uf2(image: bytes, base: int, family: int) -> bytes:
    """``image`` (a flat binary whose first byte goes to ``base``) as UF2 blocks."""
    chunks = [image[i:i + PAYLOAD] for i in range(0, len(image), PAYLOAD)]
    blocks = []
    for number, chunk in enumerate(chunks):
        header = struct.pack("<8I", MAGIC_START0, MAGIC_START1, FLAG_FAMILY_ID_PRESENT, base + number * PAYLOAD,
                             PAYLOAD, number, len(chunks), family)
        blocks.append(header + chunk.ljust(PAYLOAD, b"\0").ljust(DATA_BYTES, b"\0") + struct.pack("<I", MAGIC_END))
    return b"".join(blocks)


def from_uf2(data: bytes) -> dict[int, bytes]:
    """The payloads of a UF2 file by target address (to check a file; the bootloader does the same)."""
    if len(data) % 512:
        raise ValueError(f"{len(data)} bytes is not a whole number of 512-byte UF2 blocks")
    out = {}
    for off in range(0, len(data), 512):
        m0, m1, _flags, addr, size, _number, _count, _family = struct.unpack_from("<8I", data, off)
        (end,) = struct.unpack_from("<I", data, off + 508)
        if (m0, m1, end) != (MAGIC_START0, MAGIC_START1, MAGIC_END):
            raise ValueError(f"block at byte {off} has the wrong magic numbers")
        out[addr] = data[off + 32:off + 32 + size]
    return out


def write_uf2(bin_path: Path, uf2_path: Path, base: int, family: int) -> None:
    Path(uf2_path).write_bytes(to_uf2(Path(bin_path).read_bytes(), base, family))
