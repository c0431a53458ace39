"""The filter of ``depthwise_conv2d_3x3_s8`` (firmware/kernels/depthwise_conv2d_3x3_s8.c).

On cores with the DSP extension the kernel multiplies with SMLABB/SMLATT, which take int16 halves, so
the filter is stored already as int16 pairs: for each group of four channels c0..c3 and each tap in
row-major order, the words (c0 | c2 << 16) and (c1 | c3 << 16), matching SXTB16's split of an input word
into bytes 0,2 and 1,3.
"""
from __future__ import annotations

import numpy as np

KERNEL = (3, 3)


def eligible(dsp: bool, f_h: int, f_w: int) -> bool:
    """A 3x3 filter on a core with SMLABB; the other fast-depthwise conditions are the caller's."""
    return dsp and (f_h, f_w) == KERNEL


def pair_words(weights: np.ndarray) -> list[int]:
    """[1, k_h, k_w, channels] (channels a multiple of 4) -> int32 words [group][tap][2]."""
    _, k_h, k_w, channels = weights.shape
    w = weights.reshape(k_h * k_w, channels // 4, 4).astype(np.int64).transpose(1, 0, 2)   # [group][tap][c]
    low = w[..., [0, 1]] & 0xFFFF
    high = w[..., [2, 3]] << 16
    words = (low | high) & 0xFFFFFFFF
    return np.where(words >= 1 << 31, words - (1 << 32), words).ravel().tolist()
