"""float32 models (no quantization): CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, the pools, ADD, SUB, MUL,
RESHAPE and the RELU family, each bit-exact with TFLite's float reference kernels. Biases are random so the
converter keeps them; inputs are uniform in +-3."""
from __future__ import annotations

from cases import Case

F32 = "float32"
BIAS = "random_uniform"


def conv2d(kernel, strides, padding, channels, activation):
    import keras
    x = keras.Input((7, 6, channels[0]), batch_size=1)
    return keras.Model(x, keras.layers.Conv2D(channels[1], kernel, strides=strides, padding=padding,
                                              activation=activation, bias_initializer=BIAS)(x))


def depthwise_conv2d(kernel, strides, padding, channels, multiplier, activation):
    import keras
    x = keras.Input((7, 6, channels), batch_size=1)
    return keras.Model(x, keras.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding,
                                                       depth_multiplier=multiplier, activation=activation,
                                                       bias_initializer=BIAS)(x))


def fully_connected(input_shape, units, activation, use_bias):
    import keras
    x = keras.Input(tuple(input_shape), batch_size=1)
    return keras.Model(x, keras.layers.Dense(units, activation=activation, use_bias=use_bias,
                                             bias_initializer=BIAS)(x))


def pool(kind, size, strides, padding):
    import keras
    x = keras.Input((7, 6, 3), batch_size=1)
    layer = keras.layers.AveragePooling2D if kind == "average" else keras.layers.MaxPooling2D
    return keras.Model(x, layer(size, strides=strides, padding=padding)(x))


def arithmetic(op, shape1, shape2):
    import keras
    a = keras.Input(tuple(shape1), batch_size=1, name="input0")
    b = keras.Input(tuple(shape2), batch_size=1, name="input1")
    layer = {"add": keras.layers.Add, "sub": keras.layers.Subtract, "mul": keras.layers.Multiply}[op]
    y = layer()([a, b]) if shape1 == shape2 else keras.layers.Lambda(
        lambda ts: {"add": ts[0] + ts[1], "sub": ts[0] - ts[1], "mul": ts[0] * ts[1]}[op])([a, b])
    return keras.Model([a, b], y)


def relu(kind, shape):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    # a reshape first, so the activation is not fused into anything and stays its own operator
    y = keras.layers.Reshape(tuple(reversed(shape)))(x)
    fn = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "relu_n1_to_1": lambda t: tf.clip_by_value(t, -1.0, 1.0)}[kind]
    return keras.Model(x, keras.layers.Lambda(fn)(y))


CASES = [
    *[Case("CONV_2D", "conv2d", dict(kernel=k, strides=s, padding=p, channels=c, activation=a), quantization=F32)
      for k, s, p, c, a in [(3, 1, "same", [3, 5], None), (3, 2, "valid", [4, 2], "relu"), (1, 1, "same", [6, 4], "relu6"),
                            ([2, 3], [2, 1], "same", [2, 3], None)]],
    *[Case("DEPTHWISE_CONV_2D", "depthwise_conv2d", dict(kernel=k, strides=s, padding=p, channels=c, multiplier=m,
                                                         activation=a), quantization=F32)
      for k, s, p, c, m, a in [(3, 1, "same", 4, 1, "relu"), (3, 2, "valid", 3, 2, None), (5, 1, "same", 2, 1, "relu6")]],
    *[Case("FULLY_CONNECTED", "fully_connected", dict(input_shape=i, units=u, activation=a, use_bias=b),
           quantization=F32)
      for i, u, a, b in [([16], 8, "relu", True), ([3, 10], 4, None, True), ([7], 3, None, False)]],
    *[Case("AVERAGE_POOL_2D" if kind == "average" else "MAX_POOL_2D", "pool",
           dict(kind=kind, size=s, strides=st, padding=p), quantization=F32)
      for kind in ("average", "max") for s, st, p in [(2, 2, "valid"), (3, 2, "same")]],
    *[Case(op.upper(), "arithmetic", dict(op=op, shape1=s1, shape2=s2), quantization=F32)
      for op in ("add", "sub", "mul") for s1, s2 in [([4, 5], [4, 5]), ([3, 4, 5], [1, 1, 5])]],
    *[Case(kind.upper(), "relu", dict(kind=kind, shape=[3, 8]), quantization=F32)
      for kind in ("relu", "relu6", "relu_n1_to_1")],
]


def transcendental(kind, shape, scale):
    import keras
    import tensorflow as tf
    x = keras.Input(tuple(shape), batch_size=1)
    y = keras.layers.Dense(shape[-1], bias_initializer=BIAS)(x)       # spreads the values by `scale`
    y = keras.layers.Lambda(lambda t: t * scale)(y)
    fn = {"softmax": lambda t: tf.nn.softmax(t * 1.0), "logistic": tf.sigmoid, "tanh": tf.tanh}[kind]
    return keras.Model(x, keras.layers.Lambda(fn)(y))


CASES += [Case(kind.upper(), "transcendental", dict(kind=kind, shape=shape, scale=scale), quantization=F32)
          for kind in ("softmax", "logistic", "tanh") for shape, scale in [([12], 1.0), ([3, 10], 8.0)]]


def divide(shape1, shape2, activation):
    import keras
    import tensorflow as tf
    a = keras.Input(tuple(shape1), batch_size=1, name="input0")
    b = keras.Input(tuple(shape2), batch_size=1, name="input1")
    # b * b + 0.5 keeps the divisor away from zero; the MUL and ADD are float32 too
    y = keras.layers.Lambda(lambda ts: ts[0] / (ts[1] * ts[1] + 0.5))([a, b])
    if activation:
        y = keras.layers.Activation(activation)(y)
    return keras.Model([a, b], y)


CASES += [Case("DIV", "divide", dict(shape1=s1, shape2=s2, activation=a), quantization=F32)
          for s1, s2, a in [([4, 5], [4, 5], None), ([3, 4, 5], [1, 1, 5], "relu")]]


def concatenation(shapes, axis):
    import keras
    inputs = [keras.Input(tuple(s), batch_size=1, name=f"input{i}") for i, s in enumerate(shapes)]
    return keras.Model(inputs, keras.layers.Concatenate(axis=axis)(inputs))


CASES += [Case("CONCATENATION", "concatenation", dict(shapes=s, axis=a), quantization=F32)
          for s, a in [([[3, 4], [3, 5]], -1), ([[2, 3, 2], [1, 3, 2]], 1)]]
