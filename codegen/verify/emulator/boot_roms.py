"""What a chip's boot ROM does before the image runs, for chips that do not simply take SP and PC from a
vector table at the start of flash. A chip file names its boot in ``boot``."""
from __future__ import annotations

from codegen.emit.boot2 import BOOT2_BYTES, crc32_mpeg2

RP2040_BOOT2_SRAM = 0x20041F00      # where the bootrom copies the second stage (RP2040 datasheet §2.8.1.3)


class BootRefused(Exception):
    """The boot ROM would not start this image; the one line says why."""


def rp2040_boot2(read, write, flash_origin: int) -> tuple[int, int]:
    """The RP2040 bootrom's flash boot: check the second stage's CRC32, copy it to the top of SRAM and run it
    there. Returns the (SP, PC) it starts with."""
    stage2 = read(flash_origin, BOOT2_BYTES)
    want, got = int.from_bytes(stage2[-4:], "little"), crc32_mpeg2(stage2[:-4])
    if want != got:
        raise BootRefused(f"boot: the RP2040 bootrom finds no valid second-stage bootloader at 0x{flash_origin:08x} "
                          f"(the CRC32 of its first 252 bytes is 0x{got:08x}, its last word says 0x{want:08x}); it "
                          f"would wait for a USB drive instead of running this image")
    write(RP2040_BOOT2_SRAM, stage2)
    return RP2040_BOOT2_SRAM + BOOT2_BYTES, RP2040_BOOT2_SRAM | 1


BOOTS = {"rp2040_boot2": rp2040_boot2}
