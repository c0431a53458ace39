"""ADD and SUB of two activation tensors of one shape with at least 512 elements, as a residual block adds
its branches: the size at which add_elementwise_s8 (tabulated rescaling) takes the layer. The last ADD and
SUB cases, so the on-device subset runs that kernel on every core."""
from __future__ import annotations

from cases import Case


def same_shape_binary(op, shape, activation):
    import keras
    a = keras.Input(tuple(shape), batch_size=1, name="input0")
    b = keras.Input(tuple(shape), batch_size=1, name="input1")
    fn = {"add": keras.ops.add, "sub": keras.ops.subtract}[op]
    y = keras.layers.Lambda(lambda ts: fn(ts[0], ts[1]))([a, b])
    if activation:
        y = keras.layers.Activation(activation)(y)
    return keras.Model([a, b], y)


CASES = [
    Case(op.upper(), "same_shape_binary", dict(op=op, shape=shape, activation=act))
    for op, shape, act in [("add", [8, 8, 16], None), ("sub", [16, 40], None), ("add", [4, 8, 32], "relu")]
]
