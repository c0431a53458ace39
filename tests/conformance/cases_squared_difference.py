"""SQUARED_DIFFERENCE, int8: same shapes, broadcast shapes and a constant operand, with inputs of different
ranges so the two input multipliers differ."""
from __future__ import annotations

from cases import Case


def squared_difference(shape1, shape2, constant):
    import keras
    import numpy as np
    import tensorflow as tf
    a = keras.Input(tuple(shape1), batch_size=1, name="input0")
    if constant:
        c = np.random.default_rng(5).uniform(-1.5, 1.5, (1, *shape2)).astype(np.float32)
        return keras.Model(a, keras.layers.Lambda(lambda t: tf.math.squared_difference(t, c))(a))
    b = keras.Input(tuple(shape2), batch_size=1, name="input1")
    # Doubling one input gives it its own scale.
    y = keras.layers.Lambda(lambda ts: tf.math.squared_difference(ts[0], 2.0 * ts[1]))([a, b])
    return keras.Model([a, b], y)


CASES = [Case("SQUARED_DIFFERENCE", "squared_difference", dict(shape1=s1, shape2=s2, constant=c))
         for s1, s2, c in [([3, 8], [3, 8], False), ([4, 3, 5], [1, 1, 5], False), ([2, 6], [2, 6], True),
                           ([2, 3, 4], [3, 1], False)]]
