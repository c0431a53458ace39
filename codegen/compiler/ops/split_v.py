"""SPLIT_V (int8 or float32) -> strided_copy_s8, one call per output; inputs are [input, size_splits, axis]."""
from __future__ import annotations

from codegen.compiler.ops.split import KIND, check, lower  # noqa: F401 (this module's operator interface)
from codegen.compiler.ops import OperatorSpec

OPCODES = ("SPLIT_V",)


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='strided_copy_s8', check=check, lower=lower, multiple_outputs=True)
