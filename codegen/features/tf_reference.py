"""The TensorFlow ops our feature code is held to, for tests and benchmarks only:
``compute_features`` never imports TensorFlow."""
from __future__ import annotations

import os

import numpy as np


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # deferred: importing TensorFlow takes seconds
    return tf


def audio_microfrontend(samples: np.ndarray, sample_rate: int, params) -> np.ndarray:
    """uint16 (frames, channels) from tensorflow.lite.experimental.microfrontend's op."""
    tf = _tf()
    from tensorflow.lite.experimental.microfrontend.python.ops import audio_microfrontend_op

    args = dict(params)
    args["out_type"] = tf.dtypes.as_dtype(args.get("out_type", "uint16"))
    return audio_microfrontend_op.audio_microfrontend(
        tf.constant(np.asarray(samples, np.int16)), sample_rate=sample_rate, **args).numpy()


def _normalized(samples: np.ndarray, normalize: str):
    tf = _tf()
    x = tf.constant(np.asarray(samples, np.int16).astype(np.float32))
    if normalize == "peak":            # MLPerf Tiny KWS: wav / reduce_max(wav)
        return x / tf.reduce_max(x)
    return x / 32768.0                 # decode_wav's scaling of 16-bit PCM to [-1, 1)


def stft_magnitude(samples: np.ndarray, params) -> np.ndarray:
    """|tf.signal.stft| (frames, fft_length/2 + 1), float32."""
    tf = _tf()
    x = _normalized(samples, params.get("normalize", "int16"))
    stft = tf.signal.stft(x, frame_length=params["frame_length"], frame_step=params["frame_step"],
                          fft_length=params.get("fft_length"))
    return tf.abs(stft).numpy()


def mfcc(samples: np.ndarray, sample_rate: int, params) -> np.ndarray:
    """MFCCs as MLPerf Tiny's KWS training computes them with tf.signal, (frames, num_mfcc), float32."""
    tf = _tf()
    magnitude = tf.constant(stft_magnitude(samples, params))
    weights = tf.signal.linear_to_mel_weight_matrix(params["num_mel_bins"], magnitude.shape[-1], sample_rate,
                                                    params["lower_edge_hertz"], params["upper_edge_hertz"])
    mel = tf.tensordot(magnitude, weights, 1)
    log_mel = tf.math.log(mel + params["log_offset"])
    return tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :params["num_mfcc"]].numpy()
