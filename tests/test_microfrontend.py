"""Our numpy microfrontend against TensorFlow's audio_microfrontend op, byte for byte.

The clips: TFLM's four (../shared), the project's demo clips, espeak-ng words,
tones, chirps, square waves at full scale, noise from inaudible to clipping,
impulses, DC, and lengths that do not fill the last window. Besides the
micro_speech recipe, other window/step/channel/PCAN/log settings are checked:
a recipe is data, so every setting the op accepts must agree, not just one.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.features import frontend_tables, get_recipe, microfrontend, tf_reference
from codegen.wav import read_wav

REPO = Path(__file__).resolve().parent.parent
SHARED_AUDIO = REPO.parent / "shared" / "audio"
RATE = 16000


def _espeak_words(count: int) -> list[np.ndarray]:
    if not shutil.which("espeak-ng"):
        return []
    sys.path.insert(0, str(REPO / "models"))
    import synth_dataset as synth
    words = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "seven", "marvin"]
    voices = ["en-us", "en-gb+f2", "en-us+m3", "en-gb-scotland+klatt"]
    rng = np.random.default_rng(8)
    clips = []
    for n in range(count):
        word = synth.speak(words[n % len(words)], voices[n % len(voices)], rate=150 + 5 * (n % 9),
                           pitch=30 + 7 * (n % 7), amplitude=60 + 20 * (n % 6))
        clips.append(synth.to_int16(synth.place(word, rng)))
    return clips


def synthesized_clips() -> list[np.ndarray]:
    rng = np.random.default_rng(20261121)
    t = np.arange(RATE) / RATE
    clips = [read_wav(p) for p in sorted((REPO / "models" / "demo").glob("*.wav"))]
    clips += _espeak_words(36)
    for f in (50, 125, 440, 1000, 3000, 7000, 7900):
        for amp in (3, 300, 20000, 32767):
            clips.append(np.clip(amp * np.sin(2 * np.pi * f * t + f), -32768, 32767).astype(np.int16))
    for amp in (100, 32767):
        clips.append((amp * np.sin(2 * np.pi * (100 + 3900 * t) * t)).astype(np.int16))           # chirp
        clips.append(np.where(np.sin(2 * np.pi * 330 * t) >= 0, amp, -amp - 1).astype(np.int16))  # square
    for level in (0.5, 2, 10, 100, 1000, 5000, 12000, 30000):
        for _ in range(6):
            clips.append(np.clip(rng.normal(0, level, RATE), -32768, 32767).astype(np.int16))
    for _ in range(60):
        clips.append(rng.integers(-32768, 32768, RATE, dtype=np.int16))
    for _ in range(30):   # bursts of noise in silence: the noise estimate has to catch up and decay
        x = np.zeros(RATE, np.int16)
        start = rng.integers(0, RATE - 2000)
        x[start:start + rng.integers(500, 6000)] = rng.integers(-20000, 20000, 1, dtype=np.int16)
        x[start:] = np.clip(x[start:] + rng.normal(0, 3000, RATE - start), -32768, 32767).astype(np.int16)
        clips.append(x)
    for value in (-32768, -1, 1, 32767):   # DC, including the value whose int16 negation wraps
        clips.append(np.full(RATE, value, np.int16))
    impulses = np.zeros(RATE, np.int16)
    impulses[::997] = -32768
    clips.append(impulses)
    clips.append(np.zeros(RATE, np.int16))
    return clips


@pytest.fixture(scope="module")
def clips():
    return synthesized_clips()


def _compare(batch: list[np.ndarray], params: dict) -> tuple[int, int]:
    tables = microfrontend.build_tables(params, RATE)
    mismatched, frames = 0, 0
    same_length = len({len(c) for c in batch}) == 1
    ours = microfrontend.process(np.stack(batch), tables) if same_length else None
    for i, clip in enumerate(batch):
        got = ours[i] if same_length else microfrontend.process(clip[None, :], tables)[0]
        want = tf_reference.audio_microfrontend(clip, RATE, params)
        assert got.shape == want.shape
        frames += got.shape[0]
        if got.tobytes() != want.tobytes():
            mismatched += 1
    return mismatched, frames


def _report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n  {text}", end="")


@pytest.mark.skipif(not SHARED_AUDIO.is_dir(), reason="../shared reference audio absent")
def test_shared_clips_byte_identical_to_tf_op(capsys):
    recipe = get_recipe("micro_speech")
    batch = [read_wav(SHARED_AUDIO / f"{c}_1000ms.wav") for c in ("yes", "no", "noise", "silence")]
    mismatched, frames = _compare(batch, dict(recipe.frontend))
    _report(capsys, f"microfrontend vs TF op, shared clips: {len(batch) - mismatched}/{len(batch)} "
                    f"clips ({frames} frames) byte-identical")
    assert mismatched == 0


def test_synthesized_clips_byte_identical_to_tf_op(clips, capsys):
    mismatched, frames = _compare(clips, dict(get_recipe("micro_speech").frontend))
    _report(capsys, f"microfrontend vs TF op, micro_speech recipe: {len(clips) - mismatched}/{len(clips)} "
                    f"synthesized and random clips ({frames} frames) byte-identical")
    assert mismatched == 0


OTHER_SETTINGS = [
    dict(window_size=25, window_step=10, num_channels=32),                     # the op's defaults
    dict(window_size=30, window_step=20, num_channels=40, enable_pcan=False),
    dict(window_size=30, window_step=10, num_channels=64, lower_band_limit=20.0, upper_band_limit=7900.0),
    dict(window_size=64, window_step=32, num_channels=20, enable_log=False),  # 1024-point FFT: a radix-2 stage
    dict(window_size=16, window_step=8, num_channels=40, scale_shift=4, out_scale=2, smoothing_bits=8,
         gain_bits=20, pcan_strength=0.8, pcan_offset=40.0, even_smoothing=0.04, odd_smoothing=0.01,
         min_signal_remaining=0.1),
    dict(window_size=8, window_step=4, num_channels=10),                       # 128-point FFT: 4, 4, 4, 2
]


@pytest.mark.parametrize("params", OTHER_SETTINGS, ids=lambda p: f"{p['window_size']}ms-{p['num_channels']}ch")
def test_other_settings_byte_identical_to_tf_op(clips, params, capsys):
    batch = clips[::6]
    mismatched, frames = _compare(batch, params)
    _report(capsys, f"microfrontend vs TF op, {params}: {len(batch) - mismatched}/{len(batch)} clips "
                    f"({frames} frames) byte-identical")
    assert mismatched == 0


def test_odd_lengths_byte_identical_to_tf_op(clips):
    # shorter than one window, exactly one window, and a partial last hop
    params = dict(get_recipe("micro_speech").frontend)
    batch = [clips[-3][:n] for n in (100, 479, 480, 481, 799, 800, 12345)]
    mismatched, _ = _compare(batch, params)
    assert mismatched == 0


def test_log_table_matches_published_values():
    # spot values of kLogLut in tensorflow/lite/experimental/microfrontend/lib/log_lut.c
    lut = microfrontend.log_lut()
    assert len(lut) == 130
    assert list(lut[:6]) == [0, 224, 442, 654, 861, 1063]
    assert lut[57] == 5641 and list(lut[-4:]) == [282, 142, 0, 0]


def test_tables_are_shared_per_recipe():
    recipe = get_recipe("micro_speech")
    t = frontend_tables(recipe)
    assert t is frontend_tables(recipe)
    assert (t.window_samples, t.step_samples, t.fft_size, t.num_channels) == (480, 320, 512, 40)
    assert t.snr_shift == 6 and t.correction_bits == 3
