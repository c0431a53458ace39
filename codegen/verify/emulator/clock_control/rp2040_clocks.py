"""RP2040 resets and clocks (RP2040 datasheet build-version ac2e8f3, §2.14 Subsystem resets, §2.15 Clocks,
§2.16 XOSC, §2.18 PLL) and the flash read clock the QSPI interface gives the XIP flash.

Peripherals are held in reset until RESETS.RESET releases them; RESET_DONE reports that at once. clk_ref
runs from the ring oscillator (about 6.5 MHz) until it selects the crystal oscillator (the board's
``[cpu] crystal_hz``), which becomes stable as soon as XOSC_CTRL enables it. clk_sys runs from clk_ref
or, through its auxiliary mux, from PLL_SYS = ref / REFDIV * FBDIV / (POSTDIV1 * POSTDIV2), which locks
as soon as it is powered and out of reset. clk_peri (the UARTs' clock) must be enabled in CLK_PERI_CTRL.
XIP reads with the serial 03h command run at clk_sys / XIP_SSI.BAUDR and must stay within the 50 MHz the
Pico's W25Q16JV flash allows for that command.
"""
from __future__ import annotations

from codegen.verify.emulator.bus import ClockControl, HardwareError, mhz

ROSC_HZ = 6_500_000
XOSC_ENABLE, XOSC_DISABLE = 0xFAB, 0xD1E
XOSC_STATUS_STABLE, XOSC_STATUS_ENABLED = 1 << 31, 1 << 12
PLL_CS_LOCK = 1 << 31
PLL_PWR_PD, PLL_PWR_POSTDIVPD, PLL_PWR_VCOPD = 1 << 0, 1 << 3, 1 << 5
CLK_PERI_ENABLE = 1 << 11
FLASH_03H_MAX_HZ = 50_000_000
PERIPHERALS_ON_CLK_PERI = ("UART0", "UART1", "SPI0", "SPI1")


