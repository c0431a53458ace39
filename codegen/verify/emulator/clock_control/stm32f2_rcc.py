"""STM32F2 reset and clock control (RM0033 rev 9 §5.3) and the flash wait states (§2.3.3, Table 3).

The same RCC as STM32F4 and STM32F7 (whose models subclass this one): HSI 16 MHz at reset, HSE from the
board (``[cpu] crystal_hz``: a crystal, or the ST-LINK's 8 MHz MCO in bypass), and a main PLL
SYSCLK = input / PLLM * PLLN / PLLP. Oscillators and the PLL become ready as soon as they are switched
on; CFGR.SW follows to a source that is ready, and CFGR.SWS reports it. PLLCFGR cannot change while the
PLL runs. The AHB enable registers gate on HCLK, APB1ENR on PCLK1 and APB2ENR on PCLK2.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ClockControl, HardwareError, mhz

CR_HSION, CR_HSIRDY, CR_HSEON, CR_HSERDY, CR_PLLON, CR_PLLRDY = 1 << 0, 1 << 1, 1 << 16, 1 << 17, 1 << 24, 1 << 25
AHB_DIVIDERS = {8: 2, 9: 4, 10: 8, 11: 16, 12: 64, 13: 128, 14: 256, 15: 512}
APB_DIVIDERS = {4: 2, 5: 4, 6: 8, 7: 16}


class Stm32f2Rcc(ClockControl):
    owns = ("RCC", "FLASH")
    HSI_HZ = 16_000_000
    # RM0033 Table 3, VDD 2.7-3.6 V: one more wait state every 30 MHz up to 120 MHz.
    WAIT_STATES = ((30_000_000, 0), (60_000_000, 1), (90_000_000, 2), (120_000_000, 3))
    MANUAL = "RM0033 §2.3.3"

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.cr, self.pllcfgr, self.cfgr = (chip.register("RCC", n) for n in ("CR", "PLLCFGR", "CFGR"))
        self.acr = chip.register("FLASH", "ACR")
        self.hse_hz = board.data["cpu"].get("crystal_hz", 0)

    def write(self, reg, old, value):
        if reg is self.cr:
            return self.follow_ready(value, ((CR_HSION, CR_HSIRDY, True), (CR_HSEON, CR_HSERDY, bool(self.hse_hz)),
                                             (CR_PLLON, CR_PLLRDY, True)))
        if reg is self.pllcfgr:
            return old if self.bus.value(self.cr) & CR_PLLON else value
        if reg is self.cfgr:
            value = self.follow_switch(value, old, {0: CR_HSIRDY, 1: CR_HSERDY, 2: CR_PLLRDY}, self.bus.value(self.cr))
            self.bus.set_value(reg, value)
            self.check_wait_states()
            return value
        if reg is self.acr:
            self.bus.set_value(reg, value)
            self.check_wait_states()
        return value

    def _sysclk(self) -> tuple[int, str]:
        sws = (self.bus.value(self.cfgr) >> 2) & 3
        if sws == 1:
            return self.hse_hz, f"HSE {mhz(self.hse_hz)}"
        if sws == 2:
            pll = self.bus.value(self.pllcfgr)
            m, n, p = pll & 0x3F, (pll >> 6) & 0x1FF, 2 * (((pll >> 16) & 3) + 1)
            source, name = (self.hse_hz, "HSE") if pll >> 22 & 1 else (self.HSI_HZ, "HSI")
            if m == 0:
                return 0, "PLL with PLLM = 0"
            return source // m * n // p, f"PLL: {name} {mhz(source)} / {m} x {n} / {p}"
        return self.HSI_HZ, f"HSI {mhz(self.HSI_HZ)}, the reset clock"

    def _bus_clocks(self) -> dict[str, int]:
        cfgr = self.bus.value(self.cfgr)
        hclk = self._sysclk()[0] // AHB_DIVIDERS.get((cfgr >> 4) & 0xF, 1)
        return {"HCLK": hclk, "PCLK1": hclk // APB_DIVIDERS.get((cfgr >> 10) & 7, 1),
                "PCLK2": hclk // APB_DIVIDERS.get((cfgr >> 13) & 7, 1)}

    def core_hz(self):
        sysclk, how = self._sysclk()
        hclk = self._bus_clocks()["HCLK"]
        return hclk, how if hclk == sysclk else f"{how}, AHB / {sysclk // max(hclk, 1)}"

    def peripheral_hz(self, peripheral):
        gate = self.chip.gates.get(peripheral)
        name = {"APB1ENR": "PCLK1", "APB2ENR": "PCLK2"}.get(gate.register, "HCLK") if gate else "HCLK"
        return self._bus_clocks()[name], name

    def required_wait_states(self, hclk: int) -> int:
        return next((ws for limit, ws in self.WAIT_STATES if hclk <= limit), self.WAIT_STATES[-1][1] + 1)

    def check_wait_states(self):
        hclk = self._bus_clocks()["HCLK"]
        latency = self.bus.value(self.acr) & 0xF
        needed = self.required_wait_states(hclk)
        if latency < needed:
            raise HardwareError(f"flash wait states: FLASH_ACR.LATENCY = {latency} at HCLK {mhz(hclk)}; "
                                f"{self.MANUAL} needs {needed}, or the core reads flash too fast and fails")


MODEL = Stm32f2Rcc
