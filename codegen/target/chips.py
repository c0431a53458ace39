"""Register facts of the chips the boards use: ``codegen/target/chips/*.json``.

Each file lists a chip's peripherals (base, size), every register's offset and
reset value, and which clock-controller bit gates each peripheral. STM32 and
nRF files are generated from the vendors' CMSIS-SVD files by
``scripts/import-svd``; files for parts without an SVD at hand say where their
facts come from. Board files are checked against them, and the emulator starts
every register at its reset value and models the chip's clock control.

The files under ``boards/`` stay the one place a user edits; a board names
its part in ``[board] chip`` and the chip file that covers the part is found
by its ``parts`` prefixes.
"""
from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from codegen.errors import TinyforgeError

CHIPS_DIR = Path(__file__).resolve().parent / "chips"


@dataclass(frozen=True)
class Register:
    peripheral: str
    name: str
    address: int
    reset: int

    @property
    def full_name(self) -> str:
        return f"{self.peripheral}_{self.name}"


@dataclass(frozen=True)
class ClockGate:
    controller: str      # peripheral that holds the enable register, e.g. RCC
    register: str        # e.g. APB2ENR
    bit: int
    field: str           # e.g. USART1EN
    polarity: str = "enable"   # "held_in_reset": the bit set keeps the peripheral in reset (RP2040 RESETS)


class Chip:
    def __init__(self, path: Path, data: dict):
        self.path = path
        self.device = data["device"]
        self.parts = data["parts"]
        self.source = data["source"]
        self.clock_model = data["clock_model"]
        self.peripherals: dict[str, tuple[int, int]] = {}
        self.registers: dict[int, Register] = {}
        self.by_name: dict[tuple[str, str], Register] = {}
        for name, p in data["peripherals"].items():
            base = int(p["base"], 16)
            self.peripherals[name] = (base, int(p["size"], 16))
            for reg, (offset, reset) in p["registers"].items():
                r = Register(name, reg, base + int(offset, 16), int(reset, 16))
                # Aliased peripherals (same registers at two names) keep the first name.
                self.registers.setdefault(r.address, r)
                self.by_name[(name, reg)] = r
        self._bases = sorted((base, base + size, name) for name, (base, size) in self.peripherals.items())
        self._starts = [b[0] for b in self._bases]
        self._addresses = sorted(self.registers)
        self.gates = {name: ClockGate(*gate) for name, gate in data["clock_gates"].items()}
        self.boot = data.get("boot")     # None: the core boots from the vector table at the start of flash

    def peripheral_at(self, address: int) -> str | None:
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._bases[i][1]:
            return self._bases[i][2]
        return None

    def register(self, peripheral: str, name: str) -> Register:
        try:
            return self.by_name[(peripheral, name)]
        except KeyError:
            raise TinyforgeError(f"{self.path.name}: {self.device} has no register {peripheral}_{name}") from None

    def nearest_register(self, address: int) -> Register:
        i = bisect.bisect_left(self._addresses, address)
        near = [self._addresses[j] for j in (i - 1, i) if 0 <= j < len(self._addresses)]
        return self.registers[min(near, key=lambda a: abs(a - address))]

    def gate_register(self, peripheral: str) -> Register | None:
        gate = self.gates.get(peripheral)
        return self.register(gate.controller, gate.register) if gate else None


@lru_cache(maxsize=None)
def _load(path: Path) -> Chip:
    return Chip(path, json.loads(path.read_text()))


def chip_files() -> list[Path]:
    return sorted(CHIPS_DIR.glob("*.json"))


def chip_for(part: str, board_path: Path | str = "board") -> Chip:
    """The chip file whose ``parts`` prefixes cover ``part`` (the board's ``[board] chip``)."""
    for path in chip_files():
        chip = _load(path)
        if any(part.upper().startswith(prefix.upper()) for prefix in chip.parts):
            return chip
    known = ", ".join(p for path in chip_files() for p in _load(path).parts)
    raise TinyforgeError(f"{board_path}: no register data for chip '{part}' (known: {known}); add "
                         f"codegen/target/chips/<chip>.json with scripts/import-svd from the chip's SVD file")


def check_board_registers(board) -> None:
    """Every register a board file writes or waits on must be a register of its chip, and the console's
    base a peripheral's base: a wrong address is an error naming the nearest register."""
    from codegen.target.boards import register_steps

    chip = chip_for(board.data["board"].get("chip", ""), board.path)
    for where in ("clock_init", "console.init"):
        steps = board.clock_init if where == "clock_init" else board.console.get("init", [])
        for i, step in enumerate(register_steps(board, steps, where), 1):
            if step["reg"] not in chip.registers:
                near = chip.nearest_register(step["reg"])
                raise TinyforgeError(
                    f"{board.path}: [[{where}]] step {i}: 0x{step['reg']:08x} is not a register of {chip.device}; "
                    f"the nearest is {near.full_name} at 0x{near.address:08x}")
    base = board.console["base"]
    name = chip.peripheral_at(base)
    if name is None or chip.peripherals[name][0] != base:
        near = chip.nearest_register(base)
        raise TinyforgeError(f"{board.path}: [console] base 0x{base:08x} is not the base of a {chip.device} "
                             f"peripheral; the nearest register is {near.full_name} at 0x{near.address:08x}")
