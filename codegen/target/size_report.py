"""Flash and RAM use of a linked firmware, measured from its ELF sections."""
from __future__ import annotations

import json
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from codegen.target.boards import Board

ARENA_SYMBOL = "model_arena"


def measure(elf_path: str | Path, board: Board, manifest_path: str | Path | None = None) -> dict:
    flash = board.flash
    ram = board.ram
    flash_bytes = ram_static = stack = arena = 0
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        for section in elf.iter_sections():
            if not section["sh_flags"] & SH_FLAGS.SHF_ALLOC or section["sh_size"] == 0:
                continue
            addr, size = section["sh_addr"], section["sh_size"]
            if section.name == ".stack":
                stack = size
            elif ram.origin <= addr < ram.end:
                ram_static += size
                if section["sh_type"] != "SHT_NOBITS":
                    flash_bytes += size   # .data's initial image is stored in flash
            elif flash.origin <= addr < flash.end:
                flash_bytes += size
        symtab = elf.get_section_by_name(".symtab")
        if isinstance(symtab, SymbolTableSection):
            for sym in symtab.get_symbol_by_name(ARENA_SYMBOL) or []:
                arena = sym["st_size"]
    weights = 0
    if manifest_path:
        weights = json.loads(Path(manifest_path).read_text()).get("weight_bytes", 0)
    return {"flash": flash_bytes, "flash_weights": weights, "flash_code_and_other": flash_bytes - weights,
            "ram": ram_static + stack, "ram_static": ram_static - arena, "ram_arena": arena, "ram_stack": stack}


def format_size_report(sizes: dict, board: Board) -> str:
    def pct(used, total):
        return f"{100.0 * used / total:5.1f}%"
    return "\n".join([
        f"size report ({board.name}):",
        f"  flash {sizes['flash']:>8,} / {board.flash.length:>9,} bytes ({pct(sizes['flash'], board.flash.length)})"
        f"  = model weights {sizes['flash_weights']:,} + code and other constants {sizes['flash_code_and_other']:,}",
        f"  RAM   {sizes['ram']:>8,} / {board.ram.length:>9,} bytes ({pct(sizes['ram'], board.ram.length)})"
        f"  = static data {sizes['ram_static']:,} + arena {sizes['ram_arena']:,}"
        f" + stack reserve {sizes['ram_stack']:,}",
    ])
