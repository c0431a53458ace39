"""AVERAGE_POOL_2D and MAX_POOL_2D, 16x8: window sizes, strides, padding and a fused activation."""
from __future__ import annotations

from cases import Case


def pool(kind, size, strides, padding, relu):
    import keras
    x = keras.Input((7, 6, 3), batch_size=1)
    layer = keras.layers.AveragePooling2D if kind == "average" else keras.layers.MaxPooling2D
    y = layer(size, strides=strides, padding=padding)(x)
    return keras.Model(x, keras.layers.ReLU()(y) if relu else y)


CASES = [Case("AVERAGE_POOL_2D" if kind == "average" else "MAX_POOL_2D", "pool",
              dict(kind=kind, size=s, strides=st, padding=p, relu=r), quantization="16x8")
         for kind in ("average", "max") for s, st, p, r in [(2, 2, "valid", False), (3, 2, "same", True),
                                                            ((3, 2), 1, "same", False)]]
