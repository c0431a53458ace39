"""The Raspberry Pi Pico's own parts: the second-stage bootloader and its CRC, the emulator's boot as the
RP2040 bootrom does it, UF2 files, ARMv6-M-only code, and the UF2 drive flasher."""
from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.emit.boot2 import BOOT2_BYTES, crc32_mpeg2, stage2_image
from codegen.errors import TinyforgeError
from codegen.paths import FIRMWARE_DIR, REPO_ROOT, build_root
from codegen.target.boards import load_board
from codegen.target.uf2 import from_uf2, to_uf2
from codegen.verify.emulator import run_firmware

needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed (run scripts/bootstrap)")
SCONS = Path(sys.executable).with_name("scons")
PICO = load_board("rpi_pico")

# ARMv6-M ARM §A6.7: the Thumb instructions a Cortex-M0+ executes. Only BL, DMB, DSB, ISB, MRS, MSR and
# UDF have 32-bit encodings; CBZ, CBNZ, IT and every other 32-bit instruction are ARMv7-M.
ARMV6M = set("""
adc add adr and asr b bic bkpt bl blx bx cmn cmp cpsid cpsie dmb dsb eor isb ldm ldmia ldr ldrb ldrh ldrsb
ldrsh lsl lsr mov mrs msr mul mvn neg nop orr pop push rev rev16 revsh ror rsb sbc sev stm stmia str strb strh
sub svc sxtb sxth tst udf uxtb uxth wfe wfi yield
""".split())
ARMV6M_32BIT = {"bl", "dmb", "dsb", "isb", "mrs", "msr", "udf"}
CONDITIONS = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le")
LINE = __import__("re").compile(r"^\s*[0-9a-f]+:\s+([0-9a-f]{4})(?: ([0-9a-f]{4}))?\s+(\S+)")


def v6m_lacks(halfwords: int, mnemonic: str) -> bool:
    m = mnemonic.lower().split(".")[0]
    if m.startswith("b") and m[1:] in CONDITIONS:      # conditional branch, 16-bit encoding T1
        return halfwords != 1
    base = m[:-1] if m.endswith("s") and m[:-1] in ARMV6M else m   # flag-setting forms: adds, movs, ...
    if base not in ARMV6M:
        return True
    return halfwords == 2 and base not in ARMV6M_32BIT


def forbidden_v6m(path: Path) -> list[str]:
    dump = subprocess.run(["arm-none-eabi-objdump", "-d", str(path)], check=True, capture_output=True,
                          text=True).stdout
    bad = []
    for line in dump.splitlines():
        m = LINE.match(line)
        if m and not m.group(3).startswith(".") and v6m_lacks(2 if m.group(2) else 1, m.group(3)):
            bad.append(line.strip())
    return bad


def test_v6m_checker_knows_the_set():
    for ok, size in [("adds", 1), ("ldr", 1), ("bne.n", 1), ("muls", 1), ("bl", 2), ("dsb", 2), ("msr", 2),
                     ("sxtb", 1), ("rev", 1), ("ldmia", 1)]:
        assert not v6m_lacks(size, ok), ok
    for bad, size in [("ldr.w", 2), ("cbz", 1), ("ite", 1), ("smull", 2), ("sdiv", 2), ("ubfx", 2), ("mla", 2),
                      ("beq.w", 2), ("usat", 2), ("clz", 2), ("movw", 2)]:
        assert v6m_lacks(size, bad), bad


def test_crc32_is_the_bootroms():
    assert crc32_mpeg2(b"123456789") == 0x0376E6E7      # CRC-32/MPEG-2 check value


@needs_toolchain
def test_stage2_is_256_bytes_with_its_crc():
    image = stage2_image(FIRMWARE_DIR / "board" / "rp2040_boot2.S", PICO.cflags)
    assert len(image) == BOOT2_BYTES
    assert int.from_bytes(image[-4:], "little") == crc32_mpeg2(image[:-4])


def test_uf2_blocks():
    image = bytes(range(256)) * 2 + b"\x01\x02\x03"
    data = to_uf2(image, 0x10000000, 0xE48BFF56)
    assert len(data) == 3 * 512
    magic0, magic1, flags, addr, size, number, count, family = struct.unpack_from("<8I", data, 512)
    assert (magic0, magic1, flags, addr, size, number, count, family) == (
        0x0A324655, 0x9E5D5157, 0x2000, 0x10000100, 256, 1, 3, 0xE48BFF56)
    assert struct.unpack_from("<I", data, 1024 + 508)[0] == 0x0AB16F30
    blocks = from_uf2(data)
    assert b"".join(blocks[a] for a in sorted(blocks))[:len(image)] == image


