"""CONV_2D 1x1 layers whose requantization multiplier is 1/2 or more, as in MobileNet's later pointwise layers
(vww_96_int8): pointwise_conv_s8 then runs with TFLite's own output stage (general_requant). A second 1x1
layer subtracts nearly equal channels, so its outputs span far less than its inputs times its weights.
The last case, with a 3x3 layer before, is the last of the CONV_2D cases, so the on-device subset runs
both kernels' new paths on every core."""
from __future__ import annotations

from cases import Case


def cancelling_pointwise(in_channels, pairs, activation, lead_3x3=False):
    import keras
    import numpy as np
    rng = np.random.default_rng(7)
    x = keras.Input((6, 5, in_channels), batch_size=1)
    spread = keras.layers.Conv2D(2 * pairs, 1, use_bias=False)
    cancel = keras.layers.Conv2D(pairs, 1, activation=activation)
    # lead_3x3: a 3x3 layer first, whose filter rows (3 x in_channels taps) are more than two words, so
    # conv2d_tap_pairs_s8 runs its per-row quad loop on DSP cores.
    y = keras.layers.Conv2D(in_channels, 3, padding="same")(x) if lead_3x3 else x
    model = keras.Model(x, cancel(spread(y)))
    # every spread channel nearly the input's sum; each cancel output the difference of a channel pair
    spread.set_weights([(1.0 + 0.005 * rng.standard_normal((1, 1, in_channels, 2 * pairs))).astype("float32")])
    weights = np.zeros((1, 1, 2 * pairs, pairs), dtype="float32")
    for j in range(pairs):
        weights[0, 0, 2 * j, j], weights[0, 0, 2 * j + 1, j] = 1.0, -1.0
    cancel.set_weights([weights, (0.01 * rng.standard_normal(pairs)).astype("float32")])
    return model


CASES = [
    Case("CONV_2D", "cancelling_pointwise", dict(in_channels=ch, pairs=pairs, activation=act, lead_3x3=lead))
    for ch, pairs, act, lead in [(3, 4, None, False), (8, 6, "relu", False), (8, 6, "relu", True)]
]
