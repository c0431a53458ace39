"""Python mirrors of the integer primitives TFLite's kernels use (gemmlowp fixedpoint.h, internal/common.h).

Elementwise int8 operators are functions of one int8 value, so codegen evaluates them here for all 256
inputs and the firmware only looks the answer up (``firmware/kernels/lookup_s8.c``). For that table to be
bit-exact, every rounding detail must match the C++ the interpreter runs; each helper names its original.
Python integers do not overflow, so the C wrap-arounds that matter are written out.
"""
from __future__ import annotations

import ctypes
import functools
import ctypes.util
import math

import numpy as np

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _trunc_div(a: int, b: int) -> int:
    """C integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def srdhm32(a: int, b: int) -> int:
    """gemmlowp::SaturatingRoundingDoublingHighMul for int32."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _trunc_div(ab + nudge, 1 << 31)


def srdhm16(a: int, b: int) -> int:
    """gemmlowp::SaturatingRoundingDoublingHighMul for int16."""
    if a == b == INT16_MIN:
        return INT16_MAX
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    return _trunc_div(ab + nudge, 1 << 15)


def sdhm16(a: int, b: int) -> int:
    """tflite::reference_ops::SaturatingDoublingHighMul (int16, truncating; hard_swish.h)."""
    if a == b == INT16_MIN:
        return INT16_MAX
    return _trunc_div(a * b, 1 << 15)


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    """gemmlowp::RoundingDivideByPOT: ties away from zero."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """tflite::MultiplyByQuantizedMultiplier, default (double-rounding) build."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    shifted = ((x << left) + (1 << 31)) % (1 << 32) - (1 << 31)   # int32 wrap, as "x * (1 << left)" does
    return rounding_divide_by_pot(srdhm32(shifted, multiplier), right)


def round_half_away(x: float) -> int:
    """std::round / TfLiteRound."""
    a = abs(x)
    r = math.floor(a) + (1 if a - math.floor(a) >= 0.5 else 0)
    return int(r if x >= 0 else -r)


@functools.lru_cache(maxsize=None)
def _libm_function(name: str):
    """A float32 function of the C library, so tables see the same expf/tanhf the interpreter calls."""
    path = ctypes.util.find_library("m") or "libm.so.6"
    fn = getattr(ctypes.CDLL(path), name)
    fn.restype = ctypes.c_float
    fn.argtypes = [ctypes.c_float]
    return fn


def expf(x: float) -> np.float32:
    return np.float32(_libm_function("expf")(float(x)))


def tanhf(x: float) -> np.float32:
    return np.float32(_libm_function("tanhf")(float(x)))


def logf(x: float) -> np.float32:
    return np.float32(_libm_function("logf")(float(x)))
