"""The console on a Silicon Labs EFR32 USART, Series 1 and 2; driver console_efr32_usart.c.

CMD.TXEN sets STATUS.TXENS, and with it TXBL and TXC (transmission is
instantaneous). A byte written to TXDATA becomes console output once the USART
is clocked, enabled (Series 2: EN.EN) and its transmitter on; the first one
also checks the board's clock claims and that CLKDIV gives the board's baud
rate within 2 %: baud = fUSART / (oversampling * (1 + CLKDIV / 256)).
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ConsoleModel, HardwareError, mhz

CMD_RXEN, CMD_RXDIS, CMD_TXEN, CMD_TXDIS = 1 << 0, 1 << 1, 1 << 2, 1 << 3
STATUS_RXENS, STATUS_TXENS, STATUS_TXC, STATUS_TXBL = 1 << 0, 1 << 1, 1 << 5, 1 << 6
OVERSAMPLING = {0: 16, 1: 8, 2: 6, 3: 4}      # CTRL.OVS
BAUD_TOLERANCE = 0.02


class Efr32Usart(ConsoleModel):
    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.name, (self.ctrl, self.cmd, self.status, self.clkdiv, self.txdata) = self.console_registers(
            "efr32_usart", "CTRL", "CMD", "STATUS", "CLKDIV", "TXDATA")
        self.owns = (self.name,)
        self.en = chip.by_name.get((self.name, "EN"))            # Series 2 only

    def read(self, reg, value):
        if reg is self.status and value & STATUS_TXENS:
            return value | STATUS_TXBL | STATUS_TXC
        return value

    def unclocked_write(self, reg, value):
        if reg is self.txdata:
            raise self.no_clock("TXDATA")

    def write(self, reg, old, value):
        if self.en is not None and reg is not self.en and not self.bus.value(self.en) & 1:
            return old                 # Series 2: registers are frozen while EN.EN = 0
        if reg is self.cmd:
            status = self.bus.value(self.status)
            if value & CMD_TXEN:
                status |= STATUS_TXENS
            if value & CMD_TXDIS:
                status &= ~STATUS_TXENS
            if value & CMD_RXEN:
                status |= STATUS_RXENS
            if value & CMD_RXDIS:
                status &= ~STATUS_RXENS
            self.bus.set_value(self.status, status)
            return 0
        if reg is not self.txdata:
            return value
        if not self.bus.value(self.status) & STATUS_TXENS:
            why = (f"{self.name}_EN.EN is 0" if self.en is not None and not self.bus.value(self.en) & 1
                   else "CMD.TXEN was never written")
            raise HardwareError(f"console {self.name} is not enabled: the firmware wrote {self.name}_TXDATA "
                                f"but the transmitter is off ({why})")
        self.transmit(bytes([value & 0xFF]))
        return value

    def check_baud(self):
        self.bus.check_clock_claims(self.name)
        hz, clock = self.bus.clock.peripheral_hz(self.name)
        clkdiv = self.bus.value(self.clkdiv) & 0x007FFFF8
        ovs = OVERSAMPLING[(self.bus.value(self.ctrl) >> 5) & 3]
        want = self.board.console["baud"]
        baud = hz / (ovs * (1 + clkdiv / 256))
        if abs(baud - want) > BAUD_TOLERANCE * want:
            raise HardwareError(f"console {self.name} runs at {baud:,.0f} baud, not the board's {want:,}: "
                                f"{self.name}_CLKDIV = 0x{clkdiv:x} at {clock} = {mhz(hz)} with {ovs}x oversampling")


MODEL = Efr32Usart
