"""Chains whose layers the planner runs in place (output over input): pointwise and depthwise
convolutions, table activations and ADD, with and without a residual branch that keeps an input alive
(which must then not be overwritten)."""
from __future__ import annotations

import itertools

from cases import Case


def separable_chain(shape, activation, residual):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    channels = shape[-1]
    y = keras.layers.Conv2D(channels, 1)(x)
    z = keras.layers.DepthwiseConv2D(3, padding="same")(y)
    z = keras.layers.Activation(activation)(z) if activation != "leaky" else keras.layers.LeakyReLU(0.2)(z)
    z = keras.layers.Conv2D(channels, 1)(z)
    z = keras.layers.Add()([z, y]) if residual else keras.layers.Add()([z, z])
    z = keras.layers.DepthwiseConv2D(3, padding="same")(z)
    return keras.Model(x, keras.layers.Conv2D(channels // 2, 1)(z))


CASES = [Case("ADD", "separable_chain", dict(shape=list(s), activation=a, residual=r), representative_range=2.0)
         for s, a, r in itertools.product([(5, 6, 8), (9, 4, 12)], ["tanh", "sigmoid", "leaky"], [False, True])]
