"""The emulator fails where the chip would: deliberately broken board files, each with its exact message.

Each case edits one line of a real board file, builds the UART-only test firmware
for it and runs it. On the chip these firmwares print nothing, print garbage or
crash; in the emulator each stops with one line naming what is wrong. The
unedited boards still pass (tests/test_boards.py).
"""
from __future__ import annotations

import shutil

import pytest

from codegen.errors import TinyforgeError
from codegen.paths import BOARDS_DIR
from codegen.target.boards import known_boards, load_board
from codegen.verify.emulator import run_firmware

from firmware_build import TEST_FIRMWARE, compile_firmware  # noqa: E402

needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed (run scripts/bootstrap)")


SWITCH_TO_PLL = """[[clock_init]]
op = "set"
reg = 0x40021004              # RCC_CFGR: SW = PLL
value = 0x00000002
[[clock_init]]
op = "wait"
reg = 0x40021004              # RCC_CFGR: SWS == PLL
mask = 0x0000000C
value = 0x00000008
"""


def broken_board(tmp_path, board: str, old: str, new: str):
    text = (BOARDS_DIR / f"{board}.toml").read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {board}.toml"
    path = tmp_path / f"{board}.toml"     # same file name: the messages name it as the user sees it
    path.write_text(text.replace(old, new))
    return path


def run_uart_firmware(tmp_path, board_path):
    elf = compile_firmware([TEST_FIRMWARE / "uart_only.c"], tmp_path / "fw", board=str(board_path), name="uart_only")
    return run_firmware(elf, load_board(board_path), max_instructions=5_000_000)


def assert_board_fault(run, message):
    assert run.exit_code is None
    assert run.fault is not None and run.fault.kind == "board", run.fault
    assert run.fault.message == message
    assert run.console == ""


@needs_toolchain
def test_console_enabled_in_the_wrong_register(tmp_path):
    # The user's NUCLEO-F401RE mistake on our M3: USART1's enable bit written to APB1ENR, not APB2ENR.
    path = broken_board(tmp_path, "bluepill", "reg = 0x40021018              # RCC_APB2ENR: IOPAEN | USART1EN",
                        "reg = 0x4002101C              # RCC_APB1ENR (wrong register)")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "console USART1 has no clock: the firmware wrote USART1_DR while RCC_APB2ENR.USART1EN "
                       "(bit 14 of 0x40021018) was clear, so the chip sends nothing; set it in the board file's "
                       "[[console.init]]")


@needs_toolchain
def test_claimed_clock_without_pll_steps(tmp_path):
    # clock_hz says 72 MHz, but the steps that switch SYSCLK to the PLL are gone: the core stays on HSI.
    path = broken_board(tmp_path, "bluepill", SWITCH_TO_PLL, "")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "bluepill.toml: [cpu] clock_hz = 72,000,000 Hz, but the firmware's clock steps give "
                       "8,000,000 Hz (HSI 8,000,000 Hz, the reset clock)")


@needs_toolchain
def test_waiting_for_a_crystal_the_board_does_not_have(tmp_path):
    path = broken_board(tmp_path, "bluepill", "crystal_hz = 8_000_000", "")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "[[clock_init]] step 3 waits forever: RCC_CR (0x40021000) reads 0x00010083 100,000 times in "
                       "a row, and the chip never makes (value & 0x00020000) == 0x00020000 (is the oscillator or "
                       "PLL it waits for started, and [cpu] crystal_hz set?)")


@needs_toolchain
def test_console_clock_claim_checked(tmp_path):
    # APB2 divided by 2 (PPRE2 = 0b100) while the board file still says the console runs at 72 MHz.
    path = broken_board(tmp_path, "bluepill", "value = 0x001D0400", "value = 0x001D2400")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "bluepill.toml: [console] clock_hz = 72,000,000 Hz, but USART1 runs on PCLK2 = "
                       "36,000,000 Hz as the firmware set the clocks up")


