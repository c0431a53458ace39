"""Weights and parameters for ``pointwise_conv_s8`` (firmware/kernels/pointwise_conv_s8.c).

The kernel takes two pixels at once (SMLAD on int16 pairs with the DSP extension, X = x0 + x1 * 2^23 in
one SMLAL without it); its filter is int8, four output channels by four input channels per 16-byte
block, and the input offset is folded into the bias (``_channel_requant.conv_table``): sum w * (x + off) = sum w * x + off * sum w.
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
    """[out_c, in_c] -> the kernel's layout: groups of four output channels c0..c3, then quads of four input
    channels t0..t3, 16 bytes per quad in the order
        c0t0 c1t0 c0t2 c1t2  c0t1 c1t1 c0t3 c1t3  c2t0 c3t0 c2t2 c3t2  c2t1 c3t1 c2t3 c3t3
    (SXTB16 of each word gives one channel's taps as an int16 pair). Channels are zero-padded to a
    multiple of four on both sides."""
    out_c, in_c = weights_oi.shape
    padded = np.zeros((-(-out_c // GROUP) * GROUP, -(-in_c // 4) * 4), dtype=np.int64)
    padded[:out_c, :in_c] = weights_oi
    # [group, pair, channel in pair, quad, tap pair (t0,t2)/(t1,t3) index, tap within pair]
    g = padded.reshape(-1, 2, 2, padded.shape[1] // 4, 2, 2)   # tap t = 2 * (t // 2) + t % 2 -> [t//2][t%2]
    # bytes within a quad: pair, then word (t % 2), then tap (t // 2), then channel in pair
    return g.transpose(0, 3, 1, 5, 4, 2).ravel().tolist()


def scratch_words(in_c: int) -> int:
    """The kernel's scratch: one word per input channel padded to a multiple of four (two pixels' int16
    pairs on cores with SMLAD, X = x0 + x1 * 2^23 on the others)."""
    return -(-in_c // 4) * 4
