"""SPACE_TO_DEPTH -> space_to_depth (firmware/kernels/space_to_depth.c): an NHWC rearrangement by a block size,
byte copies, as TFLite's reference kernel indexes it, for int8, int32 and float32 (TFLite has no int16
SPACE_TO_DEPTH). The checks are TFLite's Prepare (_space_depth.py)."""
from __future__ import annotations

from functools import partial

from codegen.compiler.ops import OperatorSpec
from codegen.compiler.ops import _space_depth

SPEC = OperatorSpec(opcodes=("SPACE_TO_DEPTH",), template="space_to_depth", function="space_to_depth",
                    check=partial(_space_depth.check, to_depth=True), lower=partial(_space_depth.lower, to_depth=True))
