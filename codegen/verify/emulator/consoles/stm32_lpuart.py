"""The console on an STM32 low-power UART (LPUART; RM0432 rev 9 §53.7); driver console_stm32_lpuart.c.

The register layout and behaviour of the ISR/TDR USART (``stm32_usart_v2``), with the LPUART's baud
formula: baud = 256 * fCK / BRR, and BRR at least 0x300 (§53.4.7).
"""
from __future__ import annotations

from codegen.verify.emulator.bus import HardwareError, mhz
from codegen.verify.emulator.consoles.stm32_usart_v2 import BAUD_TOLERANCE, Stm32UsartV2


class Stm32Lpuart(Stm32UsartV2):
    KIND = "stm32_lpuart"

    def check_baud(self):
        self.bus.check_clock_claims(self.name)
        hz, clock = self.bus.clock.peripheral_hz(self.name)
        brr = self.bus.value(self.brr) & 0xFFFFF
        want = self.board.console["baud"]
        baud = 256 * hz / brr if brr >= 0x300 else 0.0
        if abs(baud - want) > BAUD_TOLERANCE * want:
            raise HardwareError(f"console {self.name} runs at {baud:,.0f} baud, not the board's {want:,}: "
                                f"{self.name}_BRR = {brr} at {clock} = {mhz(hz)} (BRR must be 256 * {clock} / baud)")


MODEL = Stm32Lpuart
