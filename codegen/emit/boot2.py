"""The RP2040's second-stage bootloader as a C array (``gen/boot2.c``), CRC included.

The bootrom runs the first 256 bytes of flash only if the CRC32 of the first 252 matches the last four
(RP2040 datasheet §2.8.1.3: CRC-32 with polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no reflection and
no final XOR). The code is ``firmware/board/<stage2>`` (a board file's ``[boot] stage2``), assembled here
with the cross toolchain; the linker script puts the array first in flash.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from codegen.emit.render import render
from codegen.errors import TinyforgeError
from codegen.paths import FIRMWARE_DIR

BOOT2_BYTES = 256
GENERATOR = "codegen.emit.boot2"


def crc32_mpeg2(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def stage2_image(source: Path, cflags: list[str]) -> bytes:
    """``source`` assembled, padded to 252 bytes and followed by its CRC32 (little-endian)."""
    with tempfile.TemporaryDirectory() as tmp:
        obj, raw = Path(tmp) / "boot2.o", Path(tmp) / "boot2.bin"
        for cmd in (["arm-none-eabi-gcc", *cflags, "-c", str(source), "-o", str(obj)],
                    ["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text.boot2", str(obj), str(raw)]):
            try:
                done = subprocess.run(cmd, capture_output=True, text=True)
            except FileNotFoundError:
                raise TinyforgeError(f"{cmd[0]} not found: run scripts/bootstrap") from None
            if done.returncode != 0:
                raise TinyforgeError(f"{source.name}: {(done.stderr.strip().splitlines() or ['failed'])[0]}")
        code = raw.read_bytes()
    if len(code) > BOOT2_BYTES - 4:
        raise TinyforgeError(f"{source.name}: {len(code)} bytes of code; the second-stage bootloader has "
                             f"{BOOT2_BYTES - 4} before its CRC")
    body = code.ljust(BOOT2_BYTES - 4, b"\0")
    return body + crc32_mpeg2(body).to_bytes(4, "little")


def render_boot2(board, out_dir: Path) -> list[Path]:
    """``gen/boot2.c`` for a board with ``[boot] stage2``; nothing for the others."""
    stage2 = board.data.get("boot", {}).get("stage2")
    if not stage2:
        return []
    source = FIRMWARE_DIR / "board" / stage2
    if not source.is_file():
        raise TinyforgeError(f"{board.path}: [boot] stage2 = \"{stage2}\": no firmware/board/{stage2}")
    image = stage2_image(source, board.cflags)
    return [render("boot2.c.j2", Path(out_dir) / "boot2.c", GENERATOR, [board.path, source],
                   source=stage2, image=image, crc=int.from_bytes(image[-4:], "little"))]
