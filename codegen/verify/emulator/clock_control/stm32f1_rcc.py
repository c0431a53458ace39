"""STM32F1 reset and clock control (RM0008 rev 21 §7.3) and the flash wait states (§3.3.3).

Oscillators become ready as soon as they are switched on (the firmware's wait
loops end at once); the board file's ``[cpu] crystal_hz`` is the HSE crystal.
SYSCLK follows CFGR.SW only to a source that is ready, as on the chip, and
CFGR.SWS reports it. The PLL configuration cannot change while the PLL runs.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ClockControl, HardwareError, mhz

HSI_HZ = 8_000_000
CR_HSION, CR_HSIRDY, CR_HSEON, CR_HSERDY, CR_PLLON, CR_PLLRDY = 1 << 0, 1 << 1, 1 << 16, 1 << 17, 1 << 24, 1 << 25
CFGR_PLL_FIELDS = 0x3F << 16             # PLLSRC, PLLXTPRE, PLLMUL
AHB_DIVIDERS = {8: 2, 9: 4, 10: 8, 11: 16, 12: 64, 13: 128, 14: 256, 15: 512}
APB_DIVIDERS = {4: 2, 5: 4, 6: 8, 7: 16}
# RM0008 §3.3.3: LATENCY 0 up to 24 MHz, 1 up to 48 MHz, 2 up to 72 MHz.
WAIT_STATES = ((24_000_000, 0), (48_000_000, 1), (72_000_000, 2))
BUS_OF_ENABLE_REGISTER = {"AHBENR": "HCLK", "APB1ENR": "PCLK1", "APB2ENR": "PCLK2"}


class Stm32f1Rcc(ClockControl):
    owns = ("RCC", "FLASH")

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.cr = chip.register("RCC", "CR")
        self.cfgr = chip.register("RCC", "CFGR")
        self.acr = chip.register("FLASH", "ACR")
        self.hse_hz = board.data["cpu"].get("crystal_hz", 0)

    def write(self, reg, old, value):
        if reg is self.cr:
            return self.follow_ready(value, ((CR_HSION, CR_HSIRDY, True), (CR_HSEON, CR_HSERDY, bool(self.hse_hz)),
                                             (CR_PLLON, CR_PLLRDY, True)))
        if reg is self.cfgr:
            if self.bus.value(self.cr) & CR_PLLON:       # PLL settings are frozen while it runs
                value = (value & ~CFGR_PLL_FIELDS) | (old & CFGR_PLL_FIELDS)
            value = self.follow_switch(value, old, {0: CR_HSIRDY, 1: CR_HSERDY, 2: CR_PLLRDY}, self.bus.value(self.cr))
            self.bus.set_value(reg, value)
            self.check_wait_states()
            return value
        if reg is self.acr:
            self.bus.set_value(reg, value)
            self.check_wait_states()
        return value

    def _sysclk(self) -> tuple[int, str]:
        cfgr = self.bus.value(self.cfgr)
        sws = (cfgr >> 2) & 3
        if sws == 1:
            return self.hse_hz, f"HSE {mhz(self.hse_hz)}"
        if sws == 2:
            mul = min(((cfgr >> 18) & 0xF) + 2, 16)
            if cfgr >> 16 & 1:
                div = 2 if cfgr >> 17 & 1 else 1
                return self.hse_hz // div * mul, f"PLL: HSE {mhz(self.hse_hz)}{' / 2' if div == 2 else ''} x {mul}"
            return HSI_HZ // 2 * mul, f"PLL: HSI / 2 x {mul}"
        return HSI_HZ, "HSI 8,000,000 Hz, the reset clock"

    def _bus_clocks(self) -> dict[str, int]:
        cfgr = self.bus.value(self.cfgr)
        hclk = self._sysclk()[0] // AHB_DIVIDERS.get((cfgr >> 4) & 0xF, 1)
        return {"HCLK": hclk, "PCLK1": hclk // APB_DIVIDERS.get((cfgr >> 8) & 7, 1),
                "PCLK2": hclk // APB_DIVIDERS.get((cfgr >> 11) & 7, 1)}

    def core_hz(self):
        sysclk, how = self._sysclk()
        hclk = self._bus_clocks()["HCLK"]
        return hclk, how if hclk == sysclk else f"{how}, AHB / {sysclk // hclk}"

    def peripheral_hz(self, peripheral):
        gate = self.chip.gates.get(peripheral)
        name = BUS_OF_ENABLE_REGISTER.get(gate.register, "HCLK") if gate else "HCLK"
        return self._bus_clocks()[name], name

    def check_wait_states(self):
        sysclk = self._sysclk()[0]
        latency = self.bus.value(self.acr) & 7
        needed = next((ws for limit, ws in WAIT_STATES if sysclk <= limit), WAIT_STATES[-1][1])
        if latency < needed:
            raise HardwareError(f"flash wait states: FLASH_ACR.LATENCY = {latency} at SYSCLK {mhz(sysclk)}; "
                                f"RM0008 §3.3.3 needs {needed}, or the core reads flash too fast and fails")


MODEL = Stm32f1Rcc
