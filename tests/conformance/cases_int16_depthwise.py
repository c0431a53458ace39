"""DEPTHWISE_CONV_2D, 16x8: kernel sizes, strides, padding, depth multipliers and fused activations."""
from __future__ import annotations

from cases import Case


def depthwise_conv2d(kernel, strides, padding, channels, multiplier, activation):
    import keras
    x = keras.Input((7, 6, channels), batch_size=1)
    return keras.Model(x, keras.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding,
                                                       depth_multiplier=multiplier, activation=activation,
                                                       bias_initializer="random_uniform")(x))


CASES = [Case("DEPTHWISE_CONV_2D", "depthwise_conv2d", dict(kernel=k, strides=s, padding=p, channels=c,
                                                            multiplier=m, activation=a), quantization="16x8")
         for k, s, p, c, m, a in [(3, 1, "same", 4, 1, "relu"), (3, 2, "valid", 3, 2, None),
                                  (5, 1, "same", 2, 1, "relu6"), ((1, 3), (1, 2), "same", 5, 3, None)]]
