"""Weights and parameters for ``packed_conv_s8`` (firmware/kernels/packed_conv_s8.c).

The kernel multiplies each input byte into two output channels at once with
one 32x32->64 multiply-accumulate: their int8 weights are packed into one
int32, ``w_lo + w_hi * 2**24``. Whether a layer may take this path, how the
words are laid out, and how many taps the low 24-bit lane can absorb before
the kernel must split the sum are all decided here, from the actual weights
and zero points (the ahead-of-time advantage: no runtime checks).
"""
from __future__ import annotations

import numpy as np

LANE_BITS = 24
# The low lane holds a signed sum in [-2^23, 2^23); it is split off before it could leave that range.
LOW_LANE_LIMIT = (1 << (LANE_BITS - 1)) - 1
GROUP_CHANNELS = 8      # four packed words per tap: the register block of dot_lanes4
SMALL_GROUP_CHANNELS = 4


def group_sizes(out_c: int) -> list[int]:
    """Channels per group, as the kernel walks them: 8 while more than 4 remain, then 4."""
    sizes = []
    left = out_c
    while left > 0:
        sizes.append(GROUP_CHANNELS if left > SMALL_GROUP_CHANNELS else SMALL_GROUP_CHANNELS)
        left -= sizes[-1]
    return sizes


def pack_filter(filter_ohwi: np.ndarray) -> list[int] | None:
    """[out_c, kh, kw, ic] int8 -> the kernel's packed int32 words, or None when a
    word would not fit int32 (a high-lane weight of -128 with a negative partner,
    which symmetric int8 weight quantization never produces)."""
    out_c = filter_ohwi.shape[0]
    taps = filter_ohwi.reshape(out_c, -1).astype(np.int64)
    words = []
    oc0 = 0
    for size in group_sizes(out_c):
        block = np.zeros((size, taps.shape[1]), dtype=np.int64)
        real = min(size, out_c - oc0)
        block[:real] = taps[oc0:oc0 + real]
        packed = block[0::2] + block[1::2] * (1 << LANE_BITS)        # [pairs, taps]
        words.append(packed.T.ravel())                                # taps major, pairs minor
        oc0 += size
    flat = np.concatenate(words)
    if flat.min() < -(1 << 31) or flat.max() >= (1 << 31):
        return None
    return flat.tolist()


def max_taps(filter_values: np.ndarray, input_offset: int) -> int:
    """Taps after which the low lane must be split off: |sum| <= taps * max|w| * max|x + offset|."""
    max_w = int(np.abs(filter_values.astype(np.int64)).max()) if filter_values.size else 0
    max_x = max(abs(-128 + input_offset), abs(127 + input_offset))
    if max_w * max_x == 0:
        return 1 << 30
    return LOW_LANE_LIMIT // (max_w * max_x)


def params(*, input_offset: int, output_offset: int, stride_h: int, stride_w: int, dilation_h: int,
           pad_h: int, pad_w: int, act_min: int, act_max: int, filter_values: np.ndarray) -> dict:
    return dict(input_offset=input_offset, output_offset=output_offset, stride_h=stride_h, stride_w=stride_w,
                dilation_h=dilation_h, pad_h=pad_h, pad_w=pad_w, act_min=act_min, act_max=act_max,
                max_taps=max_taps(filter_values, input_offset))
