"""ABS, EXP and RSQRT, int8: per-tensor tables of TFLite's arithmetic. Each runs on the model input and after
a Dense layer (other scales and zero points); RSQRT reads |x| + c, so its input is never below its zero
point (TFLite stops on a negative input)."""
from __future__ import annotations

from cases import Case


def unary(op, shape, dense):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Dense(shape[-1], bias_initializer="random_uniform")(x) if dense else x
    if op == "abs":
        y = keras.layers.Lambda(lambda t: tf.abs(t))(y)
    elif op == "exp":
        y = keras.layers.Lambda(lambda t: tf.exp(t))(y)
    else:
        y = keras.layers.Lambda(lambda t: tf.math.rsqrt(tf.abs(t) + 0.25))(y)
    return keras.Model(x, y)


CASES = [Case(op.upper(), "unary", dict(op=op, shape=shape, dense=dense), representative_range=r)
         for op in ("abs", "exp", "rsqrt")
         for shape, dense, r in (([3, 7], False, 1.0), ([5, 6], True, 2.0))]


def unary_s16(op, shape):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Dense(shape[-1], bias_initializer="random_uniform")(x)
    fn = {"abs": tf.abs, "exp": tf.exp, "rsqrt": lambda t: tf.math.rsqrt(t * t + 0.25)}[op]
    return keras.Model(x, keras.layers.Lambda(fn)(y))


CASES += [Case(op.upper(), "unary_s16", dict(op=op, shape=[4, 6]), quantization="16x8")
          for op in ("abs", "exp", "rsqrt")]
