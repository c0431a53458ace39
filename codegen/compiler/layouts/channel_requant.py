"""Per-channel bias and requantization for the tuned convolution kernels (``tf_channel_requant``).

The tuned kernels requantize with ``tf_mbqm_fast_halves`` (firmware/kernels/requantize.h): TFLite's double
rounding, in fewer instructions, valid when every multiplier is >= 0, every right shift is 1..31 and
every sum stays below 2^30 in magnitude. Codegen checks those here from the layer's actual numbers;
a layer that fails them keeps the reference kernel. One table of (bias, multiplier, right shift - 1) per
output channel lets the kernel walk a single pointer; the shift is stored less one because the kernels
round in two halvings (tf_mbqm_fast_halves).
"""
from __future__ import annotations

import numpy as np

from codegen.compiler.layer import ConstArray

SUM_LIMIT = 1 << 30


def channel_table(bias: list[int], multipliers: list[int], shifts: list[int], out_c: int,
                  sum_bound: int, general: bool = False) -> list[tuple[int, int, int]] | None:
    """(bias, multiplier, right_shift - 1) per output channel, or None when tf_mbqm_fast_halves does not apply.

    ``multipliers``/``shifts`` have one entry per channel or one for the tensor; ``sum_bound`` bounds the
    magnitude of the kernel's sums before the bias is added. ``general``: the table for a kernel whose
    output stage is TFLite's whole MultiplyByQuantizedMultiplier (pointwise_conv_s8's general_requant),
    which takes any multiplier and shift; right_shift - 1 is then -1 or less for a real multiplier of 1/2
    or more."""
    if len(multipliers) == 1:
        multipliers, shifts = multipliers * out_c, shifts * out_c
    if general:
        return [(int(b), int(m), -int(s) - 1) for b, m, s in zip(bias, multipliers, shifts)]
    if any(m < 0 for m in multipliers) or any(not 1 <= -s <= 31 for s in shifts):
        return None
    if sum_bound + max((abs(b) for b in bias), default=0) >= SUM_LIMIT:
        return None
    return [(int(b), int(m), -int(s) - 1) for b, m, s in zip(bias, multipliers, shifts)]


def conv_table(weights: np.ndarray, bias: np.ndarray | None, multipliers: list[int], shifts: list[int],
               input_offset: int, fold_offset: bool, general: bool = False) -> list[tuple[int, int, int]] | None:
    """channel_table for a convolution kernel; ``weights`` is [channels, taps].

    With ``fold_offset`` the kernel sums w * x over raw int8 x (zero-point padding, or no padding at all),
    so the bias carries input_offset * sum(w); otherwise the kernel sums w * (x + input_offset)."""
    w = weights.astype(np.int64)
    total = np.zeros(len(w), dtype=np.int64) if bias is None else bias.astype(np.int64).ravel()
    if fold_offset:
        total = total + input_offset * w.sum(axis=1)
        max_x = 128
    else:
        max_x = max(abs(-128 + input_offset), abs(127 + input_offset))
    sum_bound = int(np.abs(w).sum(axis=1).max(initial=0)) * max_x
    return channel_table(total.tolist(), multipliers, shifts, len(w), sum_bound, general)


def channel_const(sym: str, table: list[tuple[int, int, int]], comment: str) -> ConstArray:
    return ConstArray(f"{sym}_channels", "tf_channel_requant", table, comment)
