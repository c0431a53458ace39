"""LOGISTIC and TANH with int16 activations (16x8 quantization: int16 activations, int8 weights), alone and
after a 16x8 FULLY_CONNECTED.

The converter gives an int16 tensor a symmetric scale of max|x| / 32767, and TFLite's Prepare treats a scale
within 1e-3 (in log2) of a power of two as that power of two, with a different rescale. A representative
range of 8 on the larger shapes lands the input scale on 2**-12 (the power-of-two path of both operators),
16 on 2**-11 (TANH's second power-of-two case, LOGISTIC's general one); the other ranges and the small
shapes, whose calibrated maximum stays further below the range, take the general multiplier.
"""
from __future__ import annotations

import itertools

from cases import Case

KINDS = {"LOGISTIC": "sigmoid", "TANH": "tanh"}


def activation(kind, shape):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Activation(kind)(x))


def dense_activation(features, units, kind):
    import keras
    x = keras.Input((features,), batch_size=1)
    return keras.Model(x, keras.layers.Activation(kind)(keras.layers.Dense(units)(x)))


CASES = [
    Case(operator, "activation", dict(kind=kind, shape=shape), representative_range=value_range,
         quantization="16x8")
    for (operator, kind), shape, value_range in itertools.product(
        KINDS.items(), [[7], [3, 5, 2], [1024]], [0.5, 3.0, 8.0, 16.0])
] + [
    Case(operator, "dense_activation", dict(features=features, units=units, kind=kind),
         representative_range=value_range, quantization="16x8")
    for (operator, kind), (features, units, value_range) in itertools.product(
        KINDS.items(), [(12, 9, 1.0), (40, 33, 4.0)])
]
