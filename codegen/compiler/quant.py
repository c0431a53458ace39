"""Host-side quantization parameter math, bit-exact with TensorFlow Lite.

TFLite's kernels do not run on the float scales stored in a model; their
Prepare functions turn them into integer multipliers and shifts, activation
clamps and padding. The firmware kernels in ``firmware/kernels/`` consume the
integers, so this module must reproduce those Prepare computations exactly,
including whether scales are multiplied in float32 before widening to double
(``GetQuantizedConvolutionMultipler``) or widened first
(``PopulateConvolutionQuantizationParams``): the two can differ in the last
bit of the multiplier, and that shows up in the int8 outputs. Where the
TFLite source and the TF 2.21 interpreter's behaviour could disagree, the
interpreter (as measured by tests/test_kernels.py) wins.

Float32 arithmetic is done with numpy scalars; Python floats are doubles.
Rounding is TfLiteRound (``std::round``: half away from zero), never Python's
banker's ``round``.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from codegen.errors import TinyforgeError

INT8_MIN = -128
INT8_MAX = 127

# kScaledDiffIntegerBits in TFLite's SoftmaxPrepare / reference Softmax.
SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5


def _round_half_away(x: float) -> int:
    """TfLiteRound / std::round on a double: ties go away from zero."""
    # x - floor(x) is exact for doubles, unlike floor(x + 0.5), which rounds
    # 0.49999999999999994 up.
    a = abs(x)
    whole = math.floor(a)
    r = int(whole) + (1 if a - whole >= 0.5 else 0)
    return r if x >= 0 else -r


def _f32(x: float) -> np.float32:
    return np.float32(x)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """Mirror tflite::QuantizeMultiplier (kernels/internal/quantization_util.cc).

    Returns ``(multiplier, shift)`` with ``real == multiplier * 2**(shift - 31)``
    up to rounding, ``multiplier`` in ``[2**30, 2**31)`` (or 0). This is the
    default build (no TFLITE_SINGLE_ROUNDING), so no clamp of the shift at 30.
    """
    real = float(real)
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real):
        raise TinyforgeError(f"quantization scales give a multiplier of {real}; the model's scales are corrupt")
    q, shift = math.frexp(real)
    # q * 2^31 is exact in a double (q has 53 significant bits).
    q_fixed = _round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        # Rounding carried into the next power of two.
        q_fixed //= 2
        shift += 1
    if shift < -31:
        # Too small to represent: TFLite flushes the multiplier to zero.
        shift = 0
        q_fixed = 0
    return int(q_fixed), int(shift)


def conv_requant(input_scale: float, filter_scales: Sequence[float],
                 output_scale: float) -> tuple[list[int], list[int]]:
    """Mirror tflite::PopulateConvolutionQuantizationParams (kernel_util.cc).

    Used by CONV_2D and DEPTHWISE_CONV_2D. Each scale is a float32 in the
    model, widened to double *before* the product:
    ``double(input_scale) * double(filter_scale) / double(output_scale)``.
    One multiplier per filter scale; a per-tensor filter gives one-element
    lists (TFLite would replicate it per channel; the value is the same).
    """
    in_s = float(_f32(input_scale))
    out_s = float(_f32(output_scale))
    multipliers: list[int] = []
    shifts: list[int] = []
    for fs in filter_scales:
        effective = in_s * float(_f32(fs)) / out_s
        m, s = quantize_multiplier(effective)
        multipliers.append(m)
        shifts.append(s)
    return multipliers, shifts


def fully_connected_requant(input_scale: float, filter_scales: Sequence[float],
                            output_scale: float) -> tuple[list[int], list[int]]:
    """Mirror int8 FULLY_CONNECTED's Prepare (kernels/fully_connected.cc) in TF 2.21.

    Older TFLite derived the per-tensor FC multiplier with
    tflite::GetQuantizedConvolutionMultipler, which multiplies
    ``input_scale * filter_scale`` in float32 before widening to double. The
    TF 2.21 interpreter does not: for int8 it fills the multipliers through
    PopulateConvolutionQuantizationParams, all in double, for per-tensor and
    per-channel weights alike. tests/test_kernels.py proves this on crafted
    models whose float32 and double multipliers differ and whose
    accumulators sit on the rounding boundary between them (the float32
    variant gets every crafted output wrong by one).

    One multiplier per filter scale, like conv_requant.
    """
    return conv_requant(input_scale, filter_scales, output_scale)


def fully_connected_requant_float32_product(input_scale: float, filter_scales: Sequence[float],
                                            output_scale: float) -> tuple[list[int], list[int]]:
    """The GetQuantizedConvolutionMultipler variant (float32 product, then double).

    Not what TF 2.21 uses for int8 (see fully_connected_requant); kept so the
    tests can show the two differ, and for models targeting older runtimes.
    """
    out_s = float(_f32(output_scale))
    multipliers: list[int] = []
    shifts: list[int] = []
    for fs in filter_scales:
        product = float(_f32(input_scale) * _f32(fs))  # float32 multiply
        m, s = quantize_multiplier(product / out_s)
        multipliers.append(m)
        shifts.append(s)
    return multipliers, shifts


def activation_range(activation: str, scale: float, zero_point: int,
                     qmin: int = INT8_MIN, qmax: int = INT8_MAX) -> tuple[int, int]:
    """Mirror tflite::CalculateActivationRangeQuantized for an output of range [qmin, qmax].

    The bound is ``zero_point + (int)TfLiteRound(f / scale)`` where the
    division is float32 (both operands are floats in kernel_util.cc) and
    the rounding is std::round on that float. int8 by default; int16
    outputs (16x8 FULLY_CONNECTED) pass their own range.
    """
    act = activation.upper()

    def quantize(f: float) -> int:
        q = _f32(f) / _f32(scale)
        return int(zero_point) + _round_half_away(float(q))

    if act == "NONE":
        return qmin, qmax
    if act == "RELU":
        return max(qmin, quantize(0.0)), qmax
    if act == "RELU6":
        return max(qmin, quantize(0.0)), min(qmax, quantize(6.0))
    if act == "RELU_N1_TO_1":
        return max(qmin, quantize(-1.0)), min(qmax, quantize(1.0))
    raise ValueError(f"unsupported fused activation {activation!r}")


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """Mirror int8 SoftmaxPrepare (kernels/activations.cc), reference path.

    tflite::PreprocessSoftmaxScaling(beta, input_scale, 5) computes
    ``min(double(beta) * double(input_scale) * 2**(31 - 5), 2**31 - 1)``
    and QuantizeMultiplierGreaterThanOne of it; diff_min is
    ``-CalculateInputRadius(5, input_left_shift, 31)``, the largest input
    difference whose rescaled value still fits in Q5.26.

    Returns ``(input_multiplier, input_left_shift, diff_min)``.
    """
    bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS
    max_real = float((1 << 31) - 1)
    real = min(float(_f32(beta)) * float(_f32(input_scale)) * float(1 << (31 - bits)),
               max_real)
    if not real > 1.0:
        # QuantizeMultiplierGreaterThanOne TFLITE_CHECKs this.
        raise ValueError(f"softmax beta*input_scale too small: {real}")
    multiplier, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        raise ValueError("softmax input multiplier below one")
    max_input_rescaled = (1.0 * ((1 << bits) - 1) * (1 << (31 - bits))
                          / (1 << left_shift))
    radius = int(math.floor(max_input_rescaled))
    return multiplier, left_shift, -radius


def conv_output_size_and_padding(padding: str, in_size: int, filter_size: int,
                                 stride: int, dilation: int) -> tuple[int, int]:
    """Mirror tflite::ComputeOutSize and ComputePaddingWithOffset (padding.h).

    Returns ``(out_size, pad_before)``. TFLite puts the odd extra pad pixel
    after (bottom/right), so ``pad_before`` is ``total // 2``. C integer
    division truncates toward zero, which matters only for degenerate VALID
    cases where the filter is larger than the input.
    """
    def cdiv(a: int, b: int) -> int:
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q

    effective = (filter_size - 1) * dilation + 1
    pad = padding.upper()
    if stride == 0:
        out = 0
    elif pad == "SAME":
        out = cdiv(in_size + stride - 1, stride)
    elif pad == "VALID":
        out = cdiv(in_size + stride - effective, stride)
    else:
        raise ValueError(f"unsupported padding {padding!r}")
    total = (out - 1) * stride + effective - in_size
    total = max(total, 0)
    return out, total // 2


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """Mirror tflite::QuantizeMultiplierSmallerThanOneExp: QuantizeMultiplier with the check that
    0 < real < 1, so the shift is never positive."""
    if not 0.0 < real < 1.0:
        raise ValueError(f"multiplier {real} is not in (0, 1)")
    multiplier, shift = quantize_multiplier(real)
    if shift > 0:
        raise ValueError(f"multiplier {real} rounds to a positive shift")
    return multiplier, shift


# PrepareGeneralSubOp / add.cc Prepare: 8-bit inputs are shifted left by 20 before rescaling.
ADD_LEFT_SHIFT_8BIT = 20
ADD_LEFT_SHIFT_16BIT = 15   # add.cc / sub.cc: left_shift = (output->type == kTfLiteInt16) ? 15 : 20


def add_params(input1_scale: float, input2_scale: float, output_scale: float,
               negate_input2: bool = False, left_shift: int = 20) -> dict:
    """Mirror the int8 path of ADD's and SUB's Prepare (add.cc, sub.cc PrepareGeneralSubOp).

    ``twice_max_input_scale = 2 * max(s1, s2)`` is a float32 max widened to double; each input is
    rescaled by ``s / twice_max`` and the sum by ``twice_max / ((1 << 20) * s_out)`` (a float32 product,
    exact because it is a power of two), all in double. SUB multiplies input 2's multiplier by -1.
    """
    s1, s2, s_out = _f32(input1_scale), _f32(input2_scale), _f32(output_scale)
    twice_max = 2.0 * float(max(s1, s2))
    m1, shift1 = quantize_multiplier_smaller_than_one(float(s1) / twice_max)
    m2, shift2 = quantize_multiplier_smaller_than_one(float(s2) / twice_max)
    out_real = twice_max / float(_f32(1 << left_shift) * s_out)
    m_out, shift_out = quantize_multiplier_smaller_than_one(out_real)
    return dict(left_shift=left_shift, input1_multiplier=m1, input1_shift=shift1,
                input2_multiplier=-m2 if negate_input2 else m2, input2_shift=shift2,
                output_multiplier=m_out, output_shift=shift_out)


def mul_multiplier(input1_scale: float, input2_scale: float, output_scale: float) -> tuple[int, int]:
    """Mirror MUL's Prepare (mul.cc): ``input1_scale * input2_scale / output_scale`` evaluated in
    float32 (all three are floats in the C++), then QuantizeMultiplier."""
    real = _f32(input1_scale) * _f32(input2_scale) / _f32(output_scale)
    return quantize_multiplier(float(real))


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """Mirror int8 MEAN in TF 2.21 (reduce.cc PrepareMeanOrSum, then the integer QuantizedMeanOrSum):
    QuantizeMultiplier of ``double(s_in) / double(s_out)``, then the division by the element count
    folded into it: with ``k = min(floor(log2(count)), 32, 31 + shift)`` the multiplier becomes
    ``(multiplier << k) / count`` (int64, truncating) and the shift ``shift - k``.

    The TF source also has a float32 path and a 4-D integer_ops::Mean path for this operator; measured
    against the TF 2.21 interpreter, every int8 case (4-D over H and W with keep_dims, other axes, equal
    or different scales) matches this one and those do not (tests/conformance, MEAN cases).
    """
    multiplier, shift = quantize_multiplier(float(_f32(input_scale)) / float(_f32(output_scale)))
    k = min(count.bit_length() - 1, 32, 31 + shift)
    return int((multiplier << k) // count), shift - k


def checked_log2(x: float) -> tuple[int, bool]:
    """tflite::CheckedLog2 (internal/quantization_util.cc), in float32 as there: the rounded log2 of ``x`` and
    whether ``x`` is within 1e-3 (in log2) of that power of two. "Power of two" is this approximate test, so a
    converter scale of 8/32767 counts as 2**-12."""
    from codegen.compiler.fixedpoint import logf
    x_log2 = _f32(logf(_f32(x)) * (_f32(1.0) / logf(_f32(2.0))))
    rounded = _f32(_round_half_away(float(x_log2)))
    return int(rounded), abs(float(_f32(x_log2 - rounded))) < float(_f32(1e-3))


def sigmoid_s16_multiplier(input_scale: float, max_pot_shift: int) -> tuple[int, int]:
    """The int16 LOGISTIC / TANH input rescale, as SigmoidPrepare / TanhPrepare (activations.cc) compute it
    and the reference kernels (reference_integer_ops::Logistic / Tanh) then apply it: ``(x * multiplier +
    round) >> shift`` brings the input to 1/(3*4096) per step, the table's grid.

    A power-of-two input scale 2**(shift - 12) with shift <= ``max_pot_shift`` (0 for LOGISTIC, 1 for TANH)
    leaves the Prepare multiplier 0, which the kernels replace by ``3 << shift`` with no right shift; the
    result here is already that replacement. Otherwise the multiplier is scale * 3 * 4096 doubled until it
    exceeds 32767 / 2 (at most 31 times), truncated to an integer."""
    log2, pot = checked_log2(input_scale)
    shift = 12 + log2
    if pot and 0 <= shift <= max_pot_shift:
        return 3 << shift, 0
    multiplier = float(_f32(input_scale)) * 4096.0 * 3.0
    shift = 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    return int(multiplier), shift
