"""GRU layers in the forms the converter lowers to integer operators (TFLite has no GRU operator):

- ``GRU(unroll=True)`` from Keras 3 or tf_keras, reset_after True or False: UNPACK over time,
  FULLY_CONNECTED, SPLIT / SPLIT_V, LOGISTIC, TANH, ADD, SUB, MUL (and STRIDED_SLICE). Depending on the form
  and the sizes the converter may leave DEQUANTIZE -> float32 SPLIT / SPLIT_V -> QUANTIZE on a gate
  projection; the float part is a copy (split.py), so every case here is still integer arithmetic;
- a GRU cell unrolled by hand in a Functional model (Dense, sigmoid, tanh, Add, Multiply), as Google's
  kws_streaming builds streaming GRUs, with the reset gate applied after (reset_after=True) or before the
  recurrent Dense.

A GRU that is not unrolled becomes a WHILE loop over other subgraphs and is refused
(tests/test_bad_input.py).
"""
from __future__ import annotations

import itertools

from cases import Case

# What every form contains (one timestep, from h = 0, needs no ADD).
GRU_OPERATORS = ("FULLY_CONNECTED", "LOGISTIC", "TANH", "MUL")


def gru(api, reset_after, units, timesteps, features, return_sequences):
    """``keras.layers.GRU`` (Keras 3) or ``tf_keras.layers.GRU``, unrolled."""
    import importlib
    keras = importlib.import_module(api)
    x = keras.Input((timesteps, features), batch_size=1)
    y = keras.layers.GRU(units, unroll=True, reset_after=reset_after, return_sequences=return_sequences)(x)
    return keras.Model(x, y)


def manual_gru(units, timesteps, features, reset_after):
    """h = z * h + (1 - z) * tanh(W x + r * (U h + b)) (reset_after) or tanh(W x + U (r * h)), from h = 0."""
    import keras
    layers = keras.layers
    x = keras.Input((timesteps, features), batch_size=1)
    h = None
    for t in range(timesteps):
        x_t = layers.Lambda(lambda v, t=t: v[:, t, :])(x)
        if h is None:   # h = 0: the recurrent terms vanish
            z = layers.Dense(units, activation="sigmoid")(x_t)
            candidate = layers.Dense(units, activation="tanh")(x_t)
        else:
            z = layers.Activation("sigmoid")(layers.Add()([layers.Dense(units)(x_t),
                                                             layers.Dense(units, use_bias=False)(h)]))
            r = layers.Activation("sigmoid")(layers.Add()([layers.Dense(units)(x_t),
                                                             layers.Dense(units, use_bias=False)(h)]))
            recurrent = (layers.Multiply()([r, layers.Dense(units)(h)]) if reset_after
                         else layers.Dense(units, use_bias=False)(layers.Multiply()([r, h])))
            candidate = layers.Activation("tanh")(layers.Add()([layers.Dense(units)(x_t), recurrent]))
        keep = layers.Multiply()([z, h]) if h is not None else None
        update = layers.Multiply()([layers.Lambda(lambda v: 1.0 - v)(z), candidate])
        h = update if keep is None else layers.Add()([keep, update])
    return keras.Model(x, h)


CASES = [
    Case("GRU", "gru", dict(api=api, reset_after=after, units=units, timesteps=timesteps, features=features,
                            return_sequences=sequences), expect=GRU_OPERATORS)
    for api, after in itertools.product(["keras", "tf_keras"], [True, False])
    for units, timesteps, features, sequences in [(1, 1, 2, False), (4, 3, 5, False), (9, 6, 2, True),
                                                  (16, 4, 8, False)]
] + [
    Case("GRU", "manual_gru", dict(units=units, timesteps=timesteps, features=features, reset_after=after),
         expect=GRU_OPERATORS)
    for (units, timesteps, features), after in itertools.product([(3, 2, 4), (8, 5, 3)], [True, False])
]
