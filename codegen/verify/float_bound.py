"""The stated bound for float32 layers that call the C library's exponential or tanh.

TFLite's float SOFTMAX, LOGISTIC and TANH call expf / tanhf. The host's glibc gives the oracle's bits, but
the boards link newlib, whose expf and tanhf can differ from glibc's in the last bit. Every other float32
layer is IEEE arithmetic in TFLite's order and must match bit for bit. So a float32 output of a model with
such a layer may differ from TFLite's by at most ``BOUND_ULPS`` units in the last place of the output's
largest magnitude (an absolute bound per output tensor); anything else is a mismatch. The conformance suite
measured 1 ulp on every board (tests/conformance/cases_float32.py); the bound leaves room for the error to
pass through a following layer or two.
"""
from __future__ import annotations

import numpy as np

LIBM_KERNELS = ("softmax_f32", "logistic_f32", "tanh_f32")
BOUND_ULPS = 4
# TFLite's float LSTM takes its sigmoid and tanh from Eigen's vectorised approximations (tensor_utils.h's
# ApplySigmoidToVector / ApplyTanhToVector: a few ulp from the true value, and not the same function for the
# elements of a full SIMD packet and for the rest), which no C library reproduces. The kernel uses expf and
# tanhf; the difference of each step is carried through the recurrence. The bound for a model with a float32
# LSTM: 64 ulp of the output's largest magnitude. Measured: up to 9 ulp on TFLM's mnist_lstm (28 steps, then a
# softmax) on efr32mg24; the conformance cases are tests/conformance/cases_lstm_float32.py.
RECURRENT_KERNELS = ("unidirectional_sequence_lstm_f32",)
RECURRENT_BOUND_ULPS = 64


def uses_libm(compiled) -> bool:
    return any(layer.function in LIBM_KERNELS + RECURRENT_KERNELS for layer in compiled.layers)


def bound_ulps(compiled) -> int:
    """The bound in units in the last place: 0 when the model's float layers are all exact."""
    if any(layer.function in RECURRENT_KERNELS for layer in compiled.layers):
        return RECURRENT_BOUND_ULPS
    return BOUND_ULPS if uses_libm(compiled) else 0


def tolerance(compiled, reference: np.ndarray) -> float:
    """The largest difference allowed in one output tensor: 0 (bit-exact) unless it is float32 and the model
    has a layer that calls expf or tanhf."""
    reference = np.asarray(reference)
    if reference.dtype != np.float32 or not uses_libm(compiled) or reference.size == 0:
        return 0.0
    return float(bound_ulps(compiled) * np.spacing(np.float32(np.max(np.abs(reference)))))


def ulps_of(tol: float, reference) -> int:
    """The bound ``tol`` in units in the last place of the reference's largest magnitude (for messages)."""
    reference = np.asarray(reference, np.float32)
    unit = float(np.spacing(np.float32(np.max(np.abs(reference))))) if reference.size else 0.0
    return int(round(tol / unit)) if unit else 0


def agrees(got, want, tol: float) -> bool:
    """Bit-exact, or (with a tolerance) every value within it."""
    got, want = np.asarray(got), np.asarray(want)
    if tol == 0.0 or got.dtype != np.float32:
        return got.dtype == want.dtype and got.tobytes() == want.tobytes()
    g, w = got.astype(np.float64).ravel(), want.astype(np.float64).ravel()
    return g.shape == w.shape and bool(np.all(np.abs(g - w) <= tol))
