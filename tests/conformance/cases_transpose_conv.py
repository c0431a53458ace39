"""TRANSPOSE_CONV, int8 and 16x8: kernel sizes 1 to 4, strides 1 to 3, SAME and VALID, with and without a
bias and a fused activation. A random bias keeps the converter from dropping it (Keras starts biases at zero)."""
from __future__ import annotations

from cases import Case


def transpose_conv(input_shape, filters, kernel, strides, padding, use_bias, activation):
    import keras
    x = keras.Input(tuple(input_shape), batch_size=1)
    y = keras.layers.Conv2DTranspose(filters, kernel, strides=strides, padding=padding, use_bias=use_bias,
                                     activation=activation, bias_initializer="random_uniform")(x)
    return keras.Model(x, y)


_SHAPES = [
    # input [h, w, c], filters, kernel, strides, padding, bias, activation
    ([4, 5, 3], 6, 3, 2, "same", True, "relu"),
    ([4, 5, 3], 6, 3, 2, "valid", True, None),
    ([5, 4, 2], 3, 2, 2, "same", False, None),
    ([3, 3, 4], 5, (4, 3), (3, 2), "valid", True, "relu6"),
    ([6, 6, 8], 4, 1, 1, "same", True, None),
    ([2, 7, 5], 2, (3, 1), (2, 1), "same", True, None),
]

CASES = [Case("TRANSPOSE_CONV", "transpose_conv",
              dict(input_shape=s, filters=f, kernel=k, strides=st, padding=p, use_bias=b, activation=a))
         for s, f, k, st, p, b, a in _SHAPES]
CASES += [Case("TRANSPOSE_CONV", "transpose_conv",
               dict(input_shape=s, filters=f, kernel=k, strides=st, padding=p, use_bias=b, activation=a),
               quantization="16x8")
          for s, f, k, st, p, b, a in _SHAPES[:3]]
