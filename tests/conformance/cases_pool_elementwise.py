"""AVERAGE_POOL_2D, MAX_POOL_2D, ADD, SUB, MUL (broadcasting, constants, fused activations), MEAN."""
from __future__ import annotations

import itertools

from cases import Case


def pool(kind, pool_size, strides, padding, channels, activation):
    import keras
    layer = keras.layers.AveragePooling2D if kind == "average" else keras.layers.MaxPooling2D
    x = keras.Input((7, 6, channels), batch_size=1)
    y = layer(pool_size, strides=strides, padding=padding)(keras.layers.Conv2D(channels, 1)(x))
    if activation:
        y = keras.layers.Activation(activation)(y)
    return keras.Model(x, y)


def binary(op, shapes, activation, constant):
    import keras
    import numpy as np
    fn = {"add": keras.ops.add, "sub": keras.ops.subtract, "mul": keras.ops.multiply}[op]
    a = keras.Input(tuple(shapes[0]), batch_size=1, name="input0")
    if constant:
        value = np.random.default_rng(len(shapes[1])).uniform(-1, 1, [1, *shapes[1]]).astype("float32")
        # constant == "first" puts the constant on the left, as `1 - z` in a lowered GRU does.
        y = keras.layers.Lambda(lambda t: fn(value, t) if constant == "first" else fn(t, value))(a)
        inputs = a
    else:
        b = keras.Input(tuple(shapes[1]), batch_size=1, name="input1")
        y = keras.layers.Lambda(lambda ts: fn(ts[0], ts[1]))([a, b])
        inputs = [a, b]
    if activation:
        y = keras.layers.Activation(activation)(y)
    return keras.Model(inputs, y)


def mean(shape, axes, keepdims, same_scale):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=tuple(axes), keepdims=keepdims))(x)
    if not same_scale:
        # A scale of its own for the mean: the float path of TFLite's int8 MEAN.
        y = keras.layers.Lambda(lambda t: t * 3.0)(y)
    return keras.Model(x, y)


def global_average_pool(keepdims, channels):
    import keras
    x = keras.Input((5, 7, channels), batch_size=1)
    y = keras.layers.GlobalAveragePooling2D(keepdims=keepdims)(keras.layers.Conv2D(channels, 1)(x))
    return keras.Model(x, y)


BINARY_SHAPES = [
    [(4, 5, 3), (4, 5, 3)],
    [(4, 5, 3), (1, 1, 3)],
    [(4, 5, 3), (4, 1, 1)],
    [(4, 1, 3), (1, 5, 1)],
    [(6,), (6,)],
    [(2, 3, 4, 5), (3, 1, 5)],
]

CASES = [
    *[Case(f"{kind.upper()}_POOL_2D", "pool", dict(kind=kind, pool_size=size, strides=strides, padding=padding,
                                                   channels=ch, activation=act))
      for kind, size, strides, padding, ch, act in itertools.product(
          ["average", "max"], [2, 3, [2, 3]], [None, 1, 2], ["same", "valid"], [1, 3], [None, "relu"])
      if not (act and ch == 1)],
    *[Case(op.upper(), "binary", dict(op=op, shapes=[list(s) for s in shapes], activation=act, constant=False))
      for op, shapes, act in itertools.product(["add", "sub", "mul"], BINARY_SHAPES, [None, "relu", "relu6"])],
    *[Case(op.upper(), "binary", dict(op=op, shapes=[list(s) for s in shapes], activation=None, constant=side))
      for op, shapes, side in itertools.product(["add", "sub", "mul"], BINARY_SHAPES[:3], [True, "first"])],
    *[Case("MEAN", "mean", dict(shape=list(shape), axes=axes, keepdims=keep, same_scale=same))
      for (shape, axes), keep, same in itertools.product(
          [((4, 5, 3), [1, 2]), ((4, 5, 3), [1]), ((4, 5, 3), [3]), ((6, 4), [1]), ((6, 4), [1, 2]),
           ((3, 4, 5), [-1])], [True, False], [True, False])],
    *[Case("MEAN", "global_average_pool", dict(keepdims=keep, channels=ch))
      for keep, ch in itertools.product([True, False], [1, 4])],
]
