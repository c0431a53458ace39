"""Weights for ``fully_connected_fast_s8`` (firmware/kernels/fully_connected_fast_s8.c).

The kernel computes four output rows per pass. Each four rows of the [out, in] filter are stored as one block
that a single pointer walks in the order the products are taken: for each group of four inputs the 16 bytes
w0[4g:4g+4] w1[4g:4g+4] w2[4g:4g+4] w3[4g:4g+4] (one LDM on cores with the DSP extension), then the last
in % 4 inputs of each of the four rows in turn. The last out % 4 rows follow as plain rows. Nothing is padded:
the layout holds the .tflite's bytes, reordered.
"""
from __future__ import annotations

import numpy as np

ROWS = 4
GROUP = 4


def interleave(weights_oi: np.ndarray) -> np.ndarray:
    """[out, in] int8 -> the kernel's byte order, as a flat array of the same size."""
    out_depth, in_depth = weights_oi.shape
    blocks = out_depth // ROWS
    grouped = in_depth // GROUP * GROUP
    parts = []
    for b in range(blocks):
        block = weights_oi[b * ROWS:(b + 1) * ROWS]
        # [row, group, input in group] -> [group, row, input in group]
        parts.append(block[:, :grouped].reshape(ROWS, -1, GROUP).transpose(1, 0, 2).ravel())
        parts.append(block[:, grouped:].ravel())
    parts.append(weights_oi[blocks * ROWS:].ravel())
    return np.concatenate(parts) if parts else weights_oi.ravel()


DESCRIPTION = "int8 [out, in], four rows per block, interleaved by four inputs"