@needs_toolchain
def test_wrong_baud_divisor(tmp_path):
    # 8x oversampling set in CTRL behind the driver's back doubles the baud rate its CLKDIV was computed for.
    path = broken_board(tmp_path, "efr32mg12", "[[console.init]]\nop = \"set\"\nreg = 0x400E40B0",
                        "[[console.init]]\nop = \"write\"\nreg = 0x40010000              # USART0_CTRL: OVS = X8\n"
                        "value = 0x00000020\n[[console.init]]\nop = \"set\"\nreg = 0x400E40B0")
    run = run_uart_firmware(tmp_path, path)
    # The CTRL write comes before the USART's clock is on, so the chip ignores it: the firmware is fine.
    assert run.exit_code == 0 and run.console == "uart:0 42 -1\r\n", run.fault
    path = broken_board(tmp_path, "efr32mg12", "reg = 0x40010074              # USART0_ROUTEPEN: TXPEN | RXPEN\n"
                        "value = 0x00000003",
                        "reg = 0x40010074              # USART0_ROUTEPEN: TXPEN | RXPEN\nvalue = 0x00000003\n"
                        "[[console.init]]\nop = \"write\"\nreg = 0x40010000              # USART0_CTRL: OVS = X8\n"
                        "value = 0x00000020")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "console USART0 runs at 230,285 baud, not the board's 115,200: USART0_CLKDIV = 0x13d8 at "
                       "HFPERCLK = 38,400,000 Hz with 8x oversampling")


@needs_toolchain
def test_too_few_flash_wait_states(tmp_path):
    path = broken_board(tmp_path, "bluepill", "value = 0x12", "value = 0x10")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "flash wait states: FLASH_ACR.LATENCY = 0 at SYSCLK 72,000,000 Hz; RM0008 §3.3.3 needs 2, "
                       "or the core reads flash too fast and fails")


def test_unknown_console_kind(tmp_path):
    path = broken_board(tmp_path, "bluepill", 'kind = "stm32_usart"', 'kind = "nrf_uarte"')
    with pytest.raises(TinyforgeError) as refused:
        load_board(path)
    assert str(refused.value) == (
        f"{path}: console kind 'nrf_uarte' is unknown (known: efr32_usart, stm32_usart); a new UART needs "
        "firmware/board/console_nrf_uarte.c and codegen/verify/emulator/consoles/nrf_uarte.py")


def test_address_that_is_no_register(tmp_path):
    path = broken_board(tmp_path, "bluepill", "reg = 0x40010804", "reg = 0x40010834")
    with pytest.raises(TinyforgeError) as refused:
        load_board(path)
    assert str(refused.value) == (
        f"{path}: [[console.init]] step 2: 0x40010834 is not a register of STM32F103xx; "
        "the nearest is GPIOA_LCKR at 0x40010818")


def test_unknown_chip(tmp_path):
    path = broken_board(tmp_path, "bluepill", 'chip = "STM32F103C8"', 'chip = "GD32F103C8"')
    with pytest.raises(TinyforgeError) as refused:
        load_board(path)
    assert str(refused.value).startswith(f"{path}: no register data for chip 'GD32F103C8' (known: ")


@needs_toolchain
@pytest.mark.parametrize("board", known_boards())
def test_modelled_clocks_equal_the_board_claims(board, tmp_path):
    from codegen.verify.emulator.core import Emulator
    spec = load_board(board)
    elf = compile_firmware([TEST_FIRMWARE / "uart_only.c"], tmp_path, board=board, name="uart_only")
    emu = Emulator(elf, spec)
    run = emu.run()
    assert run.exit_code == 0 and run.console == "uart:0 42 -1\r\n", run.fault
    clock = emu.bus.clock
    assert clock.core_hz()[0] == spec.clock_hz
    assert clock.peripheral_hz(emu.bus.console.name)[0] == spec.console["clock_hz"]
