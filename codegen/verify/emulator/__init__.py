"""Cortex-M emulator for tinyforge firmware, built on Unicorn.

``run_firmware(elf, board)`` loads the ELF into the board's memory map (from
the board file), models its UART and ready bits, services ARM semihosting,
counts executed instructions exactly and returns an ``EmulationResult``.
See ``core.py`` for the details and ``python -m codegen emulate`` for the CLI.
"""
from codegen.verify.emulator.core import STACK_PAINT, EmulationResult, Emulator, Fault, run_firmware, thumb_instruction_count

__all__ = ["run_firmware", "EmulationResult", "Fault", "Emulator", "STACK_PAINT",
           "thumb_instruction_count"]
