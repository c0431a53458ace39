"""CONCATENATION, PAD, PADV2, STRIDED_SLICE, TRANSPOSE."""
from __future__ import annotations

import itertools

from cases import Case


def concatenation(shapes, axis):
    import keras
    inputs = [keras.Input(tuple(s), batch_size=1, name=f"input{i}") for i, s in enumerate(shapes)]
    # Through a layer each, so the converter can give every branch the concatenation's scale.
    branches = [keras.layers.Dense(s[-1])(x) for s, x in zip(shapes, inputs)]
    y = keras.layers.Concatenate(axis=axis)(branches)
    return keras.Model(inputs, y)


def pad(padding, constant):
    import keras
    x = keras.Input((4, 5, 3), batch_size=1)
    if constant is None:
        y = keras.layers.ZeroPadding2D(padding)(x)
    else:
        widths = [[0, 0], *padding, [0, 0]]
        y = keras.layers.Lambda(lambda t: keras.ops.pad(t, widths, constant_values=constant))(x)
    return keras.Model(x, y)


def strided_slice(shape, index):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    key = tuple([slice(None)] + [i if isinstance(i, int) else slice(*i) for i in index])
    y = keras.layers.Lambda(lambda t: t[key])(x)
    return keras.Model(x, y)


def transpose(shape, perm):
    import keras
    x = keras.Input(tuple(shape), batch_size=1)
    return keras.Model(x, keras.layers.Permute(tuple(perm))(x))


SLICES = [
    ((6, 5, 3), [[1, 5], [None], [None]]),
    ((6, 5, 3), [[None, None, 2], [1, None, 2], [None]]),
    ((6, 5, 3), [[-3, None], [None], [1, 2]]),
    ((6, 5, 3), [[None, None, -1], [None], [None]]),
    ((6, 5, 3), [2, [None], [None]]),
    ((6, 5, 3), [[None], 1, [0, 2]]),
    ((7, 4), [[1, -1, 3], [None, None, -2]]),
    ((10,), [[2, 9, 3]]),
]

CASES = [
    *[Case("CONCATENATION", "concatenation", dict(shapes=[list(s) for s in shapes], axis=axis))
      for shapes, axis in itertools.product(
          [[(4, 5, 3), (4, 5, 2)], [(4, 5, 3), (4, 5, 3), (4, 5, 1)]], [-1])],
    *[Case("CONCATENATION", "concatenation", dict(shapes=[list(s) for s in shapes], axis=axis))
      for shapes, axis in [([(4, 5, 3), (2, 5, 3)], 1), ([(4, 3, 3), (4, 2, 3)], 2), ([(3, 4), (5, 4)], 1),
                           ([(7,), (1,), (4,)], -1)]],
    *[Case("PAD", "pad", dict(padding=[list(p) for p in padding], constant=None))
      for padding in [((1, 1), (1, 1)), ((0, 2), (1, 0)), ((3, 0), (0, 0))]],
    *[Case("PADV2", "pad", dict(padding=[list(p) for p in padding], constant=constant))
      for padding, constant in itertools.product([((1, 1), (2, 0)), ((0, 1), (0, 3))], [0.5, -0.25])],
    *[Case("STRIDED_SLICE", "strided_slice", dict(shape=list(shape), index=index)) for shape, index in SLICES],
    *[Case("TRANSPOSE", "transpose", dict(shape=list(shape), perm=list(perm)))
      for shape, perm in itertools.chain(
          itertools.product([(4, 5, 3)], list(itertools.permutations([1, 2, 3]))[1:]),
          itertools.product([(3, 7)], [(2, 1)]))],
]
