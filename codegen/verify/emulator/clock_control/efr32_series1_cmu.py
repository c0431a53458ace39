"""EFR32 Series 1 clock management unit (EFR32xG12 Reference Manual §11) and MSC wait states.

HFCLK comes from HFRCO (19 MHz out of reset) or HFXO (the board's
``[cpu] crystal_hz``), selected with CMU_HFCLKSEL once the oscillator is ready
(CMU_STATUS); oscillators become ready as soon as CMU_OSCENCMD starts them.
HFCLK = HFSRCCLK / (HFPRESC.PRESC + 1); HFPERCLK = HFCLK / (HFPERPRESC.PRESC + 1).
CMU_HFBUSCLKEN0 gates bus peripherals (GPIO) on HFBUSCLK = HFCLK,
CMU_HFPERCLKEN0 the HFPERCLK peripherals (USARTs).
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ClockControl, HardwareError, mhz

HFRCO_RESET_HZ = 19_000_000
# OSCENCMD command bits -> STATUS enabled | ready bits
OSC_COMMANDS = {0: ("HFRCO", 0b0011), 2: ("HFXO", 0b1100)}
SELECT = {1: "HFRCO", 2: "HFXO"}
READY = {"HFRCO": 1 << 1, "HFXO": 1 << 3}
# RM §7 (MSC): READCTRL.MODE WS0 allowed up to 25 MHz; WS1 above.
WAIT_STATES = ((25_000_000, 0), (50_000_000, 1))


class Efr32Series1Cmu(ClockControl):
    owns = ("CMU", "MSC")

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        r = lambda name: chip.register("CMU", name)
        self.oscencmd, self.status, self.hfclksel, self.hfclkstatus = (
            r("OSCENCMD"), r("STATUS"), r("HFCLKSEL"), r("HFCLKSTATUS"))
        self.hfpresc, self.hfperpresc = r("HFPRESC"), r("HFPERPRESC")
        self.readctrl = chip.register("MSC", "READCTRL")
        self.hfxo_hz = board.data["cpu"].get("crystal_hz", 0)

    def write(self, reg, old, value):
        if reg is self.oscencmd:
            status = self.bus.value(self.status)
            for bit, (osc, bits) in OSC_COMMANDS.items():
                if value >> bit & 1 and (osc != "HFXO" or self.hfxo_hz):
                    status |= bits
                if value >> (bit + 1) & 1:
                    status &= ~bits
            self.bus.set_value(self.status, status)
            return 0                                  # a command register reads as 0
        if reg is self.hfclksel:
            osc = SELECT.get(value & 7)
            if osc and self.bus.value(self.status) & READY[osc]:
                self.bus.set_value(self.hfclkstatus, value & 7)
                self.check_wait_states()
            return 0
        if reg in (self.hfpresc, self.readctrl):
            self.bus.set_value(reg, value)
            self.check_wait_states()
        return value

    def _hfsrcclk(self) -> tuple[int, str]:
        if self.bus.value(self.hfclkstatus) & 7 == 2:
            return self.hfxo_hz, f"HFXO {mhz(self.hfxo_hz)}"
        return HFRCO_RESET_HZ, "HFRCO 19,000,000 Hz, the reset clock"

    def _hfclk(self) -> int:
        return self._hfsrcclk()[0] // (((self.bus.value(self.hfpresc) >> 8) & 0x1F) + 1)

    def core_hz(self):
        src, how = self._hfsrcclk()
        hfclk = self._hfclk()
        return hfclk, how if hfclk == src else f"{how} / {src // hfclk}"

    def peripheral_hz(self, peripheral):
        gate = self.chip.gates.get(peripheral)
        if gate and gate.register == "HFPERCLKEN0":
            return self._hfclk() // (((self.bus.value(self.hfperpresc) >> 8) & 0x1FF) + 1), "HFPERCLK"
        return self._hfclk(), "HFBUSCLK"

    def check_wait_states(self):
        hfclk = self._hfclk()
        mode = (self.bus.value(self.readctrl) >> 24) & 3
        needed = next((ws for limit, ws in WAIT_STATES if hfclk <= limit), WAIT_STATES[-1][1])
        if mode < needed:
            raise HardwareError(f"flash wait states: MSC_READCTRL.MODE = WS{mode} at HFCLK {mhz(hfclk)}; "
                                f"the EFR32xG12 reference manual needs WS{needed} above 25 MHz")


MODEL = Efr32Series1Cmu
