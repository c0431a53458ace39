"""RESIZE_NEAREST_NEIGHBOR, int8 and 16x8: Keras' Resizing (half-pixel centres) by whole factors, up and down
by factors that are not whole, and TF1's resize with align_corners and with neither option. (Keras 3's
UpSampling2D converts to TILE and RESHAPE, not to this operator.)"""
from __future__ import annotations

import itertools

from cases import Case


def resize_nearest(shape, size, how):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = x
    if how == "resizing":
        y = keras.layers.Resizing(size[0], size[1], interpolation="nearest")(y)
    else:
        align = how == "align_corners"
        y = keras.layers.Lambda(lambda t: tf.compat.v1.image.resize_nearest_neighbor(
            t, size, align_corners=align, half_pixel_centers=False))(y)
    return keras.Model(x, y)


CASES = [
    Case("RESIZE_NEAREST_NEIGHBOR", "resize_nearest", dict(shape=list(shape), size=list(size), how=how),
         quantization=mode)
    for mode, (shape, size, how) in itertools.product(["int8", "16x8"], [
        ((4, 5, 3), (8, 10), "resizing"),
        ((3, 4, 2), (9, 8), "resizing"),
        ((4, 6, 3), (7, 9), "resizing"),
        ((8, 6, 2), (3, 5), "resizing"),
        ((4, 6, 3), (7, 9), "align_corners"),
        ((5, 5, 1), (8, 3), "align_corners"),
        ((4, 6, 3), (7, 9), "neither"),
    ])
]
