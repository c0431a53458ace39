"""Flash and RAM use of a linked firmware, measured from its ELF sections, and what of it is the test
application and its embedded test data rather than the firmware a user deploys (from the linker map)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from codegen.target.boards import Board

ARENA_SYMBOL = "model_arena"
# Objects that exist only to test the model: the test or stream application and its stream reader, and the
# inputs and TFLite outputs embedded in the firmware (codegen.target.toolchain lists them).
HARNESS_OBJECTS = re.compile(r"/obj/(app/[^/]+|audio/stream_input)\.o$")
TEST_DATA_OBJECTS = re.compile(r"/obj/gen/test_(inputs|expected)\.o$")
# An input section in the map: " .name" then address, size and object, on one line or two.
_MAP_SECTION = re.compile(r"^ (\.\S+|COMMON)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$", re.M)


def harness_bytes(map_path: str | Path, board: Board) -> dict:
    """Flash and RAM bytes of the test application and of the embedded test data, from ld's map file."""
    text = Path(map_path).read_text()
    start = text.find("Linker script and memory map")
    totals = {"flash_harness": 0, "flash_test_data": 0, "ram_harness": 0, "flash_harness_code": 0}
    for m in _MAP_SECTION.finditer(text, max(start, 0)):
        name, addr, size, obj = m.group(1), int(m.group(2), 16), int(m.group(3), 16), m.group(4)
        kind = "harness" if HARNESS_OBJECTS.search(obj) else "test_data" if TEST_DATA_OBJECTS.search(obj) else None
        # debug information and attributes sit at address 0, inside a flash that starts there (EFR32MG12)
        if kind is None or size == 0 or name.startswith((".debug", ".comment", ".ARM.attributes", ".note", ".stab")):
            continue
        if board.flash.origin <= addr < board.flash.end:
            totals[f"flash_{kind}"] += size
            if name.startswith(".text"):
                totals["flash_harness_code"] += size
        elif board.ram.origin <= addr < board.ram.end:
            totals["ram_harness"] += size
            if not name.startswith((".bss", "COMMON")):
                totals[f"flash_{kind}"] += size   # .data's initial image is stored in flash
    return totals


def measure(elf_path: str | Path, board: Board, manifest_path: str | Path | None = None,
            map_path: str | Path | None = None) -> dict:
    """Sizes of the whole image; with the link map, also the deployable part (``flash_deployable``,
    ``ram_deployable``): everything but the test application and its embedded test data."""
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
    weights, weights_line = 0, ""
    if manifest_path:
        manifest = json.loads(Path(manifest_path).read_text())
        weights, weights_line = manifest.get("weight_bytes", 0), manifest.get("weight_budget", "")
    sizes = {"flash": flash_bytes, "flash_weights": weights, "flash_code_and_other": flash_bytes - weights,
             "weight_budget": weights_line,
             "ram": ram_static + stack, "ram_static": ram_static - arena, "ram_arena": arena, "ram_stack": stack}
    harness = harness_bytes(map_path, board) if map_path and Path(map_path).is_file() else {"flash_harness": 0, "flash_test_data": 0,
                                                                 "ram_harness": 0, "flash_harness_code": 0}
    sizes.update(harness)
    sizes["flash_deployable"] = flash_bytes - harness["flash_harness"] - harness["flash_test_data"]
    sizes["ram_deployable"] = sizes["ram"] - harness["ram_harness"]
    sizes["flash_code_and_other"] = sizes["flash_deployable"] - weights
    return sizes


def format_size_report(sizes: dict, board: Board) -> str:
    def pct(used, total):
        return f"{100.0 * used / total:5.1f}%"
    test_flash = sizes["flash_harness"] + sizes["flash_test_data"]
    return "\n".join([
        f"size report ({board.name}):",
        f"  flash {sizes['flash']:>8,} / {board.flash.length:>9,} bytes ({pct(sizes['flash'], board.flash.length)})"
        f"  = model weights {sizes['flash_weights']:,} + code and other constants {sizes['flash_code_and_other']:,}"
        f" + test application {sizes['flash_harness']:,} + embedded test data {sizes['flash_test_data']:,}",
        f"  RAM   {sizes['ram']:>8,} / {board.ram.length:>9,} bytes ({pct(sizes['ram'], board.ram.length)})"
        f"  = static data {sizes['ram_static']:,} + arena {sizes['ram_arena']:,}"
        f" + stack reserve {sizes['ram_stack']:,}",
        f"  deployed without the test application and its data: flash {sizes['flash_deployable']:,}, "
        f"RAM {sizes['ram_deployable']:,}" + ("" if test_flash or sizes["ram_harness"] else " (the same)"),
        *([f"  {sizes['weight_budget']}"] if sizes.get("weight_budget") else []),
    ])
