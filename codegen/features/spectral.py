"""Float feature families, as the tf.signal ops their models were trained with compute them:

- ``stft_magnitude``: |STFT| with a periodic Hann window (tf.signal.stft + tf.abs), the
  input of TFLM's micro_speech_lstm model (49 x 257);
- ``mfcc``: |STFT| -> mel filterbank (tf.signal.linear_to_mel_weight_matrix, HTK mel
  scale, DC band zeroed) -> log(x + offset) -> DCT-II scaled by 1/sqrt(2N)
  (tf.signal.mfccs_from_log_mel_spectrograms), the first N coefficients: MLPerf
  Tiny's keyword-spotting DS-CNN input (49 x 10).

TensorFlow computes these in float32 with its own FFT; numpy here computes in
float64 and returns float32, so values agree within a tolerance (the tests
state it), and the int8 the model sees (quantized with the model's own input
scale and zero point) is identical on the test clips.
"""
from __future__ import annotations

import numpy as np


def _normalize(samples: np.ndarray, how: str) -> np.ndarray:
    x = np.asarray(samples, np.int16).astype(np.float64)
    if how == "peak":
        # MLPerf Tiny's KWS pipeline divides by reduce_max (the largest sample, not the largest magnitude)
        return x / x.max()
    if how == "int16":
        return x / 32768.0
    raise ValueError(f"unknown normalize '{how}' (known: peak, int16)")


def stft_magnitude(samples: np.ndarray, p) -> np.ndarray:
    x = _normalize(samples, p.get("normalize", "int16"))
    length, step = p["frame_length"], p["frame_step"]
    fft_length = p.get("fft_length") or 1 << (length - 1).bit_length()
    frames = 0 if len(x) < length else 1 + (len(x) - length) // step
    idx = np.arange(frames)[:, None] * step + np.arange(length)[None, :]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)   # hann_window(periodic=True)
    return np.abs(np.fft.rfft(x[idx] * window, n=fft_length)).astype(np.float32)


def _hertz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, np.float64) / 700.0)


def mel_weight_matrix(num_mel_bins: int, num_spectrogram_bins: int, sample_rate: int, lower: float,
                      upper: float) -> np.ndarray:
    """tf.signal.linear_to_mel_weight_matrix: triangles on the HTK mel scale, bin 0 (DC) excluded."""
    linear = np.linspace(0.0, sample_rate / 2, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None]
    edges = np.linspace(_hertz_to_mel(lower), _hertz_to_mel(upper), num_mel_bins + 2)
    lower_mel, center_mel, upper_mel = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower_mel) / (center_mel - lower_mel)
    falling = (upper_mel - bins_mel) / (upper_mel - center_mel)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.concatenate([np.zeros((1, num_mel_bins)), weights], axis=0)


def mfcc(samples: np.ndarray, sample_rate: int, p) -> np.ndarray:
    magnitude = stft_magnitude(samples, p).astype(np.float64)
    weights = mel_weight_matrix(p["num_mel_bins"], magnitude.shape[-1], sample_rate, p["lower_edge_hertz"],
                                p["upper_edge_hertz"])
    log_mel = np.log(magnitude @ weights + p["log_offset"])
    n = p["num_mel_bins"]
    k = np.arange(n)[:, None]
    dct2 = 2.0 * np.cos(np.pi * k * (2 * np.arange(n)[None, :] + 1) / (2 * n))   # unnormalized DCT-II
    return ((log_mel @ dct2.T) / np.sqrt(2.0 * n))[:, :p["num_mfcc"]].astype(np.float32)


def quantize_to_input(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """float -> the model's int8 input: round half away from zero of x / scale, plus the zero point (TFLite QUANTIZE)."""
    v = np.asarray(values, np.float64) / scale
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)
