"""GATHER of constant indices from activations along each axis, int8, 16x8 and float32 (repeated and reordered
indices, a 2-D index tensor)."""
from __future__ import annotations

from cases import Case


def gather(shape, indices, axis):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Dense(shape[-1], bias_initializer="random_uniform")(x)
    return keras.Model(x, keras.layers.Lambda(lambda t: tf.gather(t, indices, axis=axis))(y))


CASES = [Case("GATHER", "gather", dict(shape=s, indices=i, axis=a), quantization=q)
         for q in ("int8", "16x8", "float32")
         for s, i, a in [([6], [3, 0, 5, 5], 1), ([4, 5], [[2, 0], [1, 3]], 1), ([3, 4, 6], [5, 1], -1)]]
