"""DEPTH_TO_SPACE -> depth_to_space (firmware/kernels/depth_to_space.c), the inverse of SPACE_TO_DEPTH: each
input pixel's channels become a block of output pixels, as TFLite's reference kernel indexes them, for int8,
int32 and float32 (TFLite has no int16 DEPTH_TO_SPACE). The checks are TFLite's Prepare (_space_depth.py)."""
from __future__ import annotations

from functools import partial

from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops import _space_depth

SPEC = OperatorSpec(opcodes=("DEPTH_TO_SPACE",), template="space_to_depth", function="depth_to_space",
                    name="depth_to_space", check=partial(_space_depth.check, to_depth=False),
                    lower=partial(_space_depth.lower, to_depth=False))
