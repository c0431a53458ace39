"""REDUCE_MAX, int8 and 16x8, over one axis, several, the last by a negative index, with and without
keep_dims."""
from __future__ import annotations

import itertools

from cases import Case


def reduce_max(shape, axes, keepdims):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Lambda(lambda t: keras.ops.max(t, axis=tuple(axes), keepdims=keepdims))(x))


CASES = [
    Case("REDUCE_MAX", "reduce_max", dict(shape=list(shape), axes=axes, keepdims=keep), quantization=mode)
    for mode, (shape, axes), keep in itertools.product(
        ["int8", "16x8"], [((4, 5, 3), [1, 2]), ((4, 5, 3), [3]), ((6, 4), [1]), ((3, 4, 5), [-1])], [True, False])
]
