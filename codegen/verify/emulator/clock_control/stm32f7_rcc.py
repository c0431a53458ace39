"""STM32F7 reset and clock control (RM0385 rev 8 §5.3), over-drive (§4.1.4) and flash wait states (§3.3.2).

The RCC of the STM32F2/F4 (``stm32f2_rcc``) with the F7's wait-state table, and the power controller's
over-drive: above 180 MHz HCLK the core needs PWR_CR1.ODEN and then ODSWEN, each acknowledged in
PWR_CSR1 (ODRDY, ODSWRDY), before SYSCLK switches to the PLL. The PWR registers need RCC_APB1ENR.PWREN.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import HardwareError, mhz
from codegen.verify.emulator.clock_control.stm32f2_rcc import Stm32f2Rcc

CR1_ODEN, CR1_ODSWEN = 1 << 16, 1 << 17
CSR1_ODRDY, CSR1_ODSWRDY = 1 << 16, 1 << 17
OVERDRIVE_ABOVE_HZ = 180_000_000


class Stm32f7Rcc(Stm32f2Rcc):
    owns = ("RCC", "FLASH", "PWR")
    # RM0385 Table 5, VDD 2.7-3.6 V: one more wait state every 30 MHz, 7 at 216 MHz.
    WAIT_STATES = tuple((30_000_000 * (ws + 1), ws) for ws in range(7)) + ((216_000_000, 7),)
    MANUAL = "RM0385 §3.3.2"

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.pwr_cr1, self.pwr_csr1 = chip.register("PWR", "CR1"), chip.register("PWR", "CSR1")

    def write(self, reg, old, value):
        if reg is self.pwr_cr1:
            csr = self.bus.value(self.pwr_csr1) & ~(CSR1_ODRDY | CSR1_ODSWRDY)
            if value & CR1_ODEN:
                csr |= CSR1_ODRDY
                if value & CR1_ODSWEN:
                    csr |= CSR1_ODSWRDY
            self.bus.set_value(self.pwr_csr1, csr)
            return value
        value = super().write(reg, old, value)
        if reg is self.cfgr:
            self.check_overdrive()
        return value

    def check_overdrive(self):
        hclk = self._bus_clocks()["HCLK"]
        if hclk > OVERDRIVE_ABOVE_HZ and not self.bus.value(self.pwr_csr1) & CSR1_ODSWRDY:
            raise HardwareError(f"HCLK {mhz(hclk)} needs over-drive mode (RM0385 §4.1.4): set PWR_CR1.ODEN, wait for "
                                f"PWR_CSR1.ODRDY, set PWR_CR1.ODSWEN and wait for ODSWRDY before switching SYSCLK "
                                f"above {mhz(OVERDRIVE_ABOVE_HZ)}")


MODEL = Stm32f7Rcc
