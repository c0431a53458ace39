"""Weights and parameters for ``pointwise_conv_s8`` (firmware/kernels/pointwise_conv_s8.c).

The kernel multiplies two pixels at once (X = x0 + x1 * 2^23 in one SMLAL) into four output channels,
so its filter is int8 in groups of four channels interleaved per input channel, and the input offset
is folded into the bias (``_channel_requant.conv_table``): sum w * (x + off) = sum w * x + off * sum w.
"""
from __future__ import annotations

import numpy as np

PAIR_SHIFT = 23
GROUP = 4
# The low lane's sum of w * x0 must stay inside [-2^22, 2^22).
LOW_LANE_LIMIT = (1 << (PAIR_SHIFT - 1)) - 1


def eligible(f_h: int, f_w: int, stride_h: int, stride_w: int, weights: np.ndarray) -> bool:
    """1x1 filter, stride 1, and few enough input channels that the low lane cannot overflow."""
    in_c = weights.shape[-1]
    max_w = int(np.abs(weights.astype(np.int64)).max()) if weights.size else 0
    return f_h == f_w == 1 and stride_h == stride_w == 1 and in_c * max_w * 128 <= LOW_LANE_LIMIT


def interleave(weights_oi: np.ndarray) -> list[int]:
    """[out_c, in_c] -> groups of four channels, each [in_c][4]; a short last group is zero-padded."""
    out_c, in_c = weights_oi.shape
    padded = np.zeros((-(-out_c // GROUP) * GROUP, in_c), dtype=np.int64)
    padded[:out_c] = weights_oi
    return padded.reshape(-1, GROUP, in_c).transpose(0, 2, 1).ravel().tolist()
