"""STM32L4+ reset and clock control (RM0432 rev 9 §6.4), voltage range (§5.1.8) and flash wait states (§3.3.3).

SYSCLK from MSI (4 MHz at reset, CR.MSIRANGE), HSI16, HSE (the board's ``[cpu] crystal_hz``) or the main
PLL's R output: input / (PLLM + 1) * PLLN / PLLR, PLLR = 2, 4, 6 or 8. Oscillators and the PLL become
ready as soon as they are switched on; CFGR.SW follows to a source that is ready. Above 80 MHz the core
needs Range 1 boost mode (PWR_CR5.R1MODE = 0) and one wait state per 20 MHz. LPUART1 runs on the clock
CCIPR.LPUART1SEL picks (PCLK1 at reset).
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ClockControl, HardwareError, mhz

CR_MSION, CR_MSIRDY, CR_HSION, CR_HSIRDY = 1 << 0, 1 << 1, 1 << 8, 1 << 10
CR_HSEON, CR_HSERDY, CR_PLLON, CR_PLLRDY = 1 << 16, 1 << 17, 1 << 24, 1 << 25
MSI_RANGES_HZ = [100_000, 200_000, 400_000, 800_000, 1_000_000, 2_000_000, 4_000_000, 8_000_000, 16_000_000,
                 24_000_000, 32_000_000, 48_000_000]
HSI16_HZ = 16_000_000
AHB_DIVIDERS = {8: 2, 9: 4, 10: 8, 11: 16, 12: 64, 13: 128, 14: 256, 15: 512}
APB_DIVIDERS = {4: 2, 5: 4, 6: 8, 7: 16}
BOOST_ABOVE_HZ = 80_000_000
# RM0432 Table 12, Range 1 boost: one more wait state every 20 MHz, 5 at 120 MHz.
WAIT_STATES = tuple((20_000_000 * (ws + 1), ws) for ws in range(6))


class Stm32l4Rcc(ClockControl):
    owns = ("RCC", "FLASH", "PWR")

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        r = lambda name: chip.register("RCC", name)
        self.cr, self.cfgr, self.pllcfgr, self.ccipr = r("CR"), r("CFGR"), r("PLLCFGR"), r("CCIPR")
        self.acr = chip.register("FLASH", "ACR")
        self.cr5 = chip.register("PWR", "CR5")
        self.hse_hz = board.data["cpu"].get("crystal_hz", 0)

    def write(self, reg, old, value):
        if reg is self.cr:
            return self.follow_ready(value, ((CR_MSION, CR_MSIRDY, True), (CR_HSION, CR_HSIRDY, True),
                                             (CR_HSEON, CR_HSERDY, bool(self.hse_hz)), (CR_PLLON, CR_PLLRDY, True)))
        if reg is self.pllcfgr:
            return old if self.bus.value(self.cr) & CR_PLLON else value
        if reg is self.cfgr:
            value = self.follow_switch(value, old, {0: CR_MSIRDY, 1: CR_HSIRDY, 2: CR_HSERDY, 3: CR_PLLRDY},
                                       self.bus.value(self.cr))
        if reg in (self.cfgr, self.acr, self.cr5):
            self.bus.set_value(reg, value)
            self.check()
        return value

    def _msi(self) -> int:
        cr = self.bus.value(self.cr)
        # CR.MSIRANGE counts once MSIRGSEL is set; before that the standby range (4 MHz after reset).
        return MSI_RANGES_HZ[(cr >> 4) & 0xF] if cr & (1 << 3) and (cr >> 4) & 0xF < 12 else 4_000_000

    def _sysclk(self) -> tuple[int, str]:
        sws = (self.bus.value(self.cfgr) >> 2) & 3
        if sws == 1:
            return HSI16_HZ, "HSI16"
        if sws == 2:
            return self.hse_hz, f"HSE {mhz(self.hse_hz)}"
        if sws == 3:
            pll = self.bus.value(self.pllcfgr)
            src = pll & 3
            source, name = {1: (self._msi(), "MSI"), 2: (HSI16_HZ, "HSI16"), 3: (self.hse_hz, "HSE")}.get(src, (0, "none"))
            m, n, r = ((pll >> 4) & 0xF) + 1, (pll >> 8) & 0x7F, 2 * (((pll >> 25) & 3) + 1)
            if not pll & (1 << 24):
                return 0, "PLL with its R output off (PLLCFGR.PLLREN = 0)"
            return source // m * n // r, f"PLL: {name} {mhz(source)} / {m} x {n} / {r}"
        return self._msi(), f"MSI {mhz(self._msi())}, the reset clock"

    def _bus_clocks(self) -> dict[str, int]:
        cfgr = self.bus.value(self.cfgr)
        hclk = self._sysclk()[0] // AHB_DIVIDERS.get((cfgr >> 4) & 0xF, 1)
        return {"SYSCLK": self._sysclk()[0], "HCLK": hclk,
                "PCLK1": hclk // APB_DIVIDERS.get((cfgr >> 8) & 7, 1),
                "PCLK2": hclk // APB_DIVIDERS.get((cfgr >> 11) & 7, 1), "HSI16": HSI16_HZ}

    def core_hz(self):
        sysclk, how = self._sysclk()
        hclk = self._bus_clocks()["HCLK"]
        return hclk, how if hclk == sysclk else f"{how}, AHB / {sysclk // max(hclk, 1)}"

    def peripheral_hz(self, peripheral):
        clocks = self._bus_clocks()
        if peripheral == "LPUART1":
            name = ["PCLK1", "SYSCLK", "HSI16", "LSE"][(self.bus.value(self.ccipr) >> 10) & 3]
            return clocks.get(name, 32_768), name
        gate = self.chip.gates.get(peripheral)
        name = ("PCLK1" if gate and gate.register.startswith("APB1") else
                "PCLK2" if gate and gate.register.startswith("APB2") else "HCLK")
        return clocks[name], name

    def check(self):
        hclk = self._bus_clocks()["HCLK"]
        if hclk > BOOST_ABOVE_HZ and self.bus.value(self.cr5) & (1 << 8):
            raise HardwareError(f"HCLK {mhz(hclk)} needs Range 1 boost mode (RM0432 §5.1.8): clear PWR_CR5.R1MODE "
                                f"(with RCC_APB1ENR1.PWREN on) before the clock goes above {mhz(BOOST_ABOVE_HZ)}")
        latency = self.bus.value(self.acr) & 0xF
        needed = next((ws for limit, ws in WAIT_STATES if hclk <= limit), WAIT_STATES[-1][1] + 1)
        if latency < needed:
            raise HardwareError(f"flash wait states: FLASH_ACR.LATENCY = {latency} at HCLK {mhz(hclk)}; "
                                f"RM0432 §3.3.3 needs {needed}, or the core reads flash too fast and fails")


MODEL = Stm32l4Rcc