@pytest.fixture(scope="module")
def pico_image():
    run = subprocess.run([str(SCONS), "-Q", "board=rpi_pico"], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    return build_root() / "rpi_pico" / "kws_yes_no" / "firmware.elf"


@needs_toolchain
def test_pico_image(pico_image, tmp_path):
    # The .uf2 holds the .bin at the start of XIP flash, second stage first.
    binary = pico_image.with_suffix(".bin").read_bytes()
    blocks = from_uf2(pico_image.with_suffix(".uf2").read_bytes())
    assert min(blocks) == 0x10000000
    assert b"".join(blocks[a] for a in sorted(blocks))[:len(binary)] == binary
    assert crc32_mpeg2(binary[:252]) == int.from_bytes(binary[252:256], "little")
    # Nothing but ARMv6-M in the linked image, newlib included.
    assert forbidden_v6m(pico_image) == []

    # The bootrom refuses a second stage whose CRC does not match; so does the emulator.
    from elftools.elf.elffile import ELFFile
    with open(pico_image, "rb") as f:
        offset = ELFFile(f).get_section_by_name(".boot2")["sh_offset"]
    broken = tmp_path / "broken.elf"
    data = bytearray(pico_image.read_bytes())
    data[offset + 10] ^= 0xFF
    broken.write_bytes(bytes(data))
    run = run_firmware(broken, PICO, max_instructions=1_000_000)
    assert run.exit_code is None and run.fault.kind == "board"
    assert run.fault.message.startswith("boot: the RP2040 bootrom finds no valid second-stage bootloader at "
                                        "0x10000000 (the CRC32 of its first 252 bytes is 0x")


@needs_toolchain
def test_every_firmware_source_compiles_to_armv6m(tmp_path):
    from codegen.emit.board_support import render_board_support
    render_board_support(PICO, tmp_path)
    sources = [*sorted((FIRMWARE_DIR / "kernels").glob("*.c")), *sorted((FIRMWARE_DIR / "runtime").glob("*.c")),
               FIRMWARE_DIR / "board" / "startup.c", FIRMWARE_DIR / "board" / "console_pl011.c"]
    for src in sources:
        obj = tmp_path / (src.stem + ".o")
        subprocess.run(["arm-none-eabi-gcc", *PICO.cflags, "-std=c99", "-Os", f"-I{tmp_path}",
                        f"-I{FIRMWARE_DIR / 'include'}", "-c", str(src), "-o", str(obj)], check=True)
        assert forbidden_v6m(obj) == [], f"{src.name} has instructions a Cortex-M0+ lacks"


@needs_toolchain
def test_uf2_drive_flasher(pico_image, tmp_path):
    from codegen.target.flash import flash
    lines = []
    flash(PICO, pico_image, "uf2", dryrun=True, echo=lines.append, probe=str(tmp_path))
    assert lines == [f"cp {pico_image.with_suffix('.uf2')} {tmp_path}/"]
    flash(PICO, pico_image, "uf2", echo=lines.append, probe=str(tmp_path))      # a real copy, to a folder
    assert (tmp_path / "firmware.uf2").read_bytes() == pico_image.with_suffix(".uf2").read_bytes()
    with pytest.raises(TinyforgeError) as missing:
        flash(PICO, pico_image, "uf2", echo=lines.append)
    assert str(missing.value) == ("flasher=uf2 copies the image to rpi_pico's USB bootloader drive: hold BOOTSEL "
                                  "while plugging the Pico in so it shows up as the RPI-RP2 drive, then flash again "
                                  "with probe=<the drive's folder>")
    lines.clear()
    flash(PICO, pico_image, "picotool", dryrun=True, echo=lines.append)
    assert lines == [f"picotool load -x {pico_image.with_suffix('.uf2')}"]
    lines.clear()
    flash(PICO, pico_image, "openocd", dryrun=True, echo=lines.append)
    assert lines == [f"openocd -f interface/cmsis-dap.cfg -f target/rp2040.cfg -c 'adapter speed 5000' "
                     f"-c 'program {pico_image} verify reset exit'"]
