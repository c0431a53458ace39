"""CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SOFTMAX, RESHAPE, SQUEEZE, EXPAND_DIMS."""
from __future__ import annotations

import itertools

from cases import Case

ACTIVATIONS = [None, "relu", "relu6"]


def conv2d(kernel, strides, padding, dilation, channels, activation):
    import keras
    x = keras.Input((9, 8, channels[0]), batch_size=1)
    y = keras.layers.Conv2D(channels[1], kernel, strides=strides, padding=padding, dilation_rate=dilation,
                            activation=activation)(x)
    return keras.Model(x, y)


def depthwise_conv2d(kernel, strides, padding, dilation, channels, depth_multiplier, activation):
    import keras
    x = keras.Input((9, 8, channels), batch_size=1)
    y = keras.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding, dilation_rate=dilation,
                                     depth_multiplier=depth_multiplier, activation=activation)(x)
    return keras.Model(x, y)


def depthwise_stack(kernels, channels, activation):
    import keras
    y = x = keras.Input((9, 8, channels), batch_size=1)
    for kernel in kernels:
        y = keras.layers.DepthwiseConv2D(kernel, padding="same", activation=activation)(y)
    return keras.Model(x, y)


def fully_connected(input_shape, units, activation, use_bias):
    import keras
    x = keras.Input(tuple(input_shape), batch_size=1)
    y = keras.layers.Dense(units, activation=activation, use_bias=use_bias)(x)
    return keras.Model(x, y)


def softmax(input_shape, with_dense):
    import keras
    x = keras.Input(tuple(input_shape), batch_size=1)
    y = keras.layers.Dense(input_shape[-1])(x) if with_dense else x
    return keras.Model(x, keras.layers.Softmax()(y))


def reshape(kind, shape):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    # A convolution first keeps the converter from folding the shape change into the model input.
    y = keras.layers.Conv2D(2, 1)(x)
    if kind == "reshape":
        y = keras.layers.Conv2D(3, 1)(keras.layers.Reshape((shape[0] * shape[1], 1, 2))(y))
    elif kind == "squeeze":
        y = keras.layers.Lambda(lambda t: keras.ops.squeeze(t, axis=1))(y)
    else:
        y = keras.layers.Lambda(lambda t: keras.ops.expand_dims(t, axis=1))(y)
    return keras.Model(x, y)


def _conv_geometries():
    for kernel, strides, padding, dilation in itertools.product([1, 3, [3, 2], [1, 4]], [1, 2], ["same", "valid"],
                                                                [1, 2]):
        if strides > 1 and dilation > 1:
            continue   # Keras (and TF) refuse strides and dilation together
        yield dict(kernel=kernel, strides=strides, padding=padding, dilation=dilation)


CASES = [
    *[Case("CONV_2D", "conv2d", dict(**g, channels=list(ch), activation=act))
      for g, ch, act in itertools.product(list(_conv_geometries()), [(1, 4), (3, 5)], [None, "relu6"])],
    *[Case("CONV_2D", "conv2d", dict(kernel=3, strides=1, padding="same", dilation=1, channels=[2, 3],
                                     activation=act)) for act in ACTIVATIONS],
    *[Case("DEPTHWISE_CONV_2D", "depthwise_conv2d", dict(**g, channels=ch, depth_multiplier=dm, activation=None))
      for g, ch, dm in itertools.product(list(_conv_geometries()), [1, 3], [1, 2])],
    *[Case("DEPTHWISE_CONV_2D", "depthwise_conv2d", dict(kernel=3, strides=s, padding="same", dilation=1,
                                                         channels=5, depth_multiplier=1, activation=act))
      for s, act in itertools.product([1, 2], ["relu", "relu6"])],
    # Channels in fours take the tuned kernels: a 5x5 layer depthwise_conv2d_fast_s8 on every core, a 3x3 one
    # depthwise_conv2d_3x3_s8 on DSP cores. Last of the operator's cases, so the on-device subset runs both.
    Case("DEPTHWISE_CONV_2D", "depthwise_stack", dict(kernels=[5, 3], channels=8, activation="relu6")),
    *[Case("FULLY_CONNECTED", "fully_connected", dict(input_shape=list(shape), units=units, activation=act,
                                                      use_bias=bias))
      for shape, units, act, bias in itertools.product([(10,), (4, 6), (2, 3, 5)], [1, 7, 16], ACTIVATIONS,
                                                       [True, False])
      if bias or act is None],
    # Last of the operator's cases, so the on-device subset runs it: 37 inputs are nine groups of four (the
    # tuned kernel's unrolled loop, its odd group) and one more; 7 outputs one block of four rows and three rows.
    Case("FULLY_CONNECTED", "fully_connected", dict(input_shape=[37], units=7, activation="relu", use_bias=True)),
    *[Case("SOFTMAX", "softmax", dict(input_shape=list(shape), with_dense=dense))
      for shape, dense in itertools.product([(2,), (10,), (33,), (3, 7)], [False, True])],
    # TF 2.21's converter emits Keras squeeze and expand_dims as RESHAPE too.
    *[Case("RESHAPE", "reshape", dict(kind=kind, shape=list(shape)))
      for kind, shape in itertools.product(["reshape", "squeeze", "expand_dims"], [(1, 6, 3), (1, 4, 1)])],
]
