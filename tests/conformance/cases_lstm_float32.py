"""UNIDIRECTIONAL_SEQUENCE_LSTM in float32 models (Keras' LSTM converted without quantization), judged against
the stated bound for a float LSTM (codegen/verify/float_bound.py): TFLite computes its gates with Eigen's
approximations of sigmoid and tanh, which no C library reproduces bit for bit."""
from __future__ import annotations

from cases import Case


def lstm(time, features, units, return_sequences, classes):
    import tf_keras     # Keras 2: its LSTM is the one the converter fuses (Keras 3's becomes a WHILE loop)
    x = tf_keras.Input((time, features), batch_size=1)
    y = tf_keras.layers.LSTM(units, return_sequences=return_sequences)(x)
    if classes:
        y = tf_keras.layers.Dense(classes, activation="softmax")(tf_keras.layers.Flatten()(y))
    return tf_keras.Model(x, y)


CASES = [Case("UNIDIRECTIONAL_SEQUENCE_LSTM", "lstm", dict(time=t, features=f, units=u, return_sequences=r,
                                                           classes=c), quantization="float32")
         for t, f, u, r, c in [(8, 5, 6, True, 0), (12, 3, 10, False, 0), (28, 28, 20, True, 10)]]
