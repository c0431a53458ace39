"""CAST inside float32 models: to int32, int16 and int8 and back (TFLite's static_cast truncates toward zero),
on values within each type's range (the suite's float inputs are uniform in +-3)."""
from __future__ import annotations

from cases import Case


def cast_round_trip(shape, scale, integer_type):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Lambda(lambda t: tf.cast(tf.cast(t * scale, getattr(tf, integer_type)), tf.float32))(x)
    return keras.Model(x, y)


CASES = [Case("CAST", "cast_round_trip", dict(shape=list(shape), scale=scale, integer_type=integer_type),
              quantization="float32")
         for shape, scale, integer_type in [((5, 7), 1e6, "int32"), ((3, 4, 5), 10000.0, "int16"),
                                            ((40,), 40.0, "int8")]]
