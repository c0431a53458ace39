"""LEAKY_RELU with int16 activations (16x8 quantization), as SEANet uses it; the builder is
cases_activations_recurrent.py's. Slopes below and above 1, and a shape large enough to reach both signs
at every scale the converter picks."""
from __future__ import annotations

import itertools

from cases import Case
from cases_activations_recurrent import activation  # noqa: F401 (the builder, looked up by name)

CASES = [
    Case("LEAKY_RELU", "activation", dict(kind=kind, shape=shape), representative_range=value_range,
         quantization="16x8")
    for kind, shape, value_range in itertools.product(
        ["leaky_0.1", "leaky_0.3", "leaky_2.5"], [[7], [4, 5, 3]], [1.0, 6.0])
]
