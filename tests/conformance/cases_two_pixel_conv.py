"""CONV_2D at the edges of the convolution kernels' selection: the tap-pairs kernels with rows padded to whole
words (on the Cortex-M3 two output pixels per multiply, conv2d_tap_pairs_two_pixels_s8), and the layers that
keep packed_conv_s8 or, on the M3, the one-pixel tap-pairs path. This file sorts after every other one with
CONV_2D cases, so its last case is the operator's last, which the on-device subset runs on every kernel build;
the others run where the coverage test needs them."""
from __future__ import annotations

from cases import Case


def conv2d_rgb_like(input_hw, kernel, strides, channels, activation, pointwise=None, then_3x3=None):
    import keras
    x = keras.Input((*input_hw, channels[0]), batch_size=1)
    y = keras.layers.Conv2D(channels[1], kernel, strides=strides, padding="same", activation=activation)(x)
    if pointwise is not None:
        y = keras.layers.Conv2D(pointwise, 1)(y)
    if then_3x3 is not None:
        y = keras.layers.Conv2D(then_3x3, 3, padding="same")(y)
    return keras.Model(x, y)


# 5 x 7 outputs of a 3 x 3 filter over 3 channels, whose 9-byte rows the tap-pairs kernels read padded to 12
# (a first layer over RGB): on the M3 pairs of pixels inside the input, pairs at the border side by side in one
# patch, pairs across a row end (the width is odd), and a last pixel alone. A 1x1 layer after it, 12 -> 24
# channels over those 35 pixels, takes pointwise_conv_s8's edges on every core: an odd number of input quads,
# and a last pixel alone. Then a 3x3 layer, 24 -> 70 channels: on DSP cores its receptive field (54 quads) is
# widened two filter rows at a time, its sums carried from block to block, with a second table of six
# channels and a last group of two; on the M3 two pixels per SMLAL again.
CASES = [
    # A receptive field of 800 bytes, past the tap-pairs kernels' patch: packed_conv_s8 on every core (with
    # optimize=speed, which keeps its doubled filter).
    Case("CONV_2D", "conv2d_rgb_like", dict(input_hw=[9, 8], kernel=[5, 5], strides=1, channels=[32, 4],
                                            activation=None)),
    # 576 taps whose sum of |w| is past the two-pixel low lane's limit: on the M3 the weight budget gives up
    # packed_conv_s8's doubled filter for conv2d_tap_pairs_s8's plain C path.
    Case("CONV_2D", "conv2d_rgb_like", dict(input_hw=[9, 8], kernel=[3, 3], strides=1, channels=[64, 4],
                                            activation=None)),
    Case("CONV_2D", "conv2d_rgb_like", dict(input_hw=[9, 13], kernel=[3, 3], strides=2, channels=[3, 12],
                                            activation="relu", pointwise=24, then_3x3=70)),
]
