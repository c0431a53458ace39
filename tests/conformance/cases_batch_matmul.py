"""BATCH_MATMUL, int8 and 16x8: attention-style products of two activations (q x k^T, then the scores x v), batch
broadcasting, and a constant operand."""
from __future__ import annotations

from cases import Case


def batch_matmul(shape1, shape2, transpose_a, transpose_b, constant):
    import keras
    import numpy as np
    import tensorflow as tf
    a = keras.Input(tuple(shape1), batch_size=1, name="input0")
    if constant:
        c = np.random.default_rng(3).uniform(-1, 1, tuple(shape2)).astype(np.float32)
        y = keras.layers.Lambda(lambda t: tf.matmul(t, c, transpose_a=transpose_a, transpose_b=transpose_b))(a)
        return keras.Model(a, y)
    b = keras.Input(tuple(shape2), batch_size=1, name="input1")
    y = keras.layers.Lambda(lambda ts: tf.matmul(ts[0], ts[1], transpose_a=transpose_a,
                                                 transpose_b=transpose_b))([a, b])
    return keras.Model([a, b], y)


CASES = [Case("BATCH_MATMUL", "batch_matmul", dict(shape1=s1, shape2=s2, transpose_a=ta, transpose_b=tb,
                                                    constant=c))
         for s1, s2, ta, tb, c in [([3, 4, 5], [3, 6, 5], False, True, False),
                                   ([2, 4, 6], [2, 6, 3], False, False, False),
                                   ([5, 4], [5, 3], True, False, False),
                                   ([2, 3, 4, 5], [1, 1, 5, 6], False, False, False)]]
CASES += [Case("BATCH_MATMUL", "batch_matmul", dict(shape1=s1, shape2=s2, transpose_a=ta, transpose_b=tb, constant=c),
               quantization="16x8")
          for s1, s2, ta, tb, c in [([3, 4, 5], [3, 6, 5], False, True, False),
                                    ([2, 3, 4, 5], [1, 1, 5, 6], False, False, False),
                                    ([5, 4], [5, 3], True, False, False)]]
