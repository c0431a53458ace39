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
    path = broken_board(tmp_path, "bluepill", 'kind = "stm32_usart"', 'kind = "sam_sercom"')
    with pytest.raises(TinyforgeError) as refused:
        load_board(path)
    assert str(refused.value) == (
        f"{path}: console kind 'sam_sercom' is unknown (known: efr32_usart, nrf_uarte, pl011, stm32_lpuart, "
        "stm32_usart, stm32_usart_v2); a new UART needs firmware/board/console_sam_sercom.c and "
        "codegen/verify/emulator/consoles/sam_sercom.py")


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


# ---- the other boards' clock rules ----------------------------------------------------------------------

@needs_toolchain
def test_l4_above_80_mhz_needs_boost_mode(tmp_path):
    path = broken_board(tmp_path, "nucleo_l4r5zi", 'op = "clear"\nreg = 0x40007080', 'op = "set"\nreg = 0x40007080')
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "HCLK 120,000,000 Hz needs Range 1 boost mode (RM0432 §5.1.8): clear PWR_CR5.R1MODE (with "
                       "RCC_APB1ENR1.PWREN on) before the clock goes above 80,000,000 Hz")


@needs_toolchain
def test_f7_at_216_mhz_needs_overdrive(tmp_path):
    path = broken_board(tmp_path, "stm32f746g_disco", "reg = 0x40007000              # PWR_CR1: ODSWEN\nvalue = 0x00020000",
                        "reg = 0x40007000              # PWR_CR1: nothing\nvalue = 0x00000000")
    text = path.read_text().replace('[[clock_init]]\nop = "wait"\nreg = 0x40007004              # PWR_CSR1: ODSWRDY\n'
                                    'mask = 0x00020000\nvalue = 0x00020000\n', "")
    path.write_text(text)
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "HCLK 216,000,000 Hz needs over-drive mode (RM0385 §4.1.4): set PWR_CR1.ODEN, wait for "
                       "PWR_CSR1.ODRDY, set PWR_CR1.ODSWEN and wait for ODSWRDY before switching SYSCLK above "
                       "180,000,000 Hz")


@needs_toolchain
def test_nrf_uarte_without_a_tx_pin(tmp_path):
    path = broken_board(tmp_path, "nrf52840dk", "value = 0x00000006", "value = 0x80000006")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "console UARTE0 transmits to no pin: UARTE0_PSEL_TXD = 0x80000006 is disconnected; set it in "
                       "the board file's [[console.init]]")


@needs_toolchain
def test_pico_uart_without_clk_peri(tmp_path):
    path = broken_board(tmp_path, "rpi_pico", "reg = 0x40008048              # CLOCKS_CLK_PERI_CTRL: ENABLE, "
                        "AUXSRC = clk_sys (0)\nvalue = 0x00000800",
                        "reg = 0x40008048              # CLOCKS_CLK_PERI_CTRL: left off\nvalue = 0x00000000")
    assert_board_fault(run_uart_firmware(tmp_path, path),
                       "console UART0 has no clock: the firmware wrote UART0_UARTDR while CLOCKS_CLK_PERI_CTRL.ENABLE "
                       "(bit 11 of 0x40008048) was clear, so the chip sends nothing; set it in the board file's "
                       "[[console.init]]")


def test_easydma_reads_ram_only():
    from codegen.verify.emulator.bus import HardwareError, PeripheralBus
    bus = PeripheralBus(load_board("nrf52840dk"))
    for address, value in ((0x40002500, 8), (0x4000250C, 6), (0x40002524, 0x01D7E000), (0x40002544, 0x00001000),
                           (0x40002548, 4)):
        bus.write(address, 4, value)
    with pytest.raises(HardwareError) as refused:
        bus.write(0x40002008, 4, 1)             # TASKS_STARTTX with TXD.PTR in flash
    assert str(refused.value) == ("console UARTE0: EasyDMA reads Data RAM only, but TXD.PTR = 0x00001000 (4 bytes) is "
                                  "outside RAM 0x20000000-0x20040000")


def test_pico_flash_clock_limit():
    from codegen.verify.emulator.bus import HardwareError, PeripheralBus
    # clk_sys from PLL_SYS at 133 MHz, as the board's steps set it up; then the second stage's BAUDR halved
    bus2 = PeripheralBus(load_board("rpi_pico"))
    bus2.set_value(bus2.chip.register("CLOCKS", "CLK_SYS_SELECTED"), 2)
    bus2.write(0x4002400C, 4, 47)
    bus2.write(0x40024000, 4, 0x00FABAA0)       # XOSC on
    bus2.write(0x4000C000, 4, 0x01FFEFFF)       # PLL_SYS out of reset
    for address, value in ((0x40028000, 1), (0x40028008, 133), (0x40028004, 0x0C), (0x4002800C, 0x00062000),
                           (0x40028004, 0x04), (0x180000F4, 0x03000218)):
        bus2.write(address, 4, value)
    with pytest.raises(HardwareError) as refused:
        bus2.write(0x18000014, 4, 2)            # 133 MHz / 2 = 66.5 MHz
    assert str(refused.value) == ("flash clock: XIP reads with command 03h at clk_sys / XIP_SSI_BAUDR = "
                                  "133,000,000 Hz / 2 = 66,500,000 Hz, above the W25Q16JV's 50,000,000 Hz for that "
                                  "command; raise BAUDR in the second-stage bootloader")
