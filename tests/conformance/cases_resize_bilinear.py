"""RESIZE_BILINEAR, int8 and 16x8: Keras' Resizing (half-pixel centres) up and down by factors whole and not,
and TF1's resize with align_corners and with neither option."""
from __future__ import annotations

import itertools

from cases import Case


def resize_bilinear(shape, size, how):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    if how == "resizing":
        y = keras.layers.Resizing(size[0], size[1], interpolation="bilinear")(x)
    else:
        align = how == "align_corners"
        y = keras.layers.Lambda(lambda t: tf.compat.v1.image.resize_bilinear(
            t, size, align_corners=align, half_pixel_centers=False))(x)
    return keras.Model(x, y)


CASES = [
    Case("RESIZE_BILINEAR", "resize_bilinear", dict(shape=list(shape), size=list(size), how=how), quantization=mode)
    for mode, (shape, size, how) in itertools.product(["int8", "16x8"], [
        ((4, 5, 3), (8, 10), "resizing"),
        ((3, 4, 2), (7, 9), "resizing"),
        ((8, 6, 2), (3, 5), "resizing"),
        ((4, 6, 3), (7, 9), "align_corners"),
        ((4, 6, 3), (7, 9), "neither"),
    ])
]