class Rp2040Clocks(ClockControl):
    owns = ("RESETS", "CLOCKS", "XOSC", "PLL_SYS", "XIP_SSI")

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        r = chip.register
        self.reset, self.reset_done = r("RESETS", "RESET"), r("RESETS", "RESET_DONE")
        self.xosc_ctrl, self.xosc_status = r("XOSC", "CTRL"), r("XOSC", "STATUS")
        self.pll_cs, self.pll_pwr, self.pll_fbdiv, self.pll_prim = (
            r("PLL_SYS", n) for n in ("CS", "PWR", "FBDIV_INT", "PRIM"))
        self.ref_ctrl, self.ref_selected = r("CLOCKS", "CLK_REF_CTRL"), r("CLOCKS", "CLK_REF_SELECTED")
        self.sys_ctrl, self.sys_div, self.sys_selected = (
            r("CLOCKS", "CLK_SYS_CTRL"), r("CLOCKS", "CLK_SYS_DIV"), r("CLOCKS", "CLK_SYS_SELECTED"))
        self.peri_ctrl = r("CLOCKS", "CLK_PERI_CTRL")
        self.ssi_baudr, self.ssi_spi_ctrlr0 = r("XIP_SSI", "BAUDR"), r("XIP_SSI", "SPI_CTRLR0")
        self.xosc_hz = board.data["cpu"].get("crystal_hz", 0)
        bus.set_value(self.reset_done, ~bus.value(self.reset) & 0x01FFFFFF)

    def write(self, reg, old, value):
        if reg is self.reset:
            self.bus.set_value(self.reset_done, ~value & 0x01FFFFFF)
            self.bus.set_value(reg, value)
            self._update_pll()
            return value
        if reg is self.xosc_ctrl:
            enable = (value >> 12) & 0xFFF
            status = XOSC_STATUS_STABLE | XOSC_STATUS_ENABLED if enable == XOSC_ENABLE and self.xosc_hz else 0
            self.bus.set_value(self.xosc_status, status)
            return value
        if reg in (self.pll_cs, self.pll_pwr, self.pll_fbdiv, self.pll_prim):
            self.bus.set_value(reg, value)
            self._update_pll()
            return self.bus.value(reg)
        if reg is self.ref_ctrl:
            src = value & 3
            if src != 2 or self.bus.value(self.xosc_status) & XOSC_STATUS_STABLE:   # 2: xosc
                self.bus.set_value(self.ref_selected, 1 << src)
            self.bus.set_value(reg, value)
            self._check_flash_clock()
            return value
        if reg is self.sys_ctrl:
            self.bus.set_value(self.sys_selected, 1 << (value & 1))
            self.bus.set_value(reg, value)
            self._check_flash_clock()
            return value
        if reg in (self.ssi_baudr, self.ssi_spi_ctrlr0, self.sys_div):
            self.bus.set_value(reg, value)
            self._check_flash_clock()
        return value

    def _update_pll(self):
        pwr = self.bus.value(self.pll_pwr)
        running = self.clocked("PLL_SYS") and not pwr & (PLL_PWR_PD | PLL_PWR_VCOPD) and self.bus.value(self.pll_fbdiv)
        cs = self.bus.value(self.pll_cs)
        self.bus.set_value(self.pll_cs, cs | PLL_CS_LOCK if running else cs & ~PLL_CS_LOCK)

    def _ref(self) -> tuple[int, str]:
        if self.bus.value(self.ref_selected) == 1 << 2:
            return self.xosc_hz, f"XOSC {mhz(self.xosc_hz)}"
        return ROSC_HZ, "ROSC about 6,500,000 Hz"

    def _pll(self) -> tuple[int, str]:
        cs, pwr, prim = self.bus.value(self.pll_cs), self.bus.value(self.pll_pwr), self.bus.value(self.pll_prim)
        if not cs & PLL_CS_LOCK or pwr & PLL_PWR_POSTDIVPD:
            return 0, "PLL_SYS, not running"
        refdiv, fbdiv = cs & 0x3F, self.bus.value(self.pll_fbdiv) & 0xFFF
        pd1, pd2 = (prim >> 16) & 7, (prim >> 12) & 7
        if not (refdiv and pd1 and pd2):
            return 0, "PLL_SYS with a zero divider"
        ref = self.xosc_hz      # PLL_SYS's reference is the crystal oscillator
        return ref // refdiv * fbdiv // (pd1 * pd2), f"PLL_SYS: XOSC {mhz(ref)} / {refdiv} x {fbdiv} / {pd1} / {pd2}"

    def _sys(self) -> tuple[int, str]:
        ctrl = self.bus.value(self.sys_ctrl)
        if self.bus.value(self.sys_selected) == 2:
            aux = (ctrl >> 5) & 7
            hz, how = {0: self._pll(), 2: (ROSC_HZ, "ROSC"), 3: (self.xosc_hz, "XOSC")}.get(aux, (0, "an unmodelled source"))
        else:
            hz, how = self._ref()
        div = self.bus.value(self.sys_div) >> 8 or 1
        return hz // div, how if div == 1 else f"{how} / {div}"

    def core_hz(self):
        return self._sys()

    def clocked(self, peripheral):
        if not super().clocked(peripheral):
            return False
        return peripheral not in PERIPHERALS_ON_CLK_PERI or bool(self.bus.value(self.peri_ctrl) & CLK_PERI_ENABLE)

    def gate_text(self, peripheral):
        text = super().gate_text(peripheral)
        if peripheral in PERIPHERALS_ON_CLK_PERI:
            if not super().clocked(peripheral):
                return text
            text = f"CLOCKS_CLK_PERI_CTRL.ENABLE (bit 11 of 0x{self.peri_ctrl.address:08x}) was clear"
        return text

    def peripheral_hz(self, peripheral):
        aux = (self.bus.value(self.peri_ctrl) >> 5) & 7
        if aux == 0:
            return self._sys()[0], "clk_peri (from clk_sys)"
        hz = {1: self._pll()[0], 3: ROSC_HZ, 4: self.xosc_hz}.get(aux, 0)
        return hz, "clk_peri"

    def _check_flash_clock(self):
        if self.bus.value(self.ssi_spi_ctrlr0) >> 24 != 0x03:
            return                 # another read command: its own limit, not modelled
        baudr = self.bus.value(self.ssi_baudr) & 0xFFFF
        sck = self._sys()[0] / baudr if baudr else 0
        if sck > FLASH_03H_MAX_HZ:
            raise HardwareError(f"flash clock: XIP reads with command 03h at clk_sys / XIP_SSI_BAUDR = "
                                f"{mhz(self._sys()[0])} / {baudr} = {mhz(sck)}, above the W25Q16JV's "
                                f"{mhz(FLASH_03H_MAX_HZ)} for that command; raise BAUDR in the second-stage bootloader")


MODEL = Rp2040Clocks
