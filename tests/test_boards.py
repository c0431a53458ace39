"""Every board file: its console really drives its own UART, its baud divisor
matches the reference manual's formula, its FPU is switched on before use, and
no Cortex-M3 image contains an instruction the M3 lacks."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from codegen.emit.board_support import render_board_support
from codegen.target.boards import known_boards, load_board
from codegen.errors import TinyforgeError
from codegen.verify.emulator import run_firmware


from firmware_build import FIRMWARE, REPO, TEST_FIRMWARE, compile_firmware  # noqa: E402
from codegen.paths import build_root

BOARDS = known_boards()   # every board file: a new board is tested as soon as it exists
needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed (run scripts/bootstrap)")

# The baud-rate register each console driver computes, and the reference manual's formula for it. The PL011's
# divisor is two registers, IBRD and FBRD: compared as IBRD * 64 + FBRD.
DIVISOR_MACRO = {"stm32_usart": "USART_BRR_VALUE", "efr32_usart": "USART_CLKDIV_VALUE",
                 "stm32_usart_v2": "USART_BRR_VALUE", "stm32_lpuart": "USART_BRR_VALUE",
                 "nrf_uarte": "UARTE_BAUDRATE_VALUE", "pl011": "UART_IBRD_VALUE * 64u + UART_FBRD_VALUE"}
DIVISOR_REGISTER = {"stm32_usart": 0x08, "efr32_usart": None,   # None: from [console.registers] clkdiv
                    "stm32_usart_v2": 0x0C, "stm32_lpuart": 0x0C, "nrf_uarte": 0x524, "pl011": (0x24, 0x28)}


def manual_divisor(kind: str, clock_hz: int, baud: int) -> int:
    if kind in ("stm32_usart", "stm32_usart_v2"):
        # RM0008 §27.3.4, RM0385 §34.5.4: baud = fCK / USARTDIV at 16x oversampling; BRR = USARTDIV.
        return round(Fraction(clock_hz, baud))
    if kind == "stm32_lpuart":
        # RM0432 §53.4.7: baud = 256 * fCK / BRR.
        return round(Fraction(256 * clock_hz, baud))
    if kind == "nrf_uarte":
        # nRF52840 PS §6.34.9.16: baud = BAUDRATE * 16 MHz / 2^32, BAUDRATE's bits 31:12 only.
        return round(Fraction(baud << 32, clock_hz) / 4096) * 4096
    if kind == "pl011":
        # PL011 TRM §3.3.6: divisor = UARTCLK / (16 * baud) = IBRD + FBRD / 64, FBRD rounded to nearest.
        return round(Fraction(64 * clock_hz, 16 * baud))
    # EFR32xG12 RM §18.3.2.2 / EFR32xG24 RM §24.3.2.2: CLKDIV = 256 * (f / (16 * br) - 1), with
    # CLKDIV.DIV in bits [22:3], i.e. a multiple of 8.
    exact = 256 * (Fraction(clock_hz, 16 * baud) - 1)
    return round(exact / 8) * 8


def actual_baud(kind: str, clock_hz: int, register: int) -> Fraction:
    if kind in ("stm32_usart", "stm32_usart_v2"):
        return Fraction(clock_hz, register)
    if kind == "stm32_lpuart":
        return Fraction(256 * clock_hz, register)
    if kind == "nrf_uarte":
        return Fraction(register * clock_hz, 1 << 32)
    if kind == "pl011":
        return Fraction(64 * clock_hz, 16 * register)
    return Fraction(clock_hz, 16) / (1 + Fraction(register, 256))


def divisor_register(emu, con) -> int:
    offset = DIVISOR_REGISTER[con["kind"]]
    if offset is None:
        offset = con["registers"]["clkdiv"]
    if isinstance(offset, tuple):
        return emu.peripheral_read32(con["base"] + offset[0]) * 64 + emu.peripheral_read32(con["base"] + offset[1])
    return emu.peripheral_read32(con["base"] + offset)


@pytest.mark.parametrize("board", BOARDS)
def test_console_divisor_matches_reference_manual(board, tmp_path):
    """Compile the driver's own divisor expression for the host and compare it with the manual's formula."""
    if shutil.which("gcc") is None:
        pytest.skip("host gcc not installed")
    spec = load_board(board)
    kind = spec.console["kind"]
    render_board_support(spec, tmp_path)
    probe = tmp_path / "divisor.c"
    probe.write_text(f'#include <stdio.h>\n#include "console_{kind}.c"\n'
                     f'int main(void) {{ printf("%lu\\n", (unsigned long)({DIVISOR_MACRO[kind]})); return 0; }}\n')
    exe = tmp_path / "divisor"
    subprocess.run(["gcc", "-std=c99", f"-I{tmp_path}", f"-I{FIRMWARE / 'include'}", f"-I{FIRMWARE / 'board'}",
                    str(probe), "-o", str(exe)], check=True, capture_output=True, text=True)
    got = int(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout)
    clock, baud = spec.console["clock_hz"], spec.console["baud"]
    assert got == manual_divisor(kind, clock, baud)
    # Within 1% of 115200 as the UART needs (both sides sample mid-bit over 10 bits).
    assert abs(actual_baud(kind, clock, got) / baud - 1) < Fraction(1, 100)


@needs_toolchain
@pytest.mark.parametrize("board", BOARDS)
def test_firmware_drives_its_own_uart(board, tmp_path):
    spec = load_board(board)
    elf = compile_firmware([TEST_FIRMWARE / "uart_only.c"], tmp_path / board, board=board, name="uart_only")
    # Semihosting only for the exit code: all text must come through the UART's data register.
    from codegen.verify.emulator.core import Emulator
    emu = Emulator(elf, spec)
    run = emu.run()
    assert run.exit_code == 0, run.fault
    assert run.console == "uart:0 42 -1\r\n"
    assert run.semihost_output == ""
    con = spec.console
    kind = con["kind"]
    assert divisor_register(emu, con) == manual_divisor(kind, con["clock_hz"], con["baud"])

    if kind == "efr32_usart":   # CMD is a command register (reads 0): TXEN and RXEN show in STATUS
        status = con["base"] + con["status_offset"]
        assert emu.peripheral_read32(status) & 0b11 == 0b11                                  # TXENS | RXENS
        assert emu.peripheral_read32(con["base"] + con["registers"]["frame"]) == 0x1005        # 8N1

    # A board file whose console names the address next door is refused in one line, or, where that is
    # another UART of the chip, nothing reaches the console: the text really is the bytes written to the
    # board's own UART (this image still drives its own, which the emulator then treats as any register).
    moved = tmp_path / f"moved_{board}.toml"
    text = spec.path.read_text()
    moved.write_text(text.replace(f"base = 0x{con['base']:08X}", f"base = 0x{con['base'] + 0x400:08X}", 1))
    assert f"base = 0x{con['base'] + 0x400:08X}" in moved.read_text()
    try:
        elsewhere = run_firmware(elf, load_board(moved), max_instructions=1_000_000)
    except TinyforgeError as refused:
        assert f"[console] base 0x{con['base'] + 0x400:08x} is " in str(refused)
    else:
        assert elsewhere.console == ""


@needs_toolchain
@pytest.mark.parametrize("board", ["efr32mg12", "efr32mg24"])
def test_fpu_enabled_by_startup(board, tmp_path):
    elf = compile_firmware([TEST_FIRMWARE / "fpu_use.c"], tmp_path / "ok", board=board, name="fpu_use")
    run = run_firmware(elf, load_board(board))
    assert run.exit_code == 0, run.fault
    assert run.console == "fpu:3375\r\n"


@needs_toolchain
@pytest.mark.parametrize("count", [True, False], ids=["counted", "uncounted"])
def test_fp_instruction_without_cpacr_faults(tmp_path, count):
    elf = compile_firmware([TEST_FIRMWARE / "fpu_use.c"], tmp_path / "off", board="efr32mg12", name="fpu_off",
                           extra_flags=["-DDISABLE_FPU_FIRST"])
    run = run_firmware(elf, load_board("efr32mg12"), count=count)
    assert run.fault is not None and run.fault.kind == "hardfault"
    assert "coprocessor access (NOCP)" in run.fault.message
    assert "CP10/CP11 not enabled in CPACR" in run.fault.message
    assert run.fault.function == "main"
    # The firmware's own HardFault handler reports it over the UART with UsageFault NOCP (CFSR bit 19).
    assert "HardFault: CFSR=0x00080000" in run.console


@needs_toolchain
@pytest.mark.parametrize("count", [True, False], ids=["counted", "uncounted"])
def test_fp_instruction_on_core_without_fpu_faults(tmp_path, count):
    elf = compile_firmware([TEST_FIRMWARE / "fpu_use.c"], tmp_path / "m4", board="efr32mg12", name="fpu_use")
    m3 = tmp_path / "efr32mg12_as_m3.toml"
    text = load_board("efr32mg12").path.read_text()
    m3.write_text(text.replace('core = "cortex-m4"', 'core = "cortex-m3"')
                  .replace('fpu = "fpv4-sp-d16"', 'fpu = "none"').replace('float_abi = "hard"', 'float_abi = "soft"')
                  .replace("dsp = true", "dsp = false"))
    run = run_firmware(elf, load_board(m3), count=count)
    assert run.fault is not None and "cortex-m3 has no FPU" in run.fault.message


# ---- Cortex-M3 instruction set -------------------------------------------------

# ARMv7-M ARM §A7.7: the Thumb instructions of the ARMv7-M base architecture, which is all a
# Cortex-M3 executes. Anything else (DSP extension, FPU, ARMv8-M) is an UNDEFINED instruction there.
ARMV7M_BASE = set("""
adc add addw adr and asr b bfc bfi bic bkpt bl blx bx cbnz cbz clrex clz cmn cmp cpsid cpsie dbg dmb dsb
eor isb it ldm ldmia ldmdb ldmfd ldmea ldr ldrb ldrbt ldrd ldrex ldrexb ldrexh ldrh ldrht ldrsb ldrsbt
ldrsh ldrsht ldrt lsl lsr mla mls mov movt movw mrs msr mul mvn neg nop orn orr pld pli pop push rbit rev
rev16 revsh ror rrx rsb sbc sbfx sdiv sev smlal smull ssat stm stmia stmdb stmfd stmea str strb strbt strd
strex strexb strexh strh strht strt sub subw svc sxtb sxth tbb tbh teq tst ubfx udf udiv umlal umull usat
uxtb uxth wfe wfi yield
""".split())
CONDITIONS = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"}
INSTRUCTION = re.compile(r"^\s*[0-9a-f]+:\s+(?:[0-9a-f]{4} ?){1,2}\s+(\S+)")


def m3_lacks(mnemonic: str) -> bool:
    """True if ``mnemonic`` (objdump's spelling) is not an ARMv7-M base instruction."""
    m = mnemonic.lower().split(".")[0]
    if re.fullmatch(r"it[te]{0,3}", m):
        return False
    candidates = {m}
    for cand in list(candidates):            # optional S (flag-setting) and condition suffixes
        if cand[-2:] in CONDITIONS:
            candidates.add(cand[:-2])
    for cand in list(candidates):
        if cand.endswith("s"):
            candidates.add(cand[:-1])
    return not candidates & ARMV7M_BASE


def forbidden_instructions(path: Path) -> list[str]:
    dump = subprocess.run(["arm-none-eabi-objdump", "-d", str(path)], check=True, capture_output=True,
                          text=True).stdout
    bad = []
    for line in dump.splitlines():
        m = INSTRUCTION.match(line)
        if m and not m.group(1).startswith(".") and m3_lacks(m.group(1)):
            bad.append(line.strip())
    return bad


def test_m3_checker_knows_the_base_set():
    for ok in ["adds", "ldr.w", "bne.n", "itete", "movwne", "smull", "sxtb", "usat", "pop", "ldmia.w", "bls"]:
        assert not m3_lacks(ok), ok
    for bad in ["smlad", "sxtb16", "qadd16", "ssat16", "uxtab", "smlabb", "vmov.f32", "vadd.f32", "vldr",
                "vpush", "sg", "tt", "lda", "stl", "bxns", "sel", "pkhbt", "smmul", "uadd8"]:
        assert m3_lacks(bad), bad


@needs_toolchain
def test_m3_checker_catches_m4_code(tmp_path):
    # Control: the same checker flags DSP and FPU instructions in a Cortex-M4F object.
    src = tmp_path / "dsp.c"
    src.write_text("#include <stdint.h>\n"
                   "uint32_t mac(uint32_t a, uint32_t b, uint32_t c)\n"
                   "{ uint32_t r; __asm__(\"smlad %0, %1, %2, %3\" : \"=r\"(r) : \"r\"(a), \"r\"(b), \"r\"(c)); return r; }\n"
                   "float mulf(float x, float y) { return x * y; }\n")
    obj = tmp_path / "dsp.o"
    subprocess.run(["arm-none-eabi-gcc", *load_board("efr32mg12").cflags, "-O2", "-c", str(src), "-o", str(obj)],
                   check=True)
    bad = forbidden_instructions(obj)
    assert any("smlad" in line for line in bad) and any("vmul.f32" in line for line in bad)


def m3_boards() -> list[str]:
    return [b for b in known_boards() if load_board(b).core == "cortex-m3"]


@needs_toolchain
@pytest.mark.parametrize("board", m3_boards())
def test_cortex_m3_builds_use_only_m3_instructions(board, tmp_path):
    """Every firmware source compiled for the board, and a full linked image (newlib included)."""
    spec = load_board(board)
    render_board_support(spec, tmp_path)
    sources = sorted(FIRMWARE.glob("kernels/*.c")) + sorted(FIRMWARE.glob("runtime/*.c")) + [
        FIRMWARE / "board" / "startup.c", FIRMWARE / "board" / f"console_{spec.console['kind']}.c"]
    checked = []
    for src in sources:
        obj = tmp_path / (src.stem + ".o")
        subprocess.run(["arm-none-eabi-gcc", *spec.cflags, "-std=c99", "-Os", f"-I{tmp_path}",
                        f"-I{FIRMWARE / 'include'}", "-c", str(src), "-o", str(obj)], check=True)
        checked.append(obj)
    scons = Path(sys.executable).with_name("scons")
    run = subprocess.run([str(scons), "-Q", f"board={board}"], cwd=REPO, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    checked.append(build_root() / board / "kws_yes_no" / "firmware.elf")
    for path in checked:
        assert forbidden_instructions(path) == [], f"{path.name} has instructions a Cortex-M3 lacks"
