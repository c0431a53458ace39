"""The console on an STM32 USART with ISR/TDR (F0/F3/F7/L4/H7; RM0385 §34.8); driver console_stm32_usart_v2.c.

Transmission is instantaneous: ISR.TXE and ISR.TC always read 1. A byte written to TDR becomes console
output once the USART is clocked and enabled (CR1.UE, CR1.TE); the first one also checks the board's
clock claims and that BRR gives the board's baud rate within 2 % at the modelled kernel clock.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ConsoleModel, HardwareError, mhz

CR1_UE, CR1_TE, CR1_OVER8 = 1 << 0, 1 << 3, 1 << 15
BAUD_TOLERANCE = 0.02


class Stm32UsartV2(ConsoleModel):
    KIND = "stm32_usart_v2"

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.name, (self.cr1, self.brr, self.isr, self.tdr) = self.console_registers(
            self.KIND, "CR1", "BRR", "ISR", "TDR")
        self.owns = (self.name,)

    def read(self, reg, value):
        return value | 0xC0 if reg is self.isr else value       # TXE | TC

    def unclocked_write(self, reg, value):
        if reg is self.tdr:
            raise self.no_clock("TDR")

    def write(self, reg, old, value):
        if reg is not self.tdr:
            return value
        cr1 = self.bus.value(self.cr1)
        if cr1 & (CR1_UE | CR1_TE) != CR1_UE | CR1_TE:
            raise HardwareError(f"console {self.name} is not enabled: the firmware wrote {self.name}_TDR with "
                                f"CR1.UE = {cr1 & 1} and CR1.TE = {cr1 >> 3 & 1}")
        self.transmit(bytes([value & 0xFF]))
        return value

    def check_baud(self):
        cr1 = self.bus.value(self.cr1)
        self.bus.check_clock_claims(self.name)
        hz, clock = self.bus.clock.peripheral_hz(self.name)
        brr = self.bus.value(self.brr) & 0xFFFF
        want = self.board.console["baud"]
        # RM0385 §34.5.4: USARTDIV = BRR at 16x; at 8x, BRR[3:0] holds USARTDIV[3:0] >> 1.
        div = (brr & 0xFFF0) | ((brr & 7) << 1) if cr1 & CR1_OVER8 else brr
        baud = (2 if cr1 & CR1_OVER8 else 1) * hz / div if div else 0.0
        if abs(baud - want) > BAUD_TOLERANCE * want:
            raise HardwareError(f"console {self.name} runs at {baud:,.0f} baud, not the board's {want:,}: "
                                f"{self.name}_BRR = {brr} at {clock} = {mhz(hz)}")


MODEL = Stm32UsartV2
