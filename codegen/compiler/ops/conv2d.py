"""CONV_2D -> conv2d_s8 (firmware/kernels/conv2d_s8.c)."""
from codegen.compiler.ops._conv import check, lower, memory  # noqa: F401

OPCODES = ("CONV_2D",)
KIND = "conv2d"
