"""An estimate of cycles from the instructions the emulator actually ran.

The emulator counts instructions exactly; a core spends more than one cycle on
some of them. This model prices each executed basic block once, from its
disassembly (capstone) and the core's table in ``core_timing.toml``:

- every instruction by its class (ALU, multiply, 64-bit multiply, divide,
  load/store, load/store multiple, floating point), with a single load or store
  right after another one costing ``load_next`` (the two overlap);
- a block that ends in an unconditional branch, or writes the PC, pays the
  pipeline refill ``P`` there; one that ends in a conditional branch pays it at
  run time, when the next block is not the one right after it (the branch was
  taken);
- the flash: a taken branch into flash refills the fetch from flash, which costs
  the board's wait states unless the board has an instruction cache (assumed to
  hit: inference loops are small); every data read from flash (weights,
  constants) costs the wait states, or a quarter of them behind a cache (one
  miss per 16-byte line read in order).

It is an estimate: no bus contention, no dual issue on the M7, cache hits
assumed, data-dependent multiply and divide times at the stated value. The
README's "Latency estimate" section lists the assumptions per core.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import capstone

from codegen.errors import TinyforgeError
from codegen.target.boards import Board

TABLE = Path(__file__).with_name("core_timing.toml")
CLASSES = ("alu", "mul", "mla", "mul64", "mla64", "div", "load", "load_next", "double", "multiple_base",
           "branch_refill", "fp", "fp_div", "fp_memory")
CACHE_LINE_WORDS = 4     # data reads behind a flash cache: one miss per 16-byte line, read in order

_CONDITIONS = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le")
_BRANCHES = {"b", "bl", "bx", "blx", "cbz", "cbnz", "tbb", "tbh"}
_LOADS = {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrex", "ldrexb", "ldrexh", "ldrt", "ldrbt", "ldrht",
          "ldrsbt", "ldrsht", "str", "strb", "strh", "strex", "strexb", "strexh", "strt", "strbt", "strht",
          "lda", "ldab", "ldah", "stl", "stlb", "stlh", "pld", "pli"}
_DOUBLES = {"ldrd", "strd"}
_MULTIPLES = {"ldm", "ldmia", "ldmfd", "ldmdb", "ldmea", "stm", "stmia", "stmea", "stmdb", "stmfd", "push", "pop"}
_MLA = {"mla", "mls"}
_MUL64 = {"smull", "umull"}
_MLA64 = {"smlal", "umlal", "umaal", "smlald", "smlaldx", "smlsld", "smlsldx", "smlalbb", "smlalbt",
          "smlaltb", "smlaltt"}
_DIV = {"sdiv", "udiv"}
_FP_DIV = {"vdiv", "vsqrt"}
_FP_MEMORY = {"vldr", "vstr", "vpush", "vpop", "vldm", "vldmia", "vldmdb", "vstm", "vstmia", "vstmdb"}


def _base(mnemonic: str) -> str:
    """The mnemonic without its width qualifier, its flag-setting S and its condition."""
    name = mnemonic.split(".")[0]
    if len(name) > 2 and name[-2:] in _CONDITIONS and name[:-2] in _KNOWN | {"b", "bx", "bl", "blx"}:
        name = name[:-2]
    return name


def _is_multiply(name: str) -> bool:
    return (name in ("mul", "muls") or name.startswith(("smul", "smla", "smlsd", "smuad", "smusd", "smmul",
                                                        "smmla", "smmls")))


_KNOWN = _BRANCHES | _LOADS | _DOUBLES | _MULTIPLES | _MLA | _MUL64 | _MLA64 | _DIV | {"mul", "muls"}


@dataclass(frozen=True)
class BlockTiming:
    cycles: float          # the block's instructions, a final branch counted as not taken
    taken_extra: float     # added when the block ends in a conditional branch that is taken


@dataclass(frozen=True)
class CoreTiming:
    core: str
    source: str
    cost: dict[str, float]
    clock_hz: int
    wait_states: int
    accelerator: str

    @property
    def branch_fetch(self) -> float:
        """Extra cycles to refetch from flash after a taken branch."""
        return 0.0 if self.accelerator == "cache" else float(self.wait_states)

    @property
    def flash_read(self) -> float:
        """Extra cycles of one data read from flash."""
        if self.accelerator == "cache":
            return self.wait_states / CACHE_LINE_WORDS
        return float(self.wait_states)

    def assumptions(self) -> str:
        c = self.cost
        flash = (f"{self.wait_states} flash wait state(s), "
                 + {"cache": "instruction cache hits assumed, data reads "
                             f"{self.flash_read:g} cycle(s) each (one miss per 16-byte line)",
                    "prefetch": "prefetch buffer: sequential fetches hidden, each taken branch and data read "
                                f"+{self.wait_states}",
                    "none": f"each taken branch and data read +{self.wait_states}"}[self.accelerator])
        return (f"{self.core}: taken branch 1+{c['branch_refill']:g}, load/store {c['load']:g} "
                f"({c['load_next']:g} after another), MLA {c['mla']:g}, SMULL/UMULL {c['mul64']:g}, "
                f"SMLAL/UMLAL {c['mla64']:g}, divide {c['div']:g}; {flash}; at {self.clock_hz / 1e6:g} MHz")

    def ms(self, cycles: float) -> float:
        return cycles * 1000.0 / self.clock_hz

    def price_block(self, code: bytes, address: int) -> BlockTiming:
        """Cycles of one basic block of Thumb code at ``address``."""
        c = self.cost
        refill = c["branch_refill"] + self.branch_fetch
        total = 0.0
        taken_extra = 0.0
        previous_memory = False
        instructions = list(_DISASSEMBLER.disasm(code, address))
        for index, insn in enumerate(instructions):
            name = _base(insn.mnemonic)
            memory = False
            last = index == len(instructions) - 1
            if name in _BRANCHES:
                conditional = insn.cc not in (capstone.arm.ARM_CC_AL, capstone.arm.ARM_CC_INVALID) or \
                    name in ("cbz", "cbnz")
                cost = 2.0 if name in ("tbb", "tbh") else 1.0
                if conditional and last:
                    taken_extra += refill
                else:
                    cost += refill
            elif name in _LOADS:
                cost = c["load_next"] if previous_memory else c["load"]
                memory = True
            elif name in _DOUBLES:
                cost = c["double"]
            elif name in _MULTIPLES:
                registers = len(insn.operands) - (0 if name in ("push", "pop") else 1)
                cost = c["multiple_base"] + registers
            elif name in _MLA:
                cost = c["mla"]
            elif name in _MUL64:
                cost = c["mul64"]
            elif name in _MLA64:
                cost = c["mla64"]
            elif name in _DIV:
                cost = c["div"]
            elif _is_multiply(name):
                cost = c["mul"]
            elif name in _FP_DIV:
                cost = c["fp_div"]
            elif name in _FP_MEMORY:
                cost = c["fp_memory"]
            elif name.startswith("v"):
                cost = c["fp"]
            else:
                cost = c["alu"]
            if name not in _BRANCHES and _writes_pc(insn):
                cost += refill
            total += cost
            previous_memory = memory
        return BlockTiming(total, taken_extra)


def _writes_pc(insn) -> bool:
    try:
        return capstone.arm.ARM_REG_PC in insn.regs_access()[1]
    except capstone.CsError:
        return False


_DISASSEMBLER = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
_DISASSEMBLER.detail = True


def _table() -> dict:
    return tomllib.loads(TABLE.read_text())


def core_timing(board: Board) -> CoreTiming:
    """The timing model of ``board``'s core, clock and flash."""
    table = _table()
    if board.core not in table:
        raise TinyforgeError(f"{board.path}: no timing model for core '{board.core}' in {TABLE.name} "
                             f"(known: {', '.join(table)})")
    entry = table[board.core]
    missing = [name for name in CLASSES if name not in entry]
    if missing:
        raise TinyforgeError(f"{TABLE}: [{board.core}] lacks {', '.join(missing)}")
    flash = board.data["memory"]["flash"]
    return CoreTiming(core=board.core, source=entry["source"], cost={k: float(entry[k]) for k in CLASSES},
                      clock_hz=board.clock_hz, wait_states=flash.get("wait_states", 0),
                      accelerator=flash.get("accelerator", "none"))
