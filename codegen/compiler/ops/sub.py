"""SUB -> add_s8 with input 2's multiplier negated, exactly as TFLite's sub.cc does for int8
("We are using the add kernels"): no kernel of its own, and bit-exact with it by construction."""
from __future__ import annotations

from codegen.compiler.ops._binary import check, memory  # noqa: F401
from codegen.compiler.ops.add import KIND, lower  # noqa: F401
from codegen.compiler.ops import OperatorSpec

OPCODES = ("SUB",)


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='add_s8', check=check, lower=lower, memory=memory, constant_operands=True)
