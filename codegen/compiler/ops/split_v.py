"""SPLIT_V (int8 or float32) -> strided_copy_s8, one call per output; inputs are [input, size_splits, axis]."""
from __future__ import annotations

from codegen.compiler.ops.split import KIND, MULTIPLE_OUTPUTS, check, lower  # noqa: F401 (this module's operator interface)

OPCODES = ("SPLIT_V",)
DATA_INPUT = 0
