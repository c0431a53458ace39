"""CONV_2D -> the kernel codegen.compiler.select.select_conv picks (reference: conv2d_s8,
firmware/kernels/conv2d_s8.c)."""
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops._conv import check, lower

OPCODES = ("CONV_2D",)

SPEC = OperatorSpec(opcodes=OPCODES, template="conv2d", function="conv2d_s8", check=check, lower=lower)
