"""TensorFlow's audio microfrontend (tensorflow/lite/experimental/microfrontend),
reimplemented in numpy with the library's own integer arithmetic.

Two halves:
- ``build_tables`` turns a recipe's parameters into the integer tables the
  library computes once at start-up (Hann window, filterbank weights, noise
  smoothing factors, PCAN gain lookup table, log table). The library computes
  them in single-precision float, so this does too (numpy float32, double
  where C promotes to double); the integers that come out are what matters.
- ``process`` runs window -> fixed-point FFT -> energy -> mel filterbank ->
  square root -> noise reduction -> PCAN gain control -> log, wrapping to the
  C types' widths where the library stores into them.

The same tables feed the firmware's C port (firmware/audio/), which is why
they are plain integer arrays.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from codegen.features import kissfft

WINDOW_BITS = 12            # kFrontendWindowBits
FILTERBANK_BITS = 12        # kFilterbankBits
FILTERBANK_ALIGNMENT = 2    # kFilterbankIndexAlignment (4 bytes) / sizeof(int16_t)
FILTERBANK_BLOCK = 4        # kFilterbankChannelBlockSize
NOISE_REDUCTION_BITS = 14   # kNoiseReductionBits
PCAN_SNR_BITS = 12          # kPcanSnrBits
PCAN_OUTPUT_BITS = 6        # kPcanOutputBits
WIDE_DYNAMIC_BITS = 32      # kWideDynamicFunctionBits
LOG_SCALE_BITS = 16         # kLogScaleLog2
LOG_SEGMENTS_BITS = 7       # kLogSegmentsLog2
LOG_COEFF = 45426           # round(2^16 * ln 2)

# The audio_microfrontend op's attributes and their defaults (audio_microfrontend_op.cc).
OP_DEFAULTS = dict(window_size=25, window_step=10, num_channels=32, upper_band_limit=7500.0,
                   lower_band_limit=125.0, smoothing_bits=10, even_smoothing=0.025, odd_smoothing=0.06,
                   min_signal_remaining=0.05, enable_pcan=True, pcan_strength=0.95, pcan_offset=80.0,
                   gain_bits=21, enable_log=True, scale_shift=6, left_context=0, right_context=0,
                   frame_stride=1, zero_padding=False, out_scale=1, out_type="uint16")
U32 = np.uint64(0xFFFFFFFF)
f32 = np.float32


def log_lut() -> np.ndarray:
    """kLogLut: log2(1 + i/128) - i/128 in Q16, 128 segments plus the end point and one pad."""
    i = np.arange(129)
    values = np.floor(65536 * (np.log2(1 + i / 128) - i / 128) + 0.5).astype(np.int64)
    return np.concatenate([values, [0]]).astype(np.uint16)


def msb32(x: np.ndarray) -> np.ndarray:
    """MostSignificantBit32: bits needed to hold x (0 for 0); exact for x < 2^32 via float64."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, np.frexp(x)[1], 0).astype(np.int64)


def _freq_to_mel(freq) -> np.float32:
    # float FreqToMel(float freq) { return 1127.0 * log1p(freq / 700.0); }: double inside, float out
    return f32(1127.0 * math.log1p(float(f32(freq)) / 700.0))


@dataclass(frozen=True)
class FrontendTables:
    sample_rate: int
    window_samples: int
    step_samples: int
    num_channels: int
    window: np.ndarray                  # int16 Hann window in Q12
    fft_size: int
    start_index: int                    # first FFT bin the filterbank reads
    end_index: int                      # one past the last
    channel_frequency_starts: np.ndarray  # per channel + 1 (int16)
    channel_weight_starts: np.ndarray
    channel_widths: np.ndarray
    weights: np.ndarray                 # int16, Q12
    unweights: np.ndarray
    smoothing_bits: int
    even_smoothing: int                 # Q14
    odd_smoothing: int
    min_signal_remaining: int
    enable_pcan: bool
    snr_shift: int
    gain_lut: np.ndarray                # int16, kWideDynamicFunctionLUTSize entries
    enable_log: bool
    scale_shift: int
    correction_bits: int
    out_scale: int
    log_lut: np.ndarray = field(default_factory=log_lut)

    @property
    def spectrum_size(self) -> int:
        return self.fft_size // 2 + 1

    def num_frames(self, num_samples: int) -> int:
        return 0 if num_samples < self.window_samples else 1 + (num_samples - self.window_samples) // self.step_samples


