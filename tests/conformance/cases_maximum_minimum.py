"""MAXIMUM and MINIMUM, int8 and 16x8: equal shapes, broadcasting both ways, and a constant operand
(as `tf.maximum(x, 0.0)` or a clip to a constant range converts)."""
from __future__ import annotations

import itertools

from cases import Case

SHAPES = [[(4, 5, 3), (4, 5, 3)], [(4, 5, 3), (1, 1, 3)], [(4, 1, 3), (1, 5, 1)], [(2, 3, 4, 5), (3, 1, 5)]]


def maximum_minimum(op, shapes, constant):
    import keras
    import numpy as np
    fn = {"maximum": keras.ops.maximum, "minimum": keras.ops.minimum}[op]
    # A dense layer in front, so the two operands get different calibrated scales before the converter
    # gives MAXIMUM / MINIMUM its one shared quantization.
    a = keras.Input(tuple(shapes[0]), batch_size=1, name="input0")
    left = keras.layers.Dense(shapes[0][-1], name="scale0")(a)
    if constant:
        value = np.random.default_rng(3).uniform(-1, 1, [1, *shapes[1]]).astype("float32")
        return keras.Model(a, keras.layers.Lambda(lambda t: fn(t, value))(left))
    b = keras.Input(tuple(shapes[1]), batch_size=1, name="input1")
    return keras.Model([a, b], keras.layers.Lambda(lambda ts: fn(ts[0], ts[1]))([left, b]))


CASES = [
    Case(op.upper(), "maximum_minimum", dict(op=op, shapes=[list(s) for s in shapes], constant=constant),
         quantization=mode)
    for mode, op, (shapes, constant) in itertools.product(
        ["int8", "16x8"], ["maximum", "minimum"],
        [(s, False) for s in SHAPES] + [(SHAPES[1], True)])
]
