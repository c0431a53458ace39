"""CONV_2D whose filter rows are whole words, as the Cortex-M3 takes them two output pixels per multiply
(conv2d_tap_pairs_two_pixels_s8). This file sorts after every other one with CONV_2D cases, so its case is the
operator's last, which the on-device subset runs on every kernel build."""
from __future__ import annotations

from cases import Case


def conv2d_rows_of_words(input_hw, kernel, strides, channels, activation):
    import keras
    x = keras.Input((*input_hw, channels[0]), batch_size=1)
    y = keras.layers.Conv2D(channels[1], kernel, strides=strides, padding="same", activation=activation)(x)
    return keras.Model(x, y)


# 5 x 7 outputs of a 3 x 4 filter over 2 channels (rows of 8 bytes): pairs of pixels inside the input, pairs at
# the border side by side in one patch, pairs across a row end (the width is odd), and a last pixel alone.
CASES = [Case("CONV_2D", "conv2d_rows_of_words", dict(input_hw=[9, 13], kernel=[3, 4], strides=2, channels=[2, 6],
                                                      activation="relu"))]
