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


def trunc_div(a: int, b: int) -> int:
    """C integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def srdhm32(a: int, b: int) -> int:
    """gemmlowp::SaturatingRoundingDoublingHighMul for int32."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return trunc_div(ab + nudge, 1 << 31)


def srdhm16(a: int, b: int) -> int:
    """gemmlowp::SaturatingRoundingDoublingHighMul for int16."""
    if a == b == INT16_MIN:
        return INT16_MAX
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    return trunc_div(ab + nudge, 1 << 15)


def sdhm16(a: int, b: int) -> int:
    """tflite::reference_ops::SaturatingDoublingHighMul (int16, truncating; hard_swish.h)."""
    if a == b == INT16_MIN:
        return INT16_MAX
    return trunc_div(a * b, 1 << 15)


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


# ---- gemmlowp's 16-bit exp, for the LSTM's tables (firmware/kernels/fixedpoint_s16.h) ----------------------

def wrap16(x: int) -> int:
    """An int16 addition's wrap-around (gemmlowp's Add/Sub on int16 raw values)."""
    return (x + (1 << 15)) % (1 << 16) - (1 << 15)


def sat16(x: int) -> int:
    return max(INT16_MIN, min(INT16_MAX, x))


def const16(q31: int) -> int:
    """gemmlowp::RescaleConstantInitializer for int16: a Q0.31 constant rounded to Q0.15."""
    threshold = 0x7FFF + (1 if q31 < 0 else 0)
    return (q31 >> 16) + (1 if (q31 & 0xFFFF) > threshold else 0)


def srmbpot16(x: int, exponent: int) -> int:
    """gemmlowp::SaturatingRoundingMultiplyByPOT<exponent> on int16."""
    if exponent > 0:
        threshold = (1 << (15 - exponent)) - 1
        if x > threshold:
            return INT16_MAX
        if x < -threshold:
            return INT16_MIN
        return x * (1 << exponent)
    return rounding_divide_by_pot(x, -exponent) if exponent < 0 else x


def exp_quarter16(a: int) -> int:
    """gemmlowp::exp_on_interval_between_negative_one_quarter_and_0_excl on int16: Q0.15 in and out."""
    constant_term = const16(1895147668)     # exp(-1/8)
    one_third = const16(715827883)
    x = wrap16(a + (1 << 12))               # a + 1/8
    x2 = srdhm16(x, x)
    x3 = srdhm16(x2, x)
    x4 = srdhm16(x2, x2)
    x4_over_4 = srmbpot16(x4, -2)
    poly = srmbpot16(wrap16(srdhm16(wrap16(x4_over_4 + x3), one_third) + x2), -1)
    return sat16(constant_term + srdhm16(constant_term, wrap16(x + poly)))


def exp_quarter_table(integer_bits: int) -> list[int]:
    """exp_on_negative_values' Taylor part for a value in Q(integer_bits) whose bits below one quarter are i,
    for every i: what tf_exp_negative16 computes from them."""
    quarter = 1 << (15 - integer_bits - 2)
    return [exp_quarter16(srmbpot16(wrap16(i - quarter), integer_bits)) for i in range(quarter)]


def saturating_shift_left(x: int, exponent: int) -> int:
    """gemmlowp::SaturatingRoundingMultiplyByPOT with a positive exponent: x * 2^exponent, clamped to int32."""
    if x > (INT32_MAX >> exponent):
        return INT32_MAX
    if x < (INT32_MIN >> exponent):
        return INT32_MIN
    return x << exponent


def _wrap32(x: int) -> int:
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def inv_sqrt_quantized_multiplier_exp(value: int, reverse_shift: int) -> tuple[int, int]:
    """tflite::GetInvSqrtQuantizedMultiplierExp (internal/common.h): 1 / sqrt(value) as a multiplier and a
    shift, by five Newton-Raphson steps in gemmlowp fixed point with 3 integer bits (F3)."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value = trunc_div(value, 4)
        shift += 1
    pairs = ((32 - value.bit_length()) - 1) // 2 - 1        # (CountLeadingZeros - 1) / 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    one_f3 = 1 << 28
    half_input = rounding_divide_by_pot(value >> 1, 1)      # SaturatingRoundingMultiplyByPOT<-1>
    half_three = (1 << 28) + (1 << 27)                       # 1.5 in F3
    x = one_f3
    for _ in range(5):
        x3 = saturating_shift_left(srdhm32(srdhm32(x, x), x), 6)            # Rescale<3>(F9)
        x = saturating_shift_left(_wrap32(srdhm32(half_three, x) - srdhm32(half_input, x3)), 3)  # Rescale<3>(F6)
    x = srdhm32(x, 1518500250)                               # times sqrt(2) / 2 in F0
    if shift < 0:
        x = _wrap32(x << -shift)
        shift = 0
    return x, shift * reverse_shift


def lut_populate_int16(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
                       transform) -> list[int]:
    """tflite::LUTPopulate<int16_t> (LUTPopulateInt16<float>, kernels/internal/common.h): 512 segments over the
    input's int16 range, each start value nudged by half the error its linear interpolation makes at the
    segment's midpoint, plus the end value; float32 arithmetic throughout, ``transform`` on a float32."""
    f = np.float32
    input_min = f(f(input_scale) * f(INT16_MIN - input_zero_point))
    input_max = f(f(input_scale) * f(INT16_MAX - input_zero_point))
    output_min = f(f(output_scale) * f(INT16_MIN - output_zero_point))
    output_max = f(f(output_scale) * f(INT16_MAX - output_zero_point))
    steps = 512
    step = f(f(input_max - input_min) / f(steps))
    half_step = f(step / f(2))
    scaling_inv = f(f(INT16_MAX - INT16_MIN + 1) / f(output_max - output_min))

    def rnd(x) -> np.float32:
        return f(round_half_away(float(x)))

    def clamp(x) -> int:
        return int(min(max(float(x), float(INT16_MIN)), float(INT16_MAX)))

    lut = []
    for i in range(steps):
        val = f(transform(f(input_min + f(f(i) * step))))
        val_mid = f(transform(f(f(input_min + f(f(i) * step)) + half_step)))
        val_next = f(transform(f(input_min + f(f(i + 1) * step))))
        sample = rnd(f(val * scaling_inv))
        mid_interp = rnd(f(f(f(val_next * scaling_inv) + rnd(f(val * scaling_inv))) / f(2)))
        mid = rnd(f(val_mid * scaling_inv))
        bias = rnd(f(f(mid_interp - mid) / f(2)))
        lut.append(clamp(f(sample - bias)))
    lut.append(clamp(rnd(f(f(transform(input_max)) * scaling_inv))))
    return lut
