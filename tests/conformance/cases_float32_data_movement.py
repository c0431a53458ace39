"""float32 models whose layers move elements without arithmetic: TRANSPOSE, STRIDED_SLICE, PAD and PADV2
(a constant pad value, and -inf before a max pool), each bit-exact with TFLite."""
from __future__ import annotations

from cases import Case

F32 = "float32"


def transpose(shape, perm):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Lambda(lambda t: tf.transpose(t, perm))(x))


def strided_slice(shape, begin, end, strides):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Lambda(lambda t: t[:, begin[0]:end[0]:strides[0], begin[1]:end[1]:strides[1]])(x))


def pad(shape, paddings, value):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Lambda(lambda t: tf.pad(t, [[0, 0], *paddings], constant_values=value))(x)
    if value == float("-inf"):
        y = keras.layers.MaxPooling2D(2)(y)       # what a -inf pad is for
    return keras.Model(x, y)


CASES = [
    Case("TRANSPOSE", "transpose", dict(shape=[3, 4, 5], perm=[0, 3, 1, 2]), quantization=F32),
    Case("TRANSPOSE", "transpose", dict(shape=[6, 7], perm=[0, 2, 1]), quantization=F32),
    Case("STRIDED_SLICE", "strided_slice", dict(shape=[9, 8, 3], begin=[1, 0], end=[8, 7], strides=[2, 3]),
         quantization=F32),
    Case("STRIDED_SLICE", "strided_slice", dict(shape=[10, 6], begin=[2, 1], end=[9, 6], strides=[1, 2]),
         quantization=F32),
    Case("PAD", "pad", dict(shape=[4, 5, 2], paddings=[[1, 2], [0, 1], [0, 0]], value=0.0), quantization=F32),
    Case("PADV2", "pad", dict(shape=[5, 3, 2], paddings=[[2, 1], [1, 1], [0, 1]], value=1.5), quantization=F32,
         expect=("PADV2",)),
    Case("PADV2", "pad", dict(shape=[5, 5, 2], paddings=[[1, 0], [1, 0], [0, 0]], value=float("-inf")),
         quantization=F32, expect=("PADV2", "MAX_POOL_2D")),
]
