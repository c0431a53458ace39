"""The console on an nRF52 UARTE with EasyDMA (nRF52840 PS v1.7 §6.34); driver console_nrf_uarte.c.

The firmware puts its bytes in RAM, points TXD.PTR/TXD.MAXCNT at them and triggers TASKS_STARTTX; the
model then reads MAXCNT bytes from RAM at PTR, as EasyDMA does (which reaches Data RAM only: a pointer
into flash is an error, §6.34.3 and §4.6), sets TXD.AMOUNT and raises EVENTS_TXSTARTED and EVENTS_ENDTX.
The first transfer also checks the UARTE is enabled (ENABLE = 8), TXD is connected to a pin, the
board's clock claims, and that BAUDRATE gives the board's baud within 2 %: baud = BAUDRATE * 16 MHz / 2^32.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ConsoleModel, HardwareError, mhz

ENABLE_UARTE = 8
PSEL_DISCONNECTED = 1 << 31
BAUD_TOLERANCE = 0.02


class NrfUarte(ConsoleModel):
    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.name, regs = self.console_registers(
            "nrf_uarte", "TASKS_STARTTX", "EVENTS_ENDTX", "EVENTS_TXSTARTED", "ENABLE", "PSEL_TXD", "BAUDRATE",
            "TXD_PTR", "TXD_MAXCNT", "TXD_AMOUNT")
        (self.starttx, self.endtx, self.txstarted, self.enable, self.psel_txd, self.baudrate,
         self.ptr, self.maxcnt, self.amount) = regs
        self.owns = (self.name,)

    def write(self, reg, old, value):
        if reg is not self.starttx or not value & 1:
            return value
        if self.bus.value(self.enable) != ENABLE_UARTE:
            raise HardwareError(f"console {self.name} is not enabled: the firmware started a transfer with "
                                f"{self.name}_ENABLE = {self.bus.value(self.enable)} (8 enables the UARTE)")
        if self.bus.value(self.psel_txd) & PSEL_DISCONNECTED:
            raise HardwareError(f"console {self.name} transmits to no pin: {self.name}_PSEL_TXD = "
                                f"0x{self.bus.value(self.psel_txd):08x} is disconnected; set it in the board "
                                f"file's [[console.init]]")
        ptr, count = self.bus.value(self.ptr), self.bus.value(self.maxcnt) & 0xFFFF
        ram = self.board.ram
        if not (ram.origin <= ptr and ptr + count <= ram.end):
            raise HardwareError(f"console {self.name}: EasyDMA reads Data RAM only, but TXD.PTR = 0x{ptr:08x} "
                                f"({count} bytes) is outside RAM 0x{ram.origin:08x}-0x{ram.end:08x}")
        self.transmit(self.bus.read_memory(ptr, count))
        self.bus.set_value(self.amount, count)
        self.bus.set_value(self.txstarted, 1)
        self.bus.set_value(self.endtx, 1)
        return 0

    def check_baud(self):
        self.bus.check_clock_claims(self.name)
        hz, clock = self.bus.clock.peripheral_hz(self.name)
        register = self.bus.value(self.baudrate)
        want = self.board.console["baud"]
        baud = register * hz / 2 ** 32
        if abs(baud - want) > BAUD_TOLERANCE * want:
            raise HardwareError(f"console {self.name} runs at {baud:,.0f} baud, not the board's {want:,}: "
                                f"{self.name}_BAUDRATE = 0x{register:08x} at {clock} = {mhz(hz)}")


MODEL = NrfUarte
