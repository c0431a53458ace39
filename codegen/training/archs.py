"""Model architectures for keyword spotting, sized for a 20 KB-RAM Cortex-M3.

Each builder returns a Keras model from int8 features presented as ``q / 128``
(shape frames x channels x 1) to class probabilities, using only layers that
convert to operators codegen lowers: CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED, SOFTMAX, RESHAPE, AVERAGE_POOL_2D and (lstm)
UNIDIRECTIONAL_SEQUENCE_LSTM. Flattening is a ``Reshape`` to a fixed size, not
``Flatten``: with the batch fixed at 1 the converter then emits one RESHAPE
instead of SHAPE / STRIDED_SLICE / PACK arithmetic for the batch dimension.
Layer names are short because they become tensor names in the .tflite.

The layers come from ``tf_keras`` (Keras 2), not Keras 3: TFLite's converter
fuses a Keras 2 LSTM into one UNIDIRECTIONAL_SEQUENCE_LSTM, while a Keras 3 LSTM
becomes a WHILE loop over READ_VARIABLE ops, and its int8 conversion crashes
(TensorFlow 2.21).
"""
from __future__ import annotations

from typing import Callable

from codegen.errors import TinyforgeError


def _tiny_conv(L, classes):
    # TF speech_commands create_tiny_conv_model: one 10x8 conv, 8 filters, stride 2, then FC.
    return [L.Conv2D(8, (10, 8), strides=2, padding="same", activation="relu", name="conv"),
            L.Reshape((-1,), name="flat"),
            L.Dense(classes, name="fc")]


def _conv(L, classes):
    # TF's "conv" model shape (two convolutions, pooling, FC) at a width that fits 20 KB;
    # average pooling replaces max pooling, which codegen does not lower.
    return [L.Conv2D(16, (10, 8), strides=2, padding="same", activation="relu", name="conv1"),
            L.AveragePooling2D(2, name="pool1"),
            L.Conv2D(32, (5, 4), padding="same", activation="relu", name="conv2"),
            L.AveragePooling2D(2, name="pool2"),
            L.Reshape((-1,), name="flat"),
            L.Dense(classes, name="fc")]


def _ds_cnn(L, classes):
    # MLPerf Tiny's DS-CNN pattern (wide first conv, then depthwise-separable stages) at a
    # width whose largest op input+output stays near 8 KB. The project's default model.
    return [L.Conv2D(8, (10, 8), strides=2, padding="same", activation="relu", name="conv"),
            L.DepthwiseConv2D((3, 3), strides=2, padding="same", activation="relu", name="dw1"),
            L.Conv2D(32, 1, activation="relu", name="pw1"),
            L.DepthwiseConv2D((3, 3), padding="same", activation="relu", name="dw2"),
            L.Conv2D(32, 1, activation="relu", name="pw2"),
            L.DepthwiseConv2D((3, 3), strides=2, padding="same", activation="relu", name="dw3"),
            L.Conv2D(64, 1, activation="relu", name="pw3"),
            L.Reshape((-1,), name="flat"),
            L.Dense(classes, name="fc")]


def _lstm(L, classes, frames, channels):
    # NXP's KWS recipe: an LSTM over the feature frames. Every step's output feeds the
    # classifier (return_sequences) so no STRIDED_SLICE picks the last one.
    return [L.Reshape((frames, channels), name="frames"),
            L.LSTM(32, return_sequences=True, name="lstm"),
            L.Reshape((-1,), name="flat"),
            L.Dense(classes, name="fc")]


ARCHS: dict[str, Callable] = {"tiny_conv": _tiny_conv, "conv": _conv, "ds_cnn": _ds_cnn, "lstm": _lstm}


def keras():
    import tf_keras
    return tf_keras


def build_model(arch: str, frames: int, channels: int, classes: int, batch_size: int | None = None):
    K = keras()
    L = K.layers
    if arch not in ARCHS:
        raise TinyforgeError(f"--arch {arch}: unknown architecture; choose one of {', '.join(ARCHS)}")
    body = ARCHS[arch](L, classes, frames, channels) if arch == "lstm" else ARCHS[arch](L, classes)
    return K.Sequential(name=arch, layers=[L.Input((frames, channels, 1), batch_size=batch_size, name="features"),
                                                  *body, L.Softmax(name="prob")])
