"""SPACE_TO_DEPTH, int8, block sizes 2 and 3, one and several channels. (The converter has no 16x8
SPACE_TO_DEPTH.)"""
from __future__ import annotations

from cases import Case


def space_to_depth(shape, block):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Lambda(lambda t: tf.nn.space_to_depth(t, block))(x))


CASES = [Case("SPACE_TO_DEPTH", "space_to_depth", dict(shape=list(shape), block=block))
         for shape, block in [((4, 6, 2), 2), ((6, 3, 1), 3), ((4, 4, 3), 2), ((6, 6, 5), 3)]]
