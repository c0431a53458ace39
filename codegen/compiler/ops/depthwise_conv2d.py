"""DEPTHWISE_CONV_2D -> the kernel codegen.compiler.select.select_conv picks (reference: depthwise_conv2d_s8,
firmware/kernels/depthwise_conv2d_s8.c)."""
from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops._conv import check, lower

OPCODES = ("DEPTHWISE_CONV_2D",)

SPEC = OperatorSpec(opcodes=OPCODES, template="conv2d", function="depthwise_conv2d_s8", check=check, lower=lower,
                    name="depthwise_conv2d")
