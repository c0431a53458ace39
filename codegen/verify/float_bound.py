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


def uses_libm(compiled) -> bool:
    return any(layer.function in LIBM_KERNELS for layer in compiled.layers)


def tolerance(compiled, reference: np.ndarray) -> float:
    """The largest difference allowed in one output tensor: 0 (bit-exact) unless it is float32 and the model
    has a layer that calls expf or tanhf."""
    reference = np.asarray(reference)
    if reference.dtype != np.float32 or not uses_libm(compiled) or reference.size == 0:
        return 0.0
    return float(BOUND_ULPS * np.spacing(np.float32(np.max(np.abs(reference)))))


def agrees(got, want, tol: float) -> bool:
    """Bit-exact, or (with a tolerance) every value within it."""
    got, want = np.asarray(got), np.asarray(want)
    if tol == 0.0 or got.dtype != np.float32:
        return got.dtype == want.dtype and got.tobytes() == want.tobytes()
    g, w = got.astype(np.float64).ravel(), want.astype(np.float64).ravel()
    return g.shape == w.shape and bool(np.all(np.abs(g - w) <= tol))
