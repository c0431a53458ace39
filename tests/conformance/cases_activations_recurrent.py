"""LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH (int8), UNIDIRECTIONAL_SEQUENCE_LSTM
(TFLite's integer LSTM: int8 weights, int16 cell state), and the slicing operators a GRU lowers into
(SPLIT, SPLIT_V, UNPACK, PACK).

Seeded int8 inputs cover every input byte of the elementwise operators many times over; the representative
range moves their input and output scales. LSTM cases come from tf_keras (Keras 2): its LSTM is the one the
converter fuses into UNIDIRECTIONAL_SEQUENCE_LSTM (Keras 3's becomes a WHILE loop).
"""
from __future__ import annotations

import itertools

from cases import Case

ACTIVATIONS = {
    "LOGISTIC": ["sigmoid"], "TANH": ["tanh"], "RELU": ["relu"], "RELU6": ["relu6"],
    "RELU_N1_TO_1": ["relu_n1_to_1"], "LEAKY_RELU": ["leaky_0.1", "leaky_0.3", "leaky_2.5"],
    "HARD_SWISH": ["hard_swish"],
}


def activation(kind, shape):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    if kind.startswith("leaky_"):
        y = keras.layers.LeakyReLU(negative_slope=float(kind.split("_")[1]))(x)
    elif kind == "relu6":
        y = keras.layers.ReLU(6.0)(x)
    elif kind == "relu_n1_to_1":
        y = keras.layers.Lambda(lambda t: keras.ops.clip(t, -1.0, 1.0))(x)
    else:
        y = keras.layers.Activation(kind)(x)
    return keras.Model(x, y)


def lstm(units, timesteps, features, return_sequences):
    import tf_keras
    x = tf_keras.Input((timesteps, features), batch_size=1)
    y = tf_keras.layers.LSTM(units, return_sequences=return_sequences)(x)
    return tf_keras.Model(x, y)


def split(shape, axis, sizes):
    """SPLIT (equal parts) or SPLIT_V (sizes), the parts put back in reverse order by CONCATENATION."""
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    parts = keras.layers.Lambda(
        lambda t: keras.ops.split(t, sizes if isinstance(sizes, int) else list(_cumulative(sizes)), axis=axis))(x)
    y = keras.layers.Concatenate(axis=axis)(list(reversed(parts)))
    return keras.Model(x, y)


def _cumulative(sizes):
    total = 0
    for size in sizes[:-1]:
        total += size
        yield total


def unstack_stack(shape, unstack_axis, stack_axis):
    """UNPACK along one axis, PACK the slices back along another."""
    import tensorflow as tf
    import tf_keras
    x = tf_keras.Input(tuple(shape), batch_size=1)
    y = tf_keras.layers.Lambda(lambda t: tf.stack(tf.unstack(t, axis=unstack_axis)[::-1], axis=stack_axis))(x)
    return tf_keras.Model(x, y)


CASES = [
    Case(operator, "activation", dict(kind=kind, shape=shape), representative_range=value_range)
    for operator, kinds in ACTIVATIONS.items()
    for kind, shape, value_range in itertools.product(kinds, [[7], [3, 5, 2], [257]], [0.5, 3.0, 12.0])
] + [
    Case("UNIDIRECTIONAL_SEQUENCE_LSTM", "lstm",
         dict(units=units, timesteps=timesteps, features=features, return_sequences=sequences),
         representative_range=value_range)
    for units, timesteps, features, sequences, value_range in itertools.product(
        [1, 4, 13], [1, 3, 8], [2, 7], [True, False], [1.0])
] + [
    Case("UNIDIRECTIONAL_SEQUENCE_LSTM", "lstm",
         dict(units=units, timesteps=timesteps, features=features, return_sequences=True),
         representative_range=value_range)
    # The last case runs on the devices too: 13 cells and 23 features leave a row and columns over from
    # the blocked gate loop (four rows, four columns per pass) in both the input and the recurrent part.
    for units, timesteps, features, value_range in [(20, 12, 16, 4.0), (8, 30, 5, 0.25), (32, 4, 40, 2.0),
                                                    (13, 5, 23, 2.0)]
]
CASES += [
    Case("SPLIT", "split", dict(shape=shape, axis=axis, sizes=parts))
    for shape, axis, parts in [([6, 4], 1, 2), ([6, 4], 2, 4), ([3, 5, 6], 3, 3), ([9], 1, 3), ([4, 2, 3], 1, 4)]
] + [
    Case("SPLIT_V", "split", dict(shape=shape, axis=axis, sizes=sizes))
    for shape, axis, sizes in [([6, 5], 2, [1, 4]), ([7, 3], 1, [2, 2, 3]), ([2, 9, 2], 2, [4, 5])]
] + [
    Case(operator, "unstack_stack", dict(shape=shape, unstack_axis=ua, stack_axis=sa))
    for operator in ("UNPACK", "PACK")
    for shape, ua, sa in [([3, 4], 1, 2), ([2, 3, 5], 2, 1), ([4, 3, 2], 1, 3)]
]
