"""PRELU, int8: Keras's PReLU with slopes of both signs, shared over the spatial axes (alpha broadcast per
channel) or not shared at all (alpha as large as the input)."""
from __future__ import annotations

from cases import Case


def prelu(shape, shared_axes):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    slope = keras.initializers.RandomUniform(-0.5, 0.9)
    return keras.Model(x, keras.layers.PReLU(alpha_initializer=slope, shared_axes=shared_axes)(x))


CASES = [Case("PRELU", "prelu", dict(shape=s, shared_axes=a))
         for s, a in [([4, 5, 3], [1, 2]), ([6, 8], None), ([3, 4, 7], [1]), ([9], None)]]
