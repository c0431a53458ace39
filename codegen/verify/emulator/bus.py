"""The peripheral bus: register windows of a board, with the chip's clock control and console models.

Every register starts at its reset value from the chip's data file
(``codegen/target/chips/``). A peripheral whose clock-enable bit is clear
behaves as on the chip: writes to it are ignored and reads return its reset
value. Two models stand behind the registers:

- the chip's clock control (``clock_control/<model>.py``, named by the chip
  file): oscillators, PLL, prescalers, enable bits and flash wait states;
- the board's console UART (``consoles/<console.kind>.py``), beside its C
  driver ``firmware/board/console_<kind>.c``.

A model that finds what the chip would not survive raises ``HardwareError``;
the emulator stops there and reports its one line.
"""
from __future__ import annotations

import importlib
import pkgutil

from codegen.errors import TinyforgeError
from codegen.target.boards import Board, register_steps
from codegen.target.chips import Chip, Register, chip_for

from codegen.verify.emulator import clock_control, consoles


# Reads of one register, with one result, in a row before a wait loop counts as endless: a real wait
# for an oscillator or a UART flag ends within a few thousand polls in the models.
SPIN_LIMIT = 100_000


class HardwareError(Exception):
    """What the chip would do differently from what the firmware expects, in one line."""


def _models(package) -> dict[str, type]:
    return {m.name: importlib.import_module(f"{package.__name__}.{m.name}").MODEL
            for m in pkgutil.iter_modules(package.__path__)}


def console_models() -> list[str]:
    return sorted(_models(consoles))


def mhz(hz: float) -> str:
    return f"{hz:,.0f} Hz"


class PeripheralModel:
    """Base of the register models: ``read`` may change what a register reads, ``write`` what it stores."""
    owns: tuple[str, ...] = ()     # peripherals whose registers this model handles

    def __init__(self, board: Board, chip: Chip, bus: "PeripheralBus"):
        self.board, self.chip, self.bus = board, chip, bus

    def console_registers(self, kind: str, *names: str) -> tuple[str, list[Register]]:
        """The console peripheral's name and its registers ``names``, or one line saying it is not a ``kind``."""
        base = self.board.console["base"]
        # the peripheral at that base that has these registers (nRF's UART0 and UARTE0 share one)
        at_base = [n for n, (b, _) in self.chip.peripherals.items() if b == base]
        name = next((n for n in at_base if all((n, r) in self.chip.by_name for r in names)),
                    self.chip.peripheral_at(base))
        missing = [n for n in names if (name, n) not in self.chip.by_name]
        if name is None or missing:
            raise TinyforgeError(f"{self.board.path}: [console] base 0x{base:08x} is {name or 'no peripheral'} of "
                                 f"{self.chip.device}, not a {kind} UART (it has no {', '.join(missing or names)} "
                                 f"register)")
        return name, [self.chip.register(name, n) for n in names]

    def read(self, reg: Register, value: int) -> int:
        return value

    def write(self, reg: Register, old: int, value: int) -> int:
        return value

    def unclocked_write(self, reg: Register, value: int) -> None:
        """A write the chip ignores because the peripheral's clock is off."""


class ConsoleModel(PeripheralModel):
    """A console UART: what the firmware transmits becomes the emulator's console output, once the model's
    ``check_baud`` (the board's clock claims and the divisor) has passed for the first byte."""

    def __init__(self, board, chip, bus):
        super().__init__(board, chip, bus)
        self.output = bytearray()
        self.sink = None          # called with each byte as it is sent
        self.checked = False

    def check_baud(self) -> None:
        raise NotImplementedError

    def transmit(self, data: bytes) -> None:
        if not self.checked:
            self.check_baud()
            self.checked = True
        self.output += data
        if self.sink:
            for i in range(len(data)):
                self.sink(data[i:i + 1])

    def no_clock(self, register: str) -> HardwareError:
        return HardwareError(f"console {self.name} has no clock: the firmware wrote {self.name}_{register} while "
                             f"{self.bus.clock.gate_text(self.name)}, so the chip sends nothing; set it in the board "
                             f"file's [[console.init]]")


class ClockControl(PeripheralModel):
    def clocked(self, peripheral: str) -> bool:
        gate = self.chip.gates.get(peripheral)
        if gate is None:
            return True
        bit = self.bus.value(self.chip.register(gate.controller, gate.register)) >> gate.bit & 1
        return bool(bit) != (gate.polarity == "held_in_reset")

    def gate_text(self, peripheral: str) -> str:
        """Why ``peripheral`` has no clock, as a clause: "RCC_APB2ENR.USART1EN (bit 14 of 0x40021018) was clear"."""
        gate = self.chip.gates[peripheral]
        reg = self.chip.register(gate.controller, gate.register)
        where = f"{reg.full_name}.{gate.field} (bit {gate.bit} of 0x{reg.address:08x})"
        return f"{where} held it in reset" if gate.polarity == "held_in_reset" else f"{where} was clear"

    @staticmethod
    def follow_ready(value: int, oscillators) -> int:
        """An RCC-style control register: each (enable bit, ready bit, present) oscillator is ready as soon as
        it is enabled (the models count no time), and one the board lacks never becomes ready."""
        for on, ready, present in oscillators:
            value = value | ready if value & on and present else value & ~ready
        return value

    @staticmethod
    def follow_switch(value: int, old: int, ready_of_source: dict, control: int) -> int:
        """STM32 CFGR: the clock switch status (SWS, bits 3:2) follows SW (bits 1:0) only to a source whose
        ready bit is set in ``control``; otherwise the core stays on the old source."""
        sw = value & 3
        ready = ready_of_source.get(sw, 0)
        sws = sw if ready and control & ready else (old >> 2) & 3
        return (value & ~0xC) | (sws << 2)

    def core_hz(self) -> tuple[int, str]:
        """The core clock and how it is made, e.g. (72000000, 'PLL: HSE 8,000,000 Hz x 9')."""
        raise NotImplementedError

    def peripheral_hz(self, peripheral: str) -> tuple[int, str]:
        """The clock a peripheral runs on and its name, e.g. (72000000, 'PCLK2')."""
        raise NotImplementedError


