"""CONV_2D with int16 activations and int8 weights (16x8 quantization), as SEANet's TFLM integration tests use
it: kernel sizes, strides, dilation, both paddings, with and without bias, fused ReLU."""
from __future__ import annotations

import itertools

from cases import Case


def conv16(shape, filters, kernel, strides, padding, dilation, bias, activation):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Conv2D(filters, tuple(kernel), strides=strides, padding=padding, dilation_rate=dilation,
                            use_bias=bias, activation=activation)(x)
    return keras.Model(x, y)


CASES = [
    Case("CONV_2D", "conv16", dict(shape=list(shape), filters=filters, kernel=list(kernel), strides=strides,
                                   padding=padding, dilation=dilation, bias=bias, activation=act),
         representative_range=value_range, quantization="16x8")
    for (shape, filters, kernel, strides, dilation), padding, bias, act, value_range in itertools.product(
        [((6, 7, 3), 4, (3, 3), 1, 1), ((1, 12, 8), 6, (1, 4), 2, 1), ((9, 9, 2), 3, (3, 2), 1, 2),
         ((5, 6, 16), 8, (1, 1), 1, 1)],
        ["valid", "same"], [True, False], [None, "relu"], [1.0])
    if not (padding == "same" and not bias)
]
