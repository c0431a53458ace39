"""nRF52 clock control (nRF52840 Product Specification v1.7 §6.4 CLOCK).

The CPU always runs at 64 MHz, from the internal HFINT oscillator or, once TASKS_HFCLKSTART has started
it, from the 32 MHz crystal (the board's ``[cpu] crystal_hz``) through the PLL; EVENTS_HFCLKSTARTED and
HFCLKSTAT report that at once here. Peripherals take their clocks from HFCLK on demand: the nRF has no
per-peripheral clock gates (each peripheral has its own ENABLE register instead), and the UARTE's baud
generator runs from the 16 MHz PCLK16M. The flash needs no wait-state setting (NVMC, §4.3).
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ClockControl, mhz

CPU_HZ, PCLK16M_HZ = 64_000_000, 16_000_000
HFCLKSTAT_SRC_XTAL, HFCLKSTAT_STATE_RUNNING = 1 << 0, 1 << 16


class Nrf52Clock(ClockControl):
    owns = ("CLOCK",)

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        r = lambda name: chip.register("CLOCK", name)
        self.start, self.stop, self.started, self.stat = (
            r("TASKS_HFCLKSTART"), r("TASKS_HFCLKSTOP"), r("EVENTS_HFCLKSTARTED"), r("HFCLKSTAT"))
        self.hfxo_hz = board.data["cpu"].get("crystal_hz", 0)

    def write(self, reg, old, value):
        if reg is self.start and value & 1 and self.hfxo_hz:
            self.bus.set_value(self.started, 1)
            self.bus.set_value(self.stat, HFCLKSTAT_SRC_XTAL | HFCLKSTAT_STATE_RUNNING)
            return 0
        if reg is self.stop and value & 1:
            self.bus.set_value(self.stat, 0)
            return 0
        return value

    def core_hz(self):
        if self.bus.value(self.stat) & HFCLKSTAT_SRC_XTAL:
            return CPU_HZ, f"HFXO {mhz(self.hfxo_hz)} through the PLL"
        return CPU_HZ, "HFINT"

    def peripheral_hz(self, peripheral):
        return PCLK16M_HZ, "PCLK16M"


MODEL = Nrf52Clock
