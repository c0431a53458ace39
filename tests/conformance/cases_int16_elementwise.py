"""ADD, SUB and MUL with int16 activations (16x8 quantization), broadcasting, constants and fused
activations, as SEANet uses them; the builder is cases_pool_elementwise.py's. The converter's 16x8 ADD and
SUB carry pot_scale_int16 = false, TFLite's general int16 path."""
from __future__ import annotations

import itertools

from cases import Case
from cases_pool_elementwise import BINARY_SHAPES, binary  # noqa: F401 (the builder, looked up by name)

CASES = [
    *[Case(op.upper(), "binary", dict(op=op, shapes=[list(s) for s in shapes], activation=act, constant=False),
           quantization="16x8")
      for op, shapes, act in itertools.product(["add", "sub", "mul"], BINARY_SHAPES[:4], [None, "relu"])],
    *[Case(op.upper(), "binary", dict(op=op, shapes=[list(s) for s in shapes], activation=None, constant=side),
           quantization="16x8")
      for op, shapes, side in itertools.product(["add", "sub", "mul"], BINARY_SHAPES[1:3], [True, "first"])],
]
