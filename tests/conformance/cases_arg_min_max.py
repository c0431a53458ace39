"""ARG_MAX and ARG_MIN over each axis, int8 and float32 inputs, int32 and int64 indices (tf.math.argmax's default
is int64). A Dense layer first gives ties something to break in int8."""
from __future__ import annotations

from cases import Case


def arg(kind, shape, axis, output_type):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Dense(shape[-1], bias_initializer="random_uniform")(x)
    fn = tf.math.argmax if kind == "max" else tf.math.argmin
    dtype = tf.int32 if output_type == "int32" else tf.int64
    return keras.Model(x, keras.layers.Lambda(lambda t: fn(t, axis=axis, output_type=dtype))(y))


CASES = [Case(f"ARG_{kind.upper()}", "arg", dict(kind=kind, shape=s, axis=a, output_type=t), quantization=q)
         for q in ("int8", "float32") for kind in ("max", "min")
         for s, a, t in [([10], -1, "int64"), ([4, 6], 1, "int32"), ([3, 5, 4], 1, "int64")]]
