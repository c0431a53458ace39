"""MAX_POOL_2D -> max_pool2d_s8 (firmware/kernels/max_pool2d_s8.c)."""
from codegen.compiler.ops._pool import check, lower
from codegen.compiler.ops import OperatorSpec

OPCODES = ("MAX_POOL_2D",)
KIND = "max_pool2d"


SPEC = OperatorSpec(opcodes=OPCODES, template="pool2d", name=KIND, function='max_pool2d_s8', check=check, lower=lower)
