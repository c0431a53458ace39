"""What the emulator needs from the firmware ELF: loadable segments and symbols."""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from codegen.errors import TinyforgeError


@dataclass(frozen=True)
class Segment:
    address: int        # load address (LMA): where the bytes live at reset
    data: bytes
    memsz: int


class ElfInfo:
    def __init__(self, path):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                elf = ELFFile(f)
                if elf["e_machine"] != "EM_ARM" or elf.elfclass != 32:
                    raise TinyforgeError(f"{self.path}: not a 32-bit ARM ELF file")
                self.segments = [
                    Segment(seg["p_paddr"], seg.data(), seg["p_memsz"])
                    for seg in elf.iter_segments()
                    if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0
                ]
                self.symbols: dict[str, int] = {}
                functions = []
                symtab = elf.get_section_by_name(".symtab")
                for sym in symtab.iter_symbols() if symtab else ():
                    if not sym.name or sym["st_shndx"] == "SHN_UNDEF":
                        continue
                    kind = sym["st_info"]["type"]
                    value = sym["st_value"]
                    if kind == "STT_FUNC":
                        # Thumb function symbols have bit 0 set; the code starts at value & ~1.
                        value &= ~1
                        functions.append((value, sym["st_size"], sym.name))
                    if kind in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                        # Globals win over same-named locals (first global seen stays).
                        if sym.name not in self.symbols or sym["st_info"]["bind"] == "STB_GLOBAL":
                            self.symbols[sym.name] = value
        except FileNotFoundError:
            raise TinyforgeError(f"{self.path}: no such file") from None
        except (ELFError, OSError) as exc:
            raise TinyforgeError(f"{self.path}: cannot read ELF: {exc}") from None
        if not self.segments:
            raise TinyforgeError(f"{self.path}: ELF has no loadable segments")
        functions.sort()
        self._func_starts = [f[0] for f in functions]
        self._functions = functions

    @property
    def functions(self) -> list[tuple[int, int, str]]:
        """(start, size, name) of every function, by address."""
        return self._functions

    def function_at(self, address: int) -> str | None:
        """Name of the function containing ``address`` (None outside any)."""
        address &= ~1
        i = bisect.bisect_right(self._func_starts, address) - 1
        while i >= 0:
            start, size, name = self._functions[i]
            if start <= address < start + max(size, 2):
                return name
            if start < address:
                break
            i -= 1
        return None

    def describe(self, address: int) -> str:
        name = self.function_at(address)
        return name if name else "??"
