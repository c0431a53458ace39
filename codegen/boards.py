"""Board files: ``boards/<name>.toml`` read and checked once for every consumer.

The linker script, startup, console driver, compiler flags, the emulator's
memory map and UART model and the flasher all read the same ``Board``.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import TinyforgeError

BOARDS_DIR = Path(__file__).resolve().parent.parent / "boards"


@dataclass(frozen=True)
class Region:
    name: str
    origin: int
    length: int

    @property
    def end(self) -> int:
        return self.origin + self.length


@dataclass(frozen=True)
class Board:
    name: str
    path: Path
    data: dict

    @property
    def core(self) -> str:
        return self.data["cpu"]["core"]

    @property
    def fpu(self) -> str:
        return self.data["cpu"].get("fpu", "none")

    @property
    def float_abi(self) -> str:
        return self.data["cpu"].get("float_abi", "soft")

    @property
    def clock_hz(self) -> int:
        return self.data["cpu"]["clock_hz"]

    @property
    def flash(self) -> Region:
        m = self.data["memory"]["flash"]
        return Region("flash", m["origin"], m["length"])

    @property
    def ram(self) -> Region:
        m = self.data["memory"]["ram"]
        return Region("ram", m["origin"], m["length"])

    @property
    def stack_reserve(self) -> int:
        return self.data["stack"]["reserve"]

    @property
    def peripherals(self) -> list[Region]:
        return [Region(p["name"], p["origin"], p["length"]) for p in self.data.get("peripherals", [])]

    @property
    def console(self) -> dict:
        return self.data["console"]

    @property
    def clock_init(self) -> list[dict]:
        return self.data.get("clock_init", [])

    @property
    def cflags(self) -> list[str]:
        """Target flags derived from the CPU section (compile and link)."""
        flags = ["-mthumb", f"-mcpu={self.core}"]
        if self.fpu != "none":
            flags += [f"-mfpu={self.fpu}", f"-mfloat-abi={self.float_abi}"]
        else:
            flags += ["-mfloat-abi=soft"]
        return flags


_REQUIRED = {
    "board": ["name"],
    "cpu": ["core", "clock_hz"],
    "memory.flash": ["origin", "length"],
    "memory.ram": ["origin", "length"],
    "stack": ["reserve"],
    "console": ["kind", "base", "baud", "clock_hz", "tx_data_offset", "status_offset", "status_ready"],
}


def known_boards() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def _lookup(data: dict, dotted: str):
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def load_board(name_or_path: str | Path) -> Board:
    """Load a board by name (``bluepill``) or by path to its ``.toml`` file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = BOARDS_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise TinyforgeError(
                f"unknown board '{name_or_path}': known boards are {', '.join(known_boards())}")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TinyforgeError(f"{path}: cannot read board file: {exc}") from None
    for section, fields in _REQUIRED.items():
        table = _lookup(data, section)
        if not isinstance(table, dict):
            raise TinyforgeError(f"{path}: missing section [{section}]")
        for field in fields:
            if field not in table:
                raise TinyforgeError(f"{path}: missing field '{field}' in [{section}]")
    board = Board(name=data["board"]["name"], path=path, data=data)
    regions = [board.flash, board.ram, *board.peripherals]
    for i, a in enumerate(regions):
        if a.length <= 0:
            raise TinyforgeError(f"{path}: memory region '{a.name}' has length {a.length}")
        for b in regions[i + 1:]:
            if a.origin < b.end and b.origin < a.end:
                raise TinyforgeError(
                    f"{path}: memory regions '{a.name}' and '{b.name}' overlap "
                    f"(0x{a.origin:08x}-0x{a.end:08x} and 0x{b.origin:08x}-0x{b.end:08x})")
    return board
