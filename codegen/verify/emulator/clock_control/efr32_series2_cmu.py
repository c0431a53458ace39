"""EFR32 Series 2 clock management unit (EFR32xG24 Reference Manual, CMU and HFXO) and MSC wait states.

SYSCLK is CMU_SYSCLKCTRL.CLKSEL: FSRCO (20 MHz, the reset clock), HFRCODPLL
(19 MHz out of reset) or HFXO (the board's ``[cpu] crystal_hz``, which must
be running: HFXO0_CTRL.FORCEEN starts it and HFXO0_STATUS.RDY reports it).
HCLK = SYSCLK / HCLKPRESC, PCLK = HCLK / (1 + PCLKPRESC). CMU_CLKEN0 gates
the peripherals' bus clocks, the HFXO0 registers' own included.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ClockControl, HardwareError, mhz

FSRCO_HZ, HFRCODPLL_RESET_HZ = 20_000_000, 19_000_000
HFXO_CTRL_FORCEEN, HFXO_STATUS_RDY, HFXO_STATUS_ENS = 1 << 16, 1 << 0, 1 << 16
HCLK_DIVIDERS = {0: 1, 1: 2, 3: 4, 7: 8, 15: 16}
# MSC_READCTRL.MODE: WS0 up to 40 MHz, WS1 up to 80 MHz (the board file's note for xG24).
WAIT_STATES = ((40_000_000, 0), (80_000_000, 1))


class Efr32Series2Cmu(ClockControl):
    owns = ("CMU", "HFXO0", "MSC")

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.sysclkctrl = chip.register("CMU", "SYSCLKCTRL")
        self.hfxo_ctrl, self.hfxo_status = chip.register("HFXO0", "CTRL"), chip.register("HFXO0", "STATUS")
        self.readctrl = chip.register("MSC", "READCTRL")
        self.hfxo_hz = board.data["cpu"].get("crystal_hz", 0)

    def write(self, reg, old, value):
        if reg is self.hfxo_ctrl:
            ready = HFXO_STATUS_RDY | HFXO_STATUS_ENS if value & HFXO_CTRL_FORCEEN and self.hfxo_hz else 0
            self.bus.set_value(self.hfxo_status, ready)
            return value
        if reg is self.sysclkctrl:
            if value & 7 == 3 and not self.bus.value(self.hfxo_status) & HFXO_STATUS_RDY:
                raise HardwareError("CMU_SYSCLKCTRL selects HFXO, but HFXO0 is not running: set HFXO0_CTRL.FORCEEN "
                                    "(with CMU_CLKEN0.HFXO0 on) and wait for HFXO0_STATUS.RDY first")
        if reg in (self.sysclkctrl, self.readctrl):
            self.bus.set_value(reg, value)
            self.check_wait_states()
        return value

    def _sysclk(self) -> tuple[int, str]:
        sel = self.bus.value(self.sysclkctrl) & 7
        if sel == 3:
            return self.hfxo_hz, f"HFXO {mhz(self.hfxo_hz)}"
        if sel == 2:
            return HFRCODPLL_RESET_HZ, "HFRCODPLL 19,000,000 Hz"
        return FSRCO_HZ, "FSRCO 20,000,000 Hz, the reset clock"

    def _hclk(self) -> int:
        return self._sysclk()[0] // HCLK_DIVIDERS.get((self.bus.value(self.sysclkctrl) >> 12) & 0xF, 1)

    def core_hz(self):
        sysclk, how = self._sysclk()
        hclk = self._hclk()
        return hclk, how if hclk == sysclk else f"{how} / {sysclk // hclk}"

    def peripheral_hz(self, peripheral):
        return self._hclk() // (1 + ((self.bus.value(self.sysclkctrl) >> 10) & 1)), "PCLK"

    def check_wait_states(self):
        hclk = self._hclk()
        mode = (self.bus.value(self.readctrl) >> 20) & 3
        needed = next((ws for limit, ws in WAIT_STATES if hclk <= limit), WAIT_STATES[-1][1])
        if mode < needed:
            raise HardwareError(f"flash wait states: MSC_READCTRL.MODE = WS{mode} at HCLK {mhz(hclk)}; "
                                f"the EFR32xG24 reference manual needs WS{needed} above 40 MHz")


MODEL = Efr32Series2Cmu
