"""The console on an STM32F1/F2/F4 USART (RM0008 §27.6: SR, DR, BRR, CR1); driver console_stm32_usart.c.

Transmission is instantaneous: SR.TXE and SR.TC always read 1. A byte written
to DR becomes console output once the USART is clocked and enabled (CR1.UE,
CR1.TE); the first one also checks the board's clock claims and that BRR gives
the board's baud rate within 2 % at the modelled bus clock.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ConsoleModel, HardwareError, mhz

CR1_UE, CR1_TE = 1 << 13, 1 << 3
BAUD_TOLERANCE = 0.02


class Stm32Usart(ConsoleModel):
    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.name, (self.sr, self.dr, self.brr, self.cr1) = self.console_registers("stm32_usart", "SR", "DR", "BRR", "CR1")
        self.owns = (self.name,)

    def read(self, reg, value):
        return value | 0xC0 if reg is self.sr else value      # TXE | TC: the shift register is always free

    def unclocked_write(self, reg, value):
        if reg is self.dr:
            raise self.no_clock("DR")

    def write(self, reg, old, value):
        if reg is not self.dr:
            return value
        cr1 = self.bus.value(self.cr1)
        if cr1 & (CR1_UE | CR1_TE) != CR1_UE | CR1_TE:
            raise HardwareError(f"console {self.name} is not enabled: the firmware wrote {self.name}_DR with "
                                f"CR1.UE = {cr1 >> 13 & 1} and CR1.TE = {cr1 >> 3 & 1}")
        self.transmit(bytes([value & 0xFF]))
        return value

    def check_baud(self):
        self.bus.check_clock_claims(self.name)
        hz, clock = self.bus.clock.peripheral_hz(self.name)
        brr = self.bus.value(self.brr) & 0xFFFF
        want = self.board.console["baud"]
        # RM0008 §27.3.4: baud = fCK / (16 * USARTDIV), and BRR holds 16 * USARTDIV.
        baud = hz / brr if brr else 0.0
        if abs(baud - want) > BAUD_TOLERANCE * want:
            raise HardwareError(f"console {self.name} runs at {baud:,.0f} baud, not the board's {want:,}: "
                                f"{self.name}_BRR = {brr} at {clock} = {mhz(hz)} (BRR must be {clock} / baud)")


MODEL = Stm32Usart
