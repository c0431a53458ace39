"""16x8: CONCATENATION, MEAN, RELU and RELU6 (the layers between the convolutions of an int16 model)."""
from __future__ import annotations

from cases import Case

Q = "16x8"


def concatenation(shapes, axis):
    import keras
    inputs = [keras.Input(tuple(s), batch_size=1, name=f"input{i}") for i, s in enumerate(shapes)]
    # Dense layers give each input its own scale, so the concatenation rescales
    parts = [keras.layers.Dense(s[-1], bias_initializer="random_uniform")(x) for x, s in zip(inputs, shapes)]
    return keras.Model(inputs, keras.layers.Concatenate(axis=axis)(parts))


def mean(shape, axes, keepdims):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Dense(shape[-1], bias_initializer="random_uniform")(x)
    return keras.Model(x, keras.layers.Lambda(lambda t: tf.reduce_mean(t, axis=axes, keepdims=keepdims))(y))


def relu(kind, shape):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Reshape(tuple(reversed(shape)))(x)
    fn = {"relu": tf.nn.relu, "relu6": tf.nn.relu6}[kind]
    return keras.Model(x, keras.layers.Lambda(fn)(y))


CASES = [
    *[Case("CONCATENATION", "concatenation", dict(shapes=s, axis=a), quantization=Q)
      for s, a in [([[3, 4], [3, 5]], -1), ([[2, 4], [3, 4]], 1), ([[2, 3, 2], [2, 3, 5], [2, 3, 1]], -1)]],
    *[Case("MEAN", "mean", dict(shape=s, axes=a, keepdims=k), quantization=Q)
      for s, a, k in [([4, 5, 6], [1, 2], True), ([3, 8], [1], False), ([4, 4, 3], [1], False)]],
    *[Case(kind.upper(), "relu", dict(kind=kind, shape=[3, 8]), quantization=Q) for kind in ("relu", "relu6")],
]


def softmax(shape, beta_scale):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Dense(shape[-1], bias_initializer="random_uniform")(x)
    y = keras.layers.Lambda(lambda t: t * beta_scale)(y)
    return keras.Model(x, keras.layers.Softmax()(y))


CASES += [Case("SOFTMAX", "softmax", dict(shape=s, beta_scale=b), quantization=Q)
          for s, b in [([10], 1.0), ([3, 16], 4.0), ([2, 5], 0.25)]]
