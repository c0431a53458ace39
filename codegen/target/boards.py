"""Board files: ``boards/<name>.toml`` read and checked once for every consumer.

The linker script, startup, console driver, compiler flags, the emulator's
memory map and UART model and the flasher all read the same ``Board``.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from codegen.errors import TinyforgeError

from codegen.paths import BOARDS_DIR  # noqa: E402


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
    def dsp(self) -> bool:
        """The firmware uses the DSP extension (SMLAD, SXTB16): codegen lays out weights for it and the
        compiler is told the same (``cflags``). Defaults to what GCC assumes for the core."""
        return self.data["cpu"].get("dsp", CORE_DSP.get(self.core) in ("always", "optional"))

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
        # dsp = false on a core whose DSP extension is optional (M33, M55) must reach the compiler too, or
        # the kernels would use SMLAD over weights laid out for a core without it.
        nodsp = "+nodsp" if not self.dsp and CORE_DSP.get(self.core) == "optional" else ""
        flags = ["-mthumb", f"-mcpu={self.core}{nodsp}"]
        if self.fpu != "none":
            flags += [f"-mfpu={self.fpu}", f"-mfloat-abi={self.float_abi}"]
        else:
            flags += ["-mfloat-abi=soft"]
        return flags


# Whether each core has the DSP extension (SMLAD, SXTB16): "always" (GCC cannot turn it off), "optional"
# (on by default, "-mcpu=...+nodsp" turns it off) or "none". From Arm's technical reference manuals.
CORE_DSP = {"cortex-m0": "none", "cortex-m0plus": "none", "cortex-m1": "none", "cortex-m3": "none",
            "cortex-m23": "none", "cortex-m4": "always", "cortex-m7": "always", "cortex-m33": "optional",
            "cortex-m35p": "optional", "cortex-m55": "optional"}


# The ACLE architecture macro each core's compiler defines: generated code checks it (the wrong-core guard).
CORE_ARCH_MACRO = {"cortex-m0": "__ARM_ARCH_6M__", "cortex-m0plus": "__ARM_ARCH_6M__", "cortex-m1": "__ARM_ARCH_6M__",
                   "cortex-m3": "__ARM_ARCH_7M__", "cortex-m4": "__ARM_ARCH_7EM__", "cortex-m7": "__ARM_ARCH_7EM__",
                   "cortex-m23": "__ARM_ARCH_8M_BASE__", "cortex-m33": "__ARM_ARCH_8M_MAIN__",
                   "cortex-m35p": "__ARM_ARCH_8M_MAIN__", "cortex-m55": "__ARM_ARCH_8_1M_MAIN__"}


# Register-sequence ops a board file may use, and the fields each needs.
_STEP_FIELDS = {
    "write": ("reg", "value"),
    "set": ("reg", "value"),
    "clear": ("reg", "value"),
    "modify": ("reg", "mask", "value"),
    "wait": ("reg", "mask"),
}


def register_steps(board: Board, steps: list[dict], where: str) -> list[dict]:
    """Validate ``[[clock_init]]``/``[[console.init]]`` steps; fill defaults.

    A ``wait`` without ``value`` waits for all ``mask`` bits to be set.
    """
    result = []
    for i, step in enumerate(steps, 1):
        op = step.get("op")
        if op not in _STEP_FIELDS:
            raise TinyforgeError(f"{board.path}: [[{where}]] step {i}: unknown op {op!r} "
                                 f"(expected one of {', '.join(_STEP_FIELDS)})")
        for field in _STEP_FIELDS[op]:
            if not isinstance(step.get(field), int):
                raise TinyforgeError(f"{board.path}: [[{where}]] step {i} ({op}): missing integer '{field}'")
        clean = {"op": op, "reg": step["reg"], "mask": step.get("mask", 0),
                 "value": step.get("value", step.get("mask", 0))}
        if clean["reg"] % 4:
            raise TinyforgeError(f"{board.path}: [[{where}]] step {i}: register 0x{clean['reg']:x} "
                                 "is not 32-bit aligned")
        result.append(clean)
    return result


def console_kinds() -> list[str]:
    """The UART IPs that have a console driver: firmware/board/console_<kind>.c."""
    from codegen.paths import FIRMWARE_DIR
    return sorted(p.stem.removeprefix("console_") for p in (FIRMWARE_DIR / "board").glob("console_*.c"))


def _check_console_kind(path: Path, kind: str) -> None:
    """A console kind needs its C driver and its emulator model, both named for the kind."""
    from codegen.verify.emulator.bus import console_models
    drivers, models = console_kinds(), console_models()
    known = sorted(set(drivers) & set(models))
    if kind not in drivers or kind not in models:
        missing = " and ".join(what for what, have in ((f"firmware/board/console_{kind}.c", kind in drivers),
                                                       (f"codegen/verify/emulator/consoles/{kind}.py", kind in models))
                               if not have)
        raise TinyforgeError(f"{path}: console kind '{kind}' is unknown (known: {', '.join(known)}); a new UART "
                             f"needs {missing}")


def _check_dsp(path: Path, core: str, dsp: bool | None) -> None:
    """The board's dsp flag and its core must agree, so Python's weight layouts and the C kernels agree."""
    kind = CORE_DSP.get(core)
    if kind is None:
        raise TinyforgeError(f"{path}: core '{core}' in [cpu] is not one tinyforge builds for; "
                             f"known cores are {', '.join(CORE_DSP)}")
    if dsp is True and kind == "none":
        raise TinyforgeError(f"{path}: [cpu] dsp = true, but {core} has no DSP extension; remove the line")
    if dsp is False and kind == "always":
        raise TinyforgeError(f"{path}: [cpu] dsp = false, but {core} always has the DSP extension and the compiler "
                             "cannot turn it off; remove the line")


# Every field a consumer reads without a default, with its TOML type: a board file is refused at load
# time, naming the file and the field, rather than deep inside the linker script or the emulator.
_REQUIRED = {
    "board": {"name": str},
    "cpu": {"core": str, "clock_hz": int},
    "memory.flash": {"origin": int, "length": int},
    "memory.ram": {"origin": int, "length": int},
    "stack": {"reserve": int},
    "console": {"kind": str, "base": int, "baud": int, "clock_hz": int, "tx_data_offset": int,
                "status_offset": int, "status_ready": int},
}
# Fields read with a default: checked for type only when present.
_OPTIONAL = {
    "cpu": {"fpu": str, "float_abi": str, "dsp": bool, "crystal_hz": int, "caches": bool},
    "boot": {"stage2": str},
    "flash": {"uf2_family": int},
    "memory.flash": {"wait_states": int, "accelerator": str},
    "renode": {"platform": str, "console": str},
}
_PERIPHERAL_FIELDS = {"name": str, "origin": int, "length": int}
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


FLASH_ACCELERATORS = ("none", "prefetch", "cache")


def _check_flash_timing(path: Path, flash: dict) -> None:
    accelerator = flash.get("accelerator", "none")
    if accelerator not in FLASH_ACCELERATORS:
        raise TinyforgeError(f"{path}: accelerator '{accelerator}' in [memory.flash] is not one of "
                             f"{', '.join(FLASH_ACCELERATORS)}")
    if flash.get("wait_states", 0) < 0:
        raise TinyforgeError(f"{path}: wait_states in [memory.flash] must be 0 or more, got {flash['wait_states']}")


def _check_type(path: Path, where: str, field: str, value, kind: type) -> None:
    # TOML booleans are Python ints: only a field declared bool may be one.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise TinyforgeError(f"{path}: field '{field}' in {where} must be {_TYPE_NAMES[kind]}, "
                             f"got {value!r}")


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
        for field, kind in fields.items():
            if field not in table:
                raise TinyforgeError(f"{path}: missing field '{field}' in [{section}]")
            _check_type(path, f"[{section}]", field, table[field], kind)
    for section, fields in _OPTIONAL.items():
        table = _lookup(data, section) or {}
        for field, kind in fields.items():
            if field in table:
                _check_type(path, f"[{section}]", field, table[field], kind)
    _check_dsp(path, data["cpu"]["core"], data["cpu"].get("dsp"))
    _check_flash_timing(path, data["memory"]["flash"])
    _check_console_kind(path, data["console"]["kind"])
    peripherals = data.get("peripherals", [])
    if not isinstance(peripherals, list):
        raise TinyforgeError(f"{path}: 'peripherals' must be a list of [[peripherals]] tables")
    for number, entry in enumerate(peripherals):
        for field, kind in _PERIPHERAL_FIELDS.items():
            if not isinstance(entry, dict) or field not in entry:
                raise TinyforgeError(f"{path}: missing field '{field}' in [[peripherals]] entry {number + 1}")
            _check_type(path, f"[[peripherals]] entry {number + 1}", field, entry[field], kind)
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
    from codegen.target.chips import check_board_registers
    check_board_registers(board)
    return board
