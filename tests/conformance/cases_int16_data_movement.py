"""PAD and STRIDED_SLICE with int16 activations (16x8 quantization), as SEANet's TFLM integration tests use
them; the builders are cases_data_movement.py's. (No PADV2: the converter leaves a 16x8 PADV2's constant in
float32, and TFLite's Prepare refuses that.)"""
from __future__ import annotations

from cases import Case
from cases_data_movement import SLICES, pad, strided_slice  # noqa: F401 (builders, looked up by name)

CASES = [
    *[Case("PAD", "pad", dict(padding=[list(p) for p in padding], constant=None), quantization="16x8")
      for padding in [((1, 1), (1, 1)), ((3, 0), (0, 0))]],
    *[Case("STRIDED_SLICE", "strided_slice", dict(shape=list(shape), index=index), quantization="16x8")
      for shape, index in SLICES],
]
