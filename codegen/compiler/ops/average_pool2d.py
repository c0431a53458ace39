"""AVERAGE_POOL_2D -> average_pool2d_s8 (firmware/kernels/average_pool2d_s8.c)."""
from codegen.compiler.ops._pool import check, lower
from codegen.compiler.ops import OperatorSpec

OPCODES = ("AVERAGE_POOL_2D",)
KIND = "average_pool2d"


SPEC = OperatorSpec(opcodes=OPCODES, template="pool2d", name=KIND, function='average_pool2d_s8', check=check, lower=lower)
