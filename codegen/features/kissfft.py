"""Fixed-point (int16) real FFT with the arithmetic of kiss_fft built with
``FIXED_POINT=16``, the FFT inside TensorFlow's audio microfrontend.

Every intermediate that kiss_fft stores in an ``int16_t`` is wrapped to 16
bits here at the same point, every product is rounded the way its ``sround``
macro rounds ((x + 2^14) >> 15), and every butterfly divides its inputs by the
radix first (``C_FIXDIV``), so the outputs are the same integers, bit for bit.
The butterflies run over whole numpy arrays (one row per frame), not one
element at a time; the order of operations per element is unchanged, which is
all that integer results depend on.

The same tables (``fft_plan``) are what firmware/audio/ is generated with, so
the C port and this one share their twiddles and input order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SAMP_MAX = 32767


def wrap16(x: np.ndarray) -> np.ndarray:
    """The value an int16_t holds after being assigned ``x`` (two's complement wrap)."""
    return ((x + 32768) & 0xFFFF) - 32768


def _sround(x: np.ndarray) -> np.ndarray:
    return wrap16((x + (1 << 14)) >> 15)


def _fixdiv(x: np.ndarray, k: int) -> np.ndarray:
    # C_FIXDIV: multiply by SAMP_MAX/k in Q15 rather than divide, so 1/k is slightly under 1/k
    return _sround(x * (SAMP_MAX // k))


def _cmul(ar, ai, br, bi):
    return _sround(ar * br - ai * bi), _sround(ar * bi + ai * br)


def _cexp(phase: float) -> tuple[int, int]:
    # kf_cexp for FIXED_POINT: floor(.5 + SAMP_MAX * cos/sin(phase)), in double precision
    return math.floor(0.5 + SAMP_MAX * math.cos(phase)), math.floor(0.5 + SAMP_MAX * math.sin(phase))


def kf_factor(n: int) -> list[tuple[int, int]]:
    """kiss_fft's factorisation: powers of 4 first, then 2, then odd primes; (radix, remaining length) pairs."""
    factors = []
    p = 4
    floor_sqrt = math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = n
        n //= p
        factors.append((p, n))
        if n <= 1:
            return factors


@dataclass(frozen=True)
class FftPlan:
    fft_size: int                 # real FFT length
    factors: tuple                # of the half-length complex FFT, outermost first
    input_order: np.ndarray       # complex FFT output slot k is first loaded from input element input_order[k]
    twiddles: np.ndarray          # (ncfft, 2) int16: e^{-2 pi i k / ncfft}
    super_twiddles: np.ndarray    # (ncfft/2, 2) int16: the real-FFT split's e^{-pi i ((k+1)/ncfft + 1/2)}


@lru_cache(maxsize=None)
def fft_plan(fft_size: int) -> FftPlan:
    if fft_size < 4 or fft_size & (fft_size - 1):
        raise ValueError(f"FFT size {fft_size} is not a power of two >= 4")
    ncfft = fft_size // 2
    factors = kf_factor(ncfft)
    if any(p not in (2, 4) for p, _ in factors):
        raise ValueError(f"FFT size {fft_size}: only radix 2 and 4 butterflies are implemented")
    pi = 3.141592653589793238462643383279502884197169399375105820974944
    twiddles = np.array([_cexp(-2 * pi * i / ncfft) for i in range(ncfft)], dtype=np.int16)
    super_twiddles = np.array([_cexp(-3.14159265358979323846264338327 * ((i + 1) / ncfft + .5))
                               for i in range(ncfft // 2)], dtype=np.int16)

    # kf_work's recursion: output slot q*m + j of a stage is input (offset + q*stride) of its sub-FFT
    order = [0] * ncfft

    def walk(out_offset: int, in_offset: int, stride: int, level: int) -> None:
        p, m = factors[level]
        for q in range(p):
            if m == 1:
                order[out_offset + q] = in_offset + q * stride
            else:
                walk(out_offset + q * m, in_offset + q * stride, stride * p, level + 1)

    walk(0, 0, 1, 0)
    return FftPlan(fft_size, tuple(factors), np.array(order), twiddles, super_twiddles)


def _complex_fft(re: np.ndarray, im: np.ndarray, plan: FftPlan) -> tuple[np.ndarray, np.ndarray]:
    """kiss_fft (forward) on int64 arrays of shape (rows, ncfft) holding int16 values."""
    ncfft = plan.fft_size // 2
    rows = re.shape[0]
    re = re[:, plan.input_order].copy()
    im = im[:, plan.input_order].copy()
    tw_r = plan.twiddles[:, 0].astype(np.int64)
    tw_i = plan.twiddles[:, 1].astype(np.int64)
    # kf_work recombines innermost stages first
    for level in reversed(range(len(plan.factors))):
        p, m = plan.factors[level]
        fstride = ncfft // (p * m)
        k = np.arange(m)
        r = re.reshape(rows, -1, p, m)
        i = im.reshape(rows, -1, p, m)
        if p == 2:
            f0r, f0i = _fixdiv(r[:, :, 0], 2), _fixdiv(i[:, :, 0], 2)
            f1r, f1i = _fixdiv(r[:, :, 1], 2), _fixdiv(i[:, :, 1], 2)
            tr, ti = _cmul(f1r, f1i, tw_r[k * fstride], tw_i[k * fstride])
            r[:, :, 1], i[:, :, 1] = wrap16(f0r - tr), wrap16(f0i - ti)
            r[:, :, 0], i[:, :, 0] = wrap16(f0r + tr), wrap16(f0i + ti)
        else:  # kf_bfly4, forward direction
            f = [(_fixdiv(r[:, :, q], 4), _fixdiv(i[:, :, q], 4)) for q in range(4)]
            s0 = _cmul(*f[1], tw_r[k * fstride], tw_i[k * fstride])
            s1 = _cmul(*f[2], tw_r[2 * k * fstride], tw_i[2 * k * fstride])
            s2 = _cmul(*f[3], tw_r[3 * k * fstride], tw_i[3 * k * fstride])
            s5 = (wrap16(f[0][0] - s1[0]), wrap16(f[0][1] - s1[1]))
            f0 = (wrap16(f[0][0] + s1[0]), wrap16(f[0][1] + s1[1]))
            s3 = (wrap16(s0[0] + s2[0]), wrap16(s0[1] + s2[1]))
            s4 = (wrap16(s0[0] - s2[0]), wrap16(s0[1] - s2[1]))
            r[:, :, 2], i[:, :, 2] = wrap16(f0[0] - s3[0]), wrap16(f0[1] - s3[1])
            r[:, :, 0], i[:, :, 0] = wrap16(f0[0] + s3[0]), wrap16(f0[1] + s3[1])
            r[:, :, 1], i[:, :, 1] = wrap16(s5[0] + s4[1]), wrap16(s5[1] - s4[0])
            r[:, :, 3], i[:, :, 3] = wrap16(s5[0] - s4[1]), wrap16(s5[1] + s4[0])
    return re, im


def rfft_int16(frames: np.ndarray, fft_size: int) -> tuple[np.ndarray, np.ndarray]:
    """kiss_fftr on rows of int16 samples (zero-padded to ``fft_size``): (real, imag), each
    (rows, fft_size/2 + 1) int64 holding int16 values."""
    plan = fft_plan(fft_size)
    ncfft = fft_size // 2
    x = np.zeros((frames.shape[0], fft_size), np.int64)
    x[:, :frames.shape[1]] = frames
    tr, ti = _complex_fft(x[:, 0::2], x[:, 1::2], plan)   # even samples as real, odd as imaginary

    out_r = np.zeros((x.shape[0], ncfft + 1), np.int64)
    out_i = np.zeros_like(out_r)
    dc_r, dc_i = _fixdiv(tr[:, 0], 2), _fixdiv(ti[:, 0], 2)
    out_r[:, 0] = wrap16(dc_r + dc_i)
    out_r[:, ncfft] = wrap16(dc_r - dc_i)

    k = np.arange(1, ncfft // 2 + 1)
    fpk_r, fpk_i = _fixdiv(tr[:, k], 2), _fixdiv(ti[:, k], 2)
    fpnk_r, fpnk_i = _fixdiv(tr[:, ncfft - k], 2), _fixdiv(wrap16(-ti[:, ncfft - k]), 2)
    f1_r, f1_i = wrap16(fpk_r + fpnk_r), wrap16(fpk_i + fpnk_i)
    f2_r, f2_i = wrap16(fpk_r - fpnk_r), wrap16(fpk_i - fpnk_i)
    st = plan.super_twiddles.astype(np.int64)
    tw_r, tw_i = _cmul(f2_r, f2_i, st[k - 1, 0], st[k - 1, 1])
    out_r[:, k], out_i[:, k] = wrap16((f1_r + tw_r) >> 1), wrap16((f1_i + tw_i) >> 1)
    # written after bin k, so at k == ncfft/2 these values are the ones that stay, as in kiss_fftr
    out_r[:, ncfft - k], out_i[:, ncfft - k] = wrap16((f1_r - tw_r) >> 1), wrap16((tw_i - f1_i) >> 1)
    return out_r, out_i
