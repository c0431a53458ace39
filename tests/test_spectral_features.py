"""The float recipe families against the tf.signal ops their models were trained with.

MFCC (MLPerf Tiny KWS DS-CNN, 49 x 10) and FFT-magnitude spectrograms (TFLM
micro_speech_lstm, 49 x 257): TensorFlow computes in float32 with its own
FFT, we compute in float64, so the float values must agree within a stated
tolerance, and the int8 tensors (quantized with the model's input scale and
zero point) must be identical on the test clips.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.errors import TinyforgeError
from codegen.features import compute_features, float_features, get_recipe, tf_reference
from codegen.model.tflite_model import load_model
from codegen.wav import read_wav

from test_microfrontend import synthesized_clips

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHARED_CLIPS = ["yes_1000ms", "no_1000ms", "noise_1000ms", "silence_1000ms"]
# float32 against float64: |ours - tf| <= ATOL + RTOL * |tf|. The spectrogram agrees to float32
# rounding. MFCCs of pure tones and DC carry the log of mel bands that hold only FFT rounding
# noise (~1e-7 of full scale), where float32 and float64 differ by up to ~0.015: the MFCC
# tolerance 0.03 is 1/20 of the DS-CNN's input quantization step (0.585).
TOLERANCE = {"mlperf_tiny_mfcc": (3e-2, 1e-4), "stft_magnitude_257": (2e-5, 1e-4)}
MODELS = {"mlperf_tiny_mfcc": "kws_ref_model", "stft_magnitude_257": "micro_speech_lstm"}


def _reference(samples, recipe):
    params = dict(recipe.frontend)
    if recipe.family == "mfcc":
        return tf_reference.mfcc(samples, recipe.sample_rate, params)
    return tf_reference.stft_magnitude(samples, params)


def _test_clips():
    clips = {p.stem: read_wav(p) for p in sorted((ROOT / "models" / "demo").glob("*.wav"))}
    if (SHARED / "audio").is_dir():
        clips.update({c: read_wav(SHARED / "audio" / f"{c}.wav") for c in SHARED_CLIPS})
    return clips


@pytest.mark.parametrize("name", list(TOLERANCE))
def test_float_values_within_tolerance_of_tf_signal(name, capsys):
    recipe = get_recipe(name)
    atol, rtol = TOLERANCE[name]
    clips = list(_test_clips().values()) + [c for c in synthesized_clips()[::4] if c.max() > 0]
    worst = 0.0
    for clip in clips:
        ours, theirs = float_features(clip, recipe), _reference(clip, recipe)
        assert ours.shape == theirs.shape == recipe.output_shape
        excess = np.abs(ours - theirs) - (atol + rtol * np.abs(theirs))
        assert excess.max() <= 0, f"{name}: off by {np.abs(ours - theirs).max()}"
        worst = max(worst, float(np.abs(ours - theirs).max()))
    with capsys.disabled():
        print(f"\n  {name} vs tf.signal: {len(clips)} clips within |d| <= {atol} + {rtol}|x| "
              f"(largest |d| {worst:.2e})", end="")


@pytest.mark.parametrize("name", list(TOLERANCE))
def test_int8_identical_after_quantization(name):
    model_path = SHARED / "models" / f"{MODELS[name]}.tflite"
    if not model_path.is_file():
        pytest.skip("../shared models absent")
    model = load_model(model_path)
    t = model.tensors[model.inputs[0]]
    recipe = get_recipe(name)
    from codegen.features.spectral import quantize_to_input
    for clip_name, clip in _test_clips().items():
        ours = compute_features(clip, recipe, (t.scale, t.zero_point))
        theirs = quantize_to_input(_reference(clip, recipe), t.scale, t.zero_point)
        assert ours.tobytes() == theirs.tobytes(), clip_name


@pytest.mark.skipif(not (SHARED / "models").is_dir(), reason="../shared models absent")
def test_float_recipes_classify_the_shared_clips():
    # the recipe is the one these models were trained on: their reference outputs name the clips
    from codegen.verify.reference import reference_outputs
    for name, model_name, want in [("mlperf_tiny_mfcc", "kws_ref_model",
                                    {"yes_1000ms": 9, "silence_1000ms": 10, "noise_1000ms": 11}),
                                   ("stft_magnitude_257", "micro_speech_lstm", {"yes_1000ms": 0, "no_1000ms": 1})]:
        model = load_model(SHARED / "models" / f"{model_name}.tflite")
        t = model.tensors[model.inputs[0]]
        clips = {c: read_wav(SHARED / "audio" / f"{c}.wav") for c in want}
        inputs = [[compute_features(c, get_recipe(name), (t.scale, t.zero_point)).reshape(t.shape)]
                  for c in clips.values()]
        outputs = reference_outputs(model.path, inputs)
        assert {c: int(np.argmax(o[0])) for c, o in zip(clips, outputs)} == want


def test_float_recipe_needs_the_model():
    with pytest.raises(TinyforgeError, match="needs the model"):
        compute_features(np.zeros(16000, np.int16) + 1, "mlperf_tiny_mfcc")
