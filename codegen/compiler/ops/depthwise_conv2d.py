"""DEPTHWISE_CONV_2D -> depthwise_conv2d_s8 (firmware/kernels/depthwise_conv2d_s8.c)."""
from codegen.compiler.ops._conv import check, lower, memory  # noqa: F401

OPCODES = ("DEPTHWISE_CONV_2D",)
KIND = "depthwise_conv2d"
