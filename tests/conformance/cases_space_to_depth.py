"""SPACE_TO_DEPTH and DEPTH_TO_SPACE, int8 and float32, block sizes 2 and 3, one and several channels per
pixel. (The converter has no 16x8 form of either: TFLite's kernels take no int16.)"""
from __future__ import annotations

from cases import Case


def space_to_depth(shape, block):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Lambda(lambda t: tf.nn.space_to_depth(t, block))(x))


def depth_to_space(shape, block):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Lambda(lambda t: tf.nn.depth_to_space(t, block))(x))


CASES = [
    *[Case("SPACE_TO_DEPTH", "space_to_depth", dict(shape=list(shape), block=block))
      for shape, block in [((4, 6, 2), 2), ((6, 3, 1), 3), ((4, 4, 3), 2), ((6, 6, 5), 3)]],
    *[Case("DEPTH_TO_SPACE", "depth_to_space", dict(shape=list(shape), block=block))
      for shape, block in [((2, 3, 4), 2), ((3, 2, 9), 3), ((2, 2, 12), 2), ((2, 3, 18), 3)]],
    *[Case(operator, builder, dict(shape=list(shape), block=block), quantization="float32")
      for operator, builder, shape, block in [("SPACE_TO_DEPTH", "space_to_depth", (4, 6, 3), 2),
                                              ("DEPTH_TO_SPACE", "depth_to_space", (3, 2, 18), 3)]],
]
