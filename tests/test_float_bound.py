"""The stated bound for float32 layers that call expf or tanhf (codegen/verify/float_bound.py): it applies only
to float32 outputs of models with such a layer, and only up to BOUND_ULPS units in the last place of the
output's largest magnitude."""
from __future__ import annotations

import numpy as np

from codegen.verify.float_bound import BOUND_ULPS, agrees, tolerance


class _Layer:
    def __init__(self, function):
        self.function = function


class _Compiled:
    def __init__(self, *functions):
        self.layers = [_Layer(f) for f in functions]


def test_only_float_outputs_of_models_calling_libm_get_a_tolerance():
    want = np.array([0.25, 0.5, 0.125], np.float32)
    assert tolerance(_Compiled("fully_connected_f32"), want) == 0.0
    assert tolerance(_Compiled("softmax_s8"), np.array([1, 2], np.int8)) == 0.0
    assert tolerance(_Compiled("fully_connected_f32", "softmax_f32"), want) == BOUND_ULPS * float(np.spacing(np.float32(0.5)))


def test_agreement_is_exact_without_a_tolerance_and_bounded_with_one():
    want = np.array([0.25, 0.5, 0.125], np.float32)
    one_ulp = want.copy()
    one_ulp[1] = np.nextafter(np.float32(0.5), np.float32(1))
    assert agrees(want, want, 0.0)
    assert not agrees(one_ulp, want, 0.0)
    tol = tolerance(_Compiled("tanh_f32"), want)
    assert agrees(one_ulp, want, tol)
    far = want.copy()
    far[0] += np.float32(BOUND_ULPS + 1) * np.spacing(np.float32(0.5))
    assert not agrees(far, want, tol)
    assert not agrees(np.array([np.nan, 0.5, 0.125], np.float32), want, tol)


def test_a_float_lstm_widens_the_bound_for_its_recurrence():
    from codegen.verify.float_bound import RECURRENT_BOUND_ULPS, bound_ulps, ulps_of
    want = np.array([0.25, 0.5, 0.125], np.float32)
    assert bound_ulps(_Compiled("fully_connected_f32")) == 0
    assert bound_ulps(_Compiled("softmax_f32")) == BOUND_ULPS
    lstm = _Compiled("unidirectional_sequence_lstm_f32", "softmax_f32")
    assert bound_ulps(lstm) == RECURRENT_BOUND_ULPS
    assert ulps_of(tolerance(lstm, want), want) == RECURRENT_BOUND_ULPS
    near = want.copy()
    near[2] += np.float32(RECURRENT_BOUND_ULPS - 1) * np.spacing(np.float32(0.5))
    assert agrees(near, want, tolerance(lstm, want)) and not agrees(near, want, tolerance(_Compiled("tanh_f32"), want))
