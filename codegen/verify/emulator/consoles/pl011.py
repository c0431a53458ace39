"""The console on an Arm PL011 UART (PL011 TRM r1p5 §3.3; RP2040 datasheet §4.2); driver console_pl011.c.

Transmission is instantaneous: UARTFR reads transmit FIFO empty, never full. A byte written to UARTDR
becomes console output once the UART is clocked and enabled (UARTCR.UARTEN, UARTCR.TXE) and its divisor
latched by a UARTLCR_H write; the first one also checks the board's clock claims and that
baud = UARTCLK / (16 * (IBRD + FBRD / 64)) is the board's within 2 %.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ConsoleModel, HardwareError, mhz

CR_UARTEN, CR_TXE = 1 << 0, 1 << 8
FR_TXFF, FR_TXFE, FR_BUSY = 1 << 5, 1 << 7, 1 << 3
BAUD_TOLERANCE = 0.02


class Pl011(ConsoleModel):
    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.name, (self.dr, self.fr, self.ibrd, self.fbrd, self.lcr_h, self.cr) = self.console_registers(
            "pl011", "UARTDR", "UARTFR", "UARTIBRD", "UARTFBRD", "UARTLCR_H", "UARTCR")
        self.owns = (self.name,)
        self.latched = None        # (IBRD, FBRD) as the last UARTLCR_H write latched them

    def read(self, reg, value):
        if reg is self.fr:
            return (value | FR_TXFE) & ~(FR_TXFF | FR_BUSY)
        return value

    def unclocked_write(self, reg, value):
        if reg is self.dr:
            raise self.no_clock("UARTDR")

    def write(self, reg, old, value):
        if reg is self.lcr_h:
            self.latched = (self.bus.value(self.ibrd) & 0xFFFF, self.bus.value(self.fbrd) & 0x3F)
            return value
        if reg is not self.dr:
            return value
        cr = self.bus.value(self.cr)
        if cr & (CR_UARTEN | CR_TXE) != CR_UARTEN | CR_TXE:
            raise HardwareError(f"console {self.name} is not enabled: the firmware wrote {self.name}_UARTDR with "
                                f"UARTCR.UARTEN = {cr & 1} and UARTCR.TXE = {cr >> 8 & 1}")
        self.transmit(bytes([value & 0xFF]))
        return value

    def check_baud(self):
        self.bus.check_clock_claims(self.name)
        hz, clock = self.bus.clock.peripheral_hz(self.name)
        if self.latched is None:
            raise HardwareError(f"console {self.name}: the baud divisor was never latched; the PL011 takes IBRD and "
                                f"FBRD with the next UARTLCR_H write")
        ibrd, fbrd = self.latched
        want = self.board.console["baud"]
        divisor = ibrd + fbrd / 64
        baud = hz / (16 * divisor) if divisor else 0.0
        if abs(baud - want) > BAUD_TOLERANCE * want:
            raise HardwareError(f"console {self.name} runs at {baud:,.0f} baud, not the board's {want:,}: "
                                f"IBRD = {ibrd}, FBRD = {fbrd} at {clock} = {mhz(hz)}")


MODEL = Pl011