class PeripheralBus:
    def __init__(self, board: Board):
        self.board = board
        self.chip = chip_for(board.data["board"].get("chip", ""), board.path)
        clocks, uarts = _models(clock_control), _models(consoles)
        if self.chip.clock_model not in clocks:
            raise TinyforgeError(f"{self.chip.path.name}: the emulator has no clock-control model "
                                 f"'{self.chip.clock_model}' (known: {', '.join(sorted(clocks))})")
        kind = board.console["kind"]
        if kind not in uarts:
            raise TinyforgeError(f"{board.path}: console kind '{kind}' has no emulator model (known: "
                                 f"{', '.join(sorted(uarts))}); a new UART needs "
                                 f"codegen/verify/emulator/consoles/{kind}.py beside its C driver")
        self.values: dict[int, int] = {a: r.reset for a, r in self.chip.registers.items()}
        # RAM as the CPU sees it, for models of DMA masters (set by the emulator core)
        self.read_memory = lambda address, size: bytes(size)
        self.clock: ClockControl = clocks[self.chip.clock_model](board, self.chip, self)
        self.console = uarts[kind](board, self.chip, self)
        # A register read over and over with the same result: a wait loop the chip would never leave.
        self._last_read = (0, 0, 0)      # address, value, times in a row
        self._waits: dict[int, list[tuple[int, dict]]] = {}
        for i, step in enumerate(register_steps(board, board.clock_init, "clock_init"), 1):
            if step["op"] == "wait":
                self._waits.setdefault(step["reg"], []).append((i, step))
        self._owner: dict[str, PeripheralModel] = {}
        # Where two peripherals share an address range (nRF's UART0 and UARTE0), a register's address
        # means the one a model owns.
        self.registers = dict(self.chip.registers)
        for model in (self.clock, self.console):
            for name in model.owns:
                self._owner[name] = model
                for (peripheral, _), reg in self.chip.by_name.items():
                    if peripheral == name:
                        self.registers[reg.address] = reg
                        self.values[reg.address] = reg.reset

    def value(self, reg: Register) -> int:
        return self.values.get(reg.address, 0)

    def set_value(self, reg: Register, value: int) -> None:
        self.values[reg.address] = value & 0xFFFFFFFF

    def read(self, address: int, size: int) -> int:
        word = address & ~3
        reg = self.registers.get(word)
        if reg is None:
            value = self.values.get(word, 0)      # not a documented register: reads what was written, if anything
        elif not self.clock.clocked(reg.peripheral):
            value = reg.reset
        else:
            value = self.values[word]
            owner = self._owner.get(reg.peripheral)
            if owner is not None:
                value = owner.read(reg, value)
        last, seen, times = self._last_read
        times = times + 1 if (last, seen) == (word, value) else 1
        self._last_read = (word, value, times)
        if times == SPIN_LIMIT and reg is not None:
            self._spinning(reg, value)
        shift = 8 * (address & 3)
        return (value >> shift) & ((1 << (8 * size)) - 1)

    def write(self, address: int, size: int, value: int) -> None:
        word = address & ~3
        shift = 8 * (address & 3)
        mask = ((1 << (8 * size)) - 1) << shift
        old = self.values.get(word, 0)
        new = (old & ~mask) | ((value << shift) & mask)
        reg = self.registers.get(word)
        if reg is None:
            self.values[word] = new
            return
        owner = self._owner.get(reg.peripheral)
        if not self.clock.clocked(reg.peripheral):
            if owner is not None:
                owner.unclocked_write(reg, new)
            return
        self.values[word] = owner.write(reg, old, new) & 0xFFFFFFFF if owner is not None else new

    def _spinning(self, reg: Register, value: int) -> None:
        where = f"{reg.full_name} (0x{reg.address:08x}) reads 0x{value:08x} {SPIN_LIMIT:,} times in a row"
        unmet = [(i, step) for i, step in self._waits.get(reg.address, ())
                 if value & step["mask"] != step["value"]]
        if unmet:
            i, step = unmet[0]
            raise HardwareError(f"[[clock_init]] step {i} waits forever: {where}, and the chip never makes "
                                f"(value & 0x{step['mask']:08x}) == 0x{step['value']:08x} (is the oscillator "
                                f"or PLL it waits for started, and [cpu] crystal_hz set?)")
        raise HardwareError(f"the firmware waits forever: {where}")

    def check_clock_claims(self, peripheral: str) -> None:
        """The clocks the board file claims must be the ones the firmware's register steps made."""
        board = self.board
        core, how = self.clock.core_hz()
        if core != board.clock_hz:
            raise HardwareError(f"{board.path.name}: [cpu] clock_hz = {mhz(board.clock_hz)}, but the firmware's "
                                f"clock steps give {mhz(core)} ({how})")
        hz, name = self.clock.peripheral_hz(peripheral)
        claimed = board.console["clock_hz"]
        if hz != claimed:
            raise HardwareError(f"{board.path.name}: [console] clock_hz = {mhz(claimed)}, but {peripheral} runs on "
                                f"{name} = {mhz(hz)} as the firmware set the clocks up")
