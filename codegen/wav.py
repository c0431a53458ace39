"""16 kHz mono 16-bit PCM WAV files, the only audio format the feature recipes accept.

Anything else is refused with a one-line ``TinyforgeError`` rather than converted:
silently resampling or mixing down would make features differ from what the
firmware computes on the device's microphone stream.
"""
from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError

SAMPLE_RATE = 16000
EXPECTED = "expected 16 kHz mono 16-bit PCM"

# Format tags other than PCM (1) that people commonly hand us; naming them turns
# "unknown format: 3" into something a user can act on.
_FORMAT_NAMES = {
    3: "32-bit float (IEEE) samples",
    6: "A-law samples",
    7: "mu-law samples",
    0x11: "IMA ADPCM samples",
    0x55: "MP3 data",
    0xFFFE: "WAVE_FORMAT_EXTENSIBLE encoding",
}


def _format_tag(path: Path) -> int | None:
    """The fmt chunk's format tag, found by walking RIFF chunks; None if absent."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    pos = 12
    while pos + 8 <= len(raw):
        chunk_id, size = struct.unpack_from("<4sI", raw, pos)
        if chunk_id == b"fmt " and pos + 10 <= len(raw):
            return struct.unpack_from("<H", raw, pos + 8)[0]
        pos += 8 + size + (size & 1)
    return None


def read_wav(path) -> np.ndarray:
    """Samples of a 16 kHz mono 16-bit PCM WAV file as a 1-D int16 array."""
    path = Path(path)
    if not path.is_file():
        raise TinyforgeError(f"{path}: no such file ({EXPECTED} WAV)")
    if path.stat().st_size == 0:
        raise TinyforgeError(f"{path}: file is empty, {EXPECTED} WAV")
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width, nframes = (w.getframerate(), w.getnchannels(),
                                              w.getsampwidth(), w.getnframes())
            problems = []
            if rate != SAMPLE_RATE:
                problems.append(f"sample rate {rate} Hz")
            if channels != 1:
                problems.append(f"{channels} channels")
            if width != 2:
                problems.append(f"{8 * width}-bit samples")
            if problems:
                raise TinyforgeError(f"{path}: {', '.join(problems)}; {EXPECTED} "
                                     f"(convert with e.g. `sox in.wav -r 16000 -c 1 -b 16 out.wav`)")
            data = w.readframes(nframes)
    except wave.Error as exc:
        if str(exc).startswith("unknown format"):
            tag = _format_tag(path)
            what = _FORMAT_NAMES.get(tag, f"format tag {tag}")
            raise TinyforgeError(f"{path}: WAV holds {what}; {EXPECTED}") from None
        raise TinyforgeError(f"{path}: not a WAV file ({exc}); {EXPECTED}") from None
    except EOFError:
        raise TinyforgeError(f"{path}: WAV header is truncated; {EXPECTED}") from None
    if nframes == 0:
        raise TinyforgeError(f"{path}: WAV has no samples; {EXPECTED} audio")
    if len(data) < 2 * nframes:
        raise TinyforgeError(f"{path}: WAV is truncated: header promises {nframes} samples, "
                             f"file holds {len(data) // 2}")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def write_wav(path, samples, rate: int = SAMPLE_RATE) -> None:
    """Write a 1-D integer array as a mono 16-bit PCM WAV file."""
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise TinyforgeError(f"{path}: can only write mono audio, got an array of shape {samples.shape}")
    if samples.dtype != np.int16:
        if samples.dtype.kind not in "iu":
            raise TinyforgeError(f"{path}: samples must be int16, got {samples.dtype}")
        if samples.size and (samples.min() < -32768 or samples.max() > 32767):
            raise TinyforgeError(f"{path}: samples exceed the int16 range")
        samples = samples.astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(samples.astype("<i2").tobytes())