def _filterbank(num_channels: int, lower: float, upper: float, sample_rate: int, spectrum_size: int) -> dict:
    """FilterbankPopulateState, float for float."""
    n = num_channels + 1
    mel_low, mel_hi = _freq_to_mel(lower), _freq_to_mel(upper)
    mel_spacing = f32(f32(mel_hi - mel_low) / f32(num_channels + 1))
    center = [f32(mel_low + f32(mel_spacing * f32(i + 1))) for i in range(n)]
    hz_per_sbin = f32(0.5 * sample_rate / float(f32(spectrum_size) - f32(1)))
    start_index = int(1.5 + float(f32(f32(lower) / hz_per_sbin)))

    freq_starts, weight_starts, widths = [0] * n, [0] * n, [0] * n
    actual_starts, actual_widths = [0] * n, [0] * n
    chan_start, weight_index, needs_zeros = start_index, 0, False
    for chan in range(n):
        freq = chan_start
        while _freq_to_mel(f32(f32(freq) * hz_per_sbin)) <= center[chan]:
            freq += 1
        width = freq - chan_start
        actual_starts[chan], actual_widths[chan] = chan_start, width
        if width == 0:
            # an empty channel multiplies one block of zero weights kept at the front
            freq_starts[chan], weight_starts[chan], widths[chan] = 0, 0, FILTERBANK_BLOCK
            if not needs_zeros:
                needs_zeros = True
                for j in range(chan):
                    weight_starts[j] += FILTERBANK_BLOCK
                weight_index += FILTERBANK_BLOCK
        else:
            aligned_start = chan_start // FILTERBANK_ALIGNMENT * FILTERBANK_ALIGNMENT
            aligned_width = chan_start - aligned_start + width
            padded = ((aligned_width - 1) // FILTERBANK_BLOCK + 1) * FILTERBANK_BLOCK
            freq_starts[chan], weight_starts[chan], widths[chan] = aligned_start, weight_index, padded
            weight_index += padded
        chan_start = freq

    weights = np.zeros(weight_index, np.int64)
    unweights = np.zeros(weight_index, np.int64)
    end_index = 0
    for chan in range(n):
        freq = actual_starts[chan]
        offset = freq - freq_starts[chan]
        denom = mel_low if chan == 0 else center[chan - 1]
        for j in range(actual_widths[chan]):
            w = f32(f32(center[chan] - _freq_to_mel(f32(f32(freq) * hz_per_sbin))) / f32(center[chan] - denom))
            weights[weight_starts[chan] + offset + j] = math.floor(float(f32(w * f32(1 << FILTERBANK_BITS))) + 0.5)
            unweights[weight_starts[chan] + offset + j] = math.floor(
                float(f32(f32(f32(1) - w) * f32(1 << FILTERBANK_BITS))) + 0.5)
            freq += 1
        end_index = max(end_index, freq)
    if end_index >= spectrum_size:
        raise ValueError(f"filterbank reaches FFT bin {end_index}, the spectrum has {spectrum_size}")
    return dict(start_index=start_index, end_index=end_index,
                channel_frequency_starts=np.array(freq_starts, np.int16),
                channel_weight_starts=np.array(weight_starts, np.int16),
                channel_widths=np.array(widths, np.int16),
                weights=weights.astype(np.int16), unweights=unweights.astype(np.int16))


def _pcan_gain(x: int, input_bits: int, gain_bits: int, offset: float, strength: float) -> int:
    # PcanGainLookupFunction, in float: 2^gain_bits * (x / 2^input_bits + offset)^-strength
    x_as_float = f32(f32(x) / f32(1 << input_bits))
    gain = f32(f32(1 << gain_bits) * np.power(f32(x_as_float + f32(offset)), f32(-f32(strength))))
    if gain > 32767:
        return 32767
    return int(f32(gain + f32(0.5)))


def _gain_lut(gain_bits: int, offset: float, strength: float, input_bits: int) -> np.ndarray:
    """PcanGainControlPopulateState: per octave of the noise estimate, y0 and the two
    coefficients of the quadratic through (x0, x0*1.5, 2*x0)."""
    lut = np.zeros(4 * WIDE_DYNAMIC_BITS - 3, np.int64)
    lut[0] = _pcan_gain(0, input_bits, gain_bits, offset, strength)
    lut[1] = _pcan_gain(1, input_bits, gain_bits, offset, strength)
    for interval in range(2, WIDE_DYNAMIC_BITS + 1):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == WIDE_DYNAMIC_BITS else 2 * x0
        y0, y1, y2 = (_pcan_gain(x, input_bits, gain_bits, offset, strength) for x in (x0, x1, x2))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        a2 = (y2 - y0) - a1
        base = 4 * interval - 6
        lut[base:base + 3] = kissfft.wrap16(np.array([y0, a1, a2]))
    return lut.astype(np.int16)


def build_tables(params, sample_rate: int) -> FrontendTables:
    """The microfrontend's integer state for one parameter set (the op's attribute names)."""
    p = dict(OP_DEFAULTS)
    unknown = set(params) - set(OP_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown microfrontend parameters: {', '.join(sorted(unknown))}")
    p.update(params)
    if (p["left_context"], p["right_context"], p["frame_stride"], p["zero_padding"]) != (0, 0, 1, False):
        raise ValueError("frame stacking (left_context, right_context, frame_stride, zero_padding) is not supported")
    window_samples = p["window_size"] * sample_rate // 1000
    step_samples = p["window_step"] * sample_rate // 1000
    arg = float(f32(math.pi * 2.0 / float(f32(window_samples))))   # const float arg
    window = np.array([math.floor(float(f32(0.5 - 0.5 * math.cos(arg * (i + 0.5)))) * (1 << WINDOW_BITS) + 0.5)
                       for i in range(window_samples)], np.int16)
    fft_size = 1
    while fft_size < window_samples:
        fft_size <<= 1
    fb = _filterbank(p["num_channels"], p["lower_band_limit"], p["upper_band_limit"], sample_rate, fft_size // 2 + 1)
    # MostSignificantBit32(fft_size) - 1 - kFilterbankBits/2: the FFT's own 1/N scaling undone in log2
    correction_bits = fft_size.bit_length() - 1 - FILTERBANK_BITS // 2
    smoothing_bits = p["smoothing_bits"]
    q14 = f32(1 << NOISE_REDUCTION_BITS)
    return FrontendTables(
        sample_rate=sample_rate, window_samples=window_samples, step_samples=step_samples,
        num_channels=p["num_channels"], window=window, fft_size=fft_size, **fb,
        smoothing_bits=smoothing_bits,
        even_smoothing=int(f32(f32(p["even_smoothing"]) * q14)),
        odd_smoothing=int(f32(f32(p["odd_smoothing"]) * q14)),
        min_signal_remaining=int(f32(f32(p["min_signal_remaining"]) * q14)),
        enable_pcan=bool(p["enable_pcan"]),
        snr_shift=p["gain_bits"] - correction_bits - PCAN_SNR_BITS,
        gain_lut=_gain_lut(p["gain_bits"], p["pcan_offset"], p["pcan_strength"], smoothing_bits - correction_bits),
        enable_log=bool(p["enable_log"]), scale_shift=p["scale_shift"], correction_bits=correction_bits,
        out_scale=p["out_scale"])


# --- processing ----------------------------------------------------------------

def _sqrt_rounded(x: np.ndarray) -> np.ndarray:
    """Sqrt64: floor square root, plus one when the remainder exceeds the root, except
    at the width's top value (0xFFFF below 2^32, where Sqrt32 is used, else 0xFFFFFFFF)."""
    x = np.asarray(x, np.uint64)
    root = np.zeros(x.shape, np.uint64)
    small = x < np.uint64(1 << 62)
    r = np.floor(np.sqrt(x[small].astype(np.float64))).astype(np.uint64)
    for _ in range(2):  # float sqrt is within one of the integer root below 2^62
        r = np.where(r * r > x[small], r - np.uint64(1), r)
        r = np.where((r + np.uint64(1)) * (r + np.uint64(1)) <= x[small], r + np.uint64(1), r)
    root[small] = r
    for idx in zip(*np.nonzero(~small)):
        root[idx] = math.isqrt(int(x[idx]))
    remainder = x - root * root
    top = np.where(x >> np.uint64(32) == 0, np.uint64(0xFFFF), np.uint64(0xFFFFFFFF))
    return np.where((remainder > root) & (root != top), root + np.uint64(1), root)


def _filterbank_matrices(t: FrontendTables) -> tuple[np.ndarray, np.ndarray]:
    """Dense (channels+1, spectrum) weight and unweight matrices equivalent to the padded tables."""
    w = np.zeros((t.num_channels + 1, t.spectrum_size), np.uint64)
    u = np.zeros_like(w)
    for chan in range(t.num_channels + 1):
        start, ws, width = (int(a[chan]) for a in (t.channel_frequency_starts, t.channel_weight_starts,
                                                  t.channel_widths))
        w[chan, start:start + width] = t.weights[ws:ws + width].astype(np.int64).astype(np.uint64)
        u[chan, start:start + width] = t.unweights[ws:ws + width].astype(np.int64).astype(np.uint64)
    return w, u


def _wide_dynamic_function(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """PCAN gain for noise estimate x (uint32) from the piecewise-quadratic table."""
    x = x.astype(np.int64)
    lut = lut.astype(np.int64)
    interval = msb32(x)
    base = np.maximum(4 * interval - 6, 0)
    frac = np.where(interval < 11, x << np.maximum(11 - interval, 0), x >> np.maximum(interval - 11, 0)) & 0x3FF
    result = (lut[base + 2] * frac) >> 5
    result = result + lut[base + 1] * 32
    result = ((result * frac) + 2**31) % 2**32 - 2**31          # int32 product
    result = (((result + (1 << 14)) + 2**31) % 2**32 - 2**31) >> 15
    result = kissfft.wrap16(result + lut[base])
    small = x <= 2
    result = np.where(small, lut[np.minimum(x, 2)], result)
    return (result % 2**32).astype(np.uint64)                    # int16 -> uint32


def _log(x: np.ndarray, scale_shift: int, lut: np.ndarray) -> np.ndarray:
    integer = msb32(x) - 1
    frac = x.astype(np.int64) - (np.int64(1) << integer)
    frac = np.where(integer < LOG_SCALE_BITS, frac << np.maximum(LOG_SCALE_BITS - integer, 0),
                    frac >> np.maximum(integer - LOG_SCALE_BITS, 0))
    base_seg = frac >> (LOG_SCALE_BITS - LOG_SEGMENTS_BITS)
    c0 = lut[base_seg].astype(np.int64)
    c1 = lut[base_seg + 1].astype(np.int64)
    rel_pos = ((c1 - c0) * (frac - base_seg * (1 << (LOG_SCALE_BITS - LOG_SEGMENTS_BITS)))) >> LOG_SCALE_BITS
    log2 = ((integer << LOG_SCALE_BITS) + frac + c0 + rel_pos) & 0xFFFFFFFF
    half = 1 << (LOG_SCALE_BITS - 1)
    loge = ((LOG_COEFF * log2 + half) >> LOG_SCALE_BITS) & 0xFFFFFFFF
    return ((((loge << scale_shift) & 0xFFFFFFFF) + half) & 0xFFFFFFFF) >> LOG_SCALE_BITS


def process(clips: np.ndarray, t: FrontendTables) -> np.ndarray:
    """uint16 features (clips, frames, channels) of int16 audio (clips, samples), each clip
    from a fresh state, as audio_microfrontend(out_type=uint16) computes them."""
    clips = np.atleast_2d(np.asarray(clips, np.int16))
    num_clips, num_samples = clips.shape
    frames = t.num_frames(num_samples)
    if frames == 0:
        return np.zeros((num_clips, 0, t.num_channels), np.uint16)
    idx = np.arange(frames)[:, None] * t.step_samples + np.arange(t.window_samples)[None, :]
    x = clips[:, idx].astype(np.int64).reshape(num_clips * frames, t.window_samples)

    windowed = kissfft.wrap16((x * t.window.astype(np.int64)) >> WINDOW_BITS)
    magnitude = np.where(windowed < 0, kissfft.wrap16(-windowed), windowed)   # int16 negate: -32768 stays
    input_shift = 15 - msb32(magnitude.max(axis=1))
    fft_in = kissfft.wrap16(windowed << input_shift[:, None])
    re, im = kissfft.rfft_int16(fft_in, t.fft_size)

    energy = np.zeros((re.shape[0], t.spectrum_size), np.uint64)
    sl = slice(t.start_index, t.end_index)
    e32 = (re[:, sl] * re[:, sl] + im[:, sl] * im[:, sl] + 2**31) % 2**32 - 2**31   # int32 holding a uint32
    energy[:, sl] = e32.astype(np.uint64)            # int32 -> uint64 sign-extends, as the C cast does
    w, u = _filterbank_matrices(t)
    work = energy @ w.T + np.concatenate([np.zeros((energy.shape[0], 1), np.uint64), (energy @ u.T)[:, :-1]], axis=1)
    signal = _sqrt_rounded(work[:, 1:]) >> input_shift[:, None].astype(np.uint64)
    signal = (signal & U32).reshape(num_clips, frames, t.num_channels)

    smoothing = np.where(np.arange(t.num_channels) % 2 == 0, t.even_smoothing, t.odd_smoothing).astype(np.uint64)
    one_minus = np.uint64(1 << NOISE_REDUCTION_BITS) - smoothing
    nr_bits = np.uint64(NOISE_REDUCTION_BITS)
    sbits = np.uint64(t.smoothing_bits)
    estimate = np.zeros((num_clips, t.num_channels), np.uint64)
    out = np.zeros((num_clips, frames, t.num_channels), np.uint64)
    lut = t.log_lut
    for f in range(frames):
        s = signal[:, f]
        scaled = (s << sbits) & U32
        estimate = ((scaled * smoothing + estimate * one_minus) >> nr_bits) & U32
        clipped = np.minimum(estimate, scaled)
        floor = ((s * np.uint64(t.min_signal_remaining)) >> nr_bits) & U32
        s = np.maximum((scaled - clipped) >> sbits, floor)
        if t.enable_pcan:
            gain = _wide_dynamic_function(estimate, t.gain_lut)
            snr = ((s * gain) >> np.uint64(t.snr_shift)) & U32
            s = np.where(snr < (2 << PCAN_SNR_BITS),
                         (snr * snr) >> np.uint64(2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS),
                         ((snr >> np.uint64(PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - np.uint64(1 << PCAN_OUTPUT_BITS)) & U32)
        if t.enable_log:
            if t.correction_bits < 0:
                s = s >> np.uint64(-t.correction_bits)
            else:
                s = (s << np.uint64(t.correction_bits)) & U32
            s = np.where(s > 1, _log(np.maximum(s, 2).astype(np.int64), t.scale_shift, lut).astype(np.uint64), 0)
        out[:, f] = np.minimum(s, 65535)
    return (out // np.uint64(t.out_scale)).astype(np.uint16)
