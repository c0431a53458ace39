"""Feature recipes, WAV reading and the ``features`` verb."""
from __future__ import annotations

import json
import struct
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from codegen.__main__ import main
from codegen.errors import TinyforgeError
from codegen.features import compute_features, get_recipe, infer_recipe, recipe_names
from codegen.wav import read_wav, write_wav

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EXPECTED_JSON = SHARED / "expected" / "micro_speech_features_and_outputs.json"
CLIPS = ["yes_1000ms", "no_1000ms", "noise_1000ms", "silence_1000ms"]

needs_shared = pytest.mark.skipif(not EXPECTED_JSON.is_file(), reason="../shared reference data absent")


@pytest.fixture(scope="module")
def expected():
    return json.loads(EXPECTED_JSON.read_text())


# --- recipes -----------------------------------------------------------------

def test_micro_speech_recipe_parameters():
    r = get_recipe("micro_speech")
    assert "micro_speech" in recipe_names()
    assert r.output_shape == (49, 40)
    assert (r.sample_rate, r.clip_samples) == (16000, 16000)
    f = r.frontend
    assert (f["window_size"], f["window_step"], f["num_channels"]) == (30, 20, 40)
    assert (f["lower_band_limit"], f["upper_band_limit"]) == (125.0, 7500.0)
    assert f["enable_pcan"] is True and f["min_signal_remaining"] == 0.05 and f["out_scale"] == 1
    assert dict(r.quantize) == dict(multiplier=256, offset=333, divisor=666,
                                    zero_point=-128, min=-128, max=127)


@needs_shared
def test_recipe_parameters_agree_with_shared_recipe_string(expected):
    text = expected["feature_recipe"]
    f = get_recipe("micro_speech").frontend
    for key in ("sample_rate=16000", f"window_size={f['window_size']}", f"window_step={f['window_step']}",
                f"num_channels={f['num_channels']}", "upper_band_limit=7500", "lower_band_limit=125",
                "enable_pcan=True", "min_signal_remaining=0.05", "out_scale=1", "out_type=uint16",
                "clip(((v*256)+333)//666 - 128, -128, 127)", "49x40"):
        assert key in text


def test_unknown_recipe_name():
    with pytest.raises(TinyforgeError, match="unknown feature recipe 'mfcc99'.*micro_speech"):
        get_recipe("mfcc99")


@pytest.mark.parametrize("shape", [(1, 1960), (1, 49, 40), (1, 49, 40, 1), (49, 40), (1960,)])
def test_infer_recipe_known_shapes(shape):
    assert infer_recipe(shape).name == "micro_speech"


@pytest.mark.parametrize("shape, name", [((1, 49, 10, 1), "mlperf_tiny_mfcc"), ((1, 490), "mlperf_tiny_mfcc"),
                                         ((1, 49, 257), "stft_magnitude_257")])
def test_infer_recipe_float_families(shape, name):
    assert infer_recipe(shape).name == name


@pytest.mark.parametrize("shape", [(1, 49, 11, 1), (1, 40, 49, 1), (1, 49, 258), (1, 1961)])
def test_infer_recipe_unknown_shape(shape):
    shown = "[" + ",".join(map(str, shape)) + "]"
    with pytest.raises(TinyforgeError) as err:
        infer_recipe(shape)
    msg = str(err.value)
    assert shown in msg and "micro_speech" in msg and "recipe=NAME" in msg
    assert "\n" not in msg


def test_infer_recipe_ambiguous():
    base = get_recipe("micro_speech")
    twin = replace(base, name="micro_speech_twin")
    with pytest.raises(TinyforgeError) as err:
        infer_recipe((1, 49, 40, 1), recipes=[base, twin])
    msg = str(err.value)
    assert "[1,49,40,1]" in msg and "micro_speech, micro_speech_twin" in msg and "recipe=NAME" in msg


# --- features ------------------------------------------------------------------

@needs_shared
@pytest.mark.parametrize("clip", CLIPS)
def test_features_byte_identical_to_shared(clip, expected):
    got = compute_features(read_wav(SHARED / "audio" / f"{clip}.wav"), get_recipe("micro_speech"))
    want = np.array(expected["samples"][clip]["features_int8"], dtype=np.int8).reshape(49, 40)
    assert got.dtype == np.int8 and got.shape == (49, 40)
    assert got.tobytes() == want.tobytes()


def test_short_clip_is_padded_long_clip_refused():
    r = get_recipe("micro_speech")
    short = compute_features(np.zeros(8000, np.int16), "micro_speech")
    assert short.shape == (49, 40)
    assert np.array_equal(short, compute_features(np.zeros(16000, np.int16), r))
    with pytest.raises(TinyforgeError, match="16001 samples.*at most 16000"):
        compute_features(np.zeros(16001, np.int16), r)
    with pytest.raises(TinyforgeError, match="int16"):
        compute_features(np.zeros(16000, np.float32), r)


# --- WAV files -------------------------------------------------------------------

def _pcm_wav(path, rate=16000, channels=1, width=2, frames=1600):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\x01" * (frames * channels * width))
    return path


def _float_wav(path):
    samples = struct.pack("<4f", 0.0, 0.5, -0.5, 0.25)
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(samples)) + samples)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def test_wav_round_trip(tmp_path):
    samples = (np.arange(-800, 800) * 40).astype(np.int16)
    write_wav(tmp_path / "a.wav", samples)
    back = read_wav(tmp_path / "a.wav")
    assert back.dtype == np.int16 and np.array_equal(back, samples)


def _bad(kind, tmp_path):
    p = tmp_path / f"{kind}.wav"
    if kind == "8khz":
        return _pcm_wav(p, rate=8000)
    if kind == "stereo":
        return _pcm_wav(p, channels=2)
    if kind == "8bit":
        return _pcm_wav(p, width=1)
    if kind == "float":
        return _float_wav(p)
    if kind == "empty":
        p.write_bytes(b"")
        return p
    if kind == "no_samples":
        return _pcm_wav(p, frames=0)
    if kind == "truncated_header":
        _pcm_wav(p)
        p.write_bytes(p.read_bytes()[:20])
        return p
    if kind == "truncated_data":
        _pcm_wav(p)
        p.write_bytes(p.read_bytes()[:1000])
        return p
    if kind == "not_wav":
        p.write_bytes(b"ID3\x03\x00 this is an mp3, honest" * 4)
        return p
    if kind == "missing":
        return p
    raise AssertionError(kind)


@pytest.mark.parametrize("kind, message", [
    ("8khz", "sample rate 8000 Hz"),
    ("stereo", "2 channels"),
    ("8bit", "8-bit samples"),
    ("float", "32-bit float"),
    ("empty", "file is empty"),
    ("no_samples", "no samples"),
    ("truncated_header", "header is truncated"),
    ("truncated_data", "truncated: header promises 1600 samples, file holds 478"),
    ("not_wav", "not a WAV file"),
    ("missing", "no such file"),
])
def test_wav_errors(tmp_path, kind, message):
    path = _bad(kind, tmp_path)
    with pytest.raises(TinyforgeError) as err:
        read_wav(path)
    msg = str(err.value)
    assert message in msg
    assert str(path) in msg
    if kind != "truncated_data":  # the format is fine there; only the length is wrong
        assert "16 kHz mono 16-bit PCM" in msg
    assert "\n" not in msg


def test_write_wav_refuses_float(tmp_path):
    with pytest.raises(TinyforgeError, match="int16"):
        write_wav(tmp_path / "f.wav", np.zeros(10, np.float32))


# --- CLI -----------------------------------------------------------------------

@pytest.fixture
def clip(tmp_path):
    # A synthetic tone keeps the CLI tests independent of ../shared.
    t = np.arange(16000) / 16000
    samples = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    path = tmp_path / "tone.wav"
    write_wav(path, samples)
    return path, compute_features(samples, "micro_speech")


def test_cli_writes_npy(clip, tmp_path):
    wav, want = clip
    out = tmp_path / "out" / "tone.npy"
    assert main(["features", str(wav), "--recipe", "micro_speech", "-o", str(out)]) == 0
    got = np.load(out)
    assert got.dtype == np.int8 and np.array_equal(got, want)


def test_cli_default_output_next_to_wav(clip):
    wav, want = clip
    assert main(["features", str(wav)]) == 0
    assert np.array_equal(np.load(wav.with_suffix(".npy")), want)


def test_cli_writes_c_array(clip, tmp_path):
    wav, want = clip
    out = tmp_path / "tone_features.c"
    assert main(["features", str(wav), "-o", str(out)]) == 0
    c_text = out.read_text()
    h_text = out.with_suffix(".h").read_text()
    assert "const unsigned char tone_features[] __attribute__((aligned(16))) = {" in c_text
    assert "const unsigned int tone_features_len = 1960;" in c_text
    assert "DO NOT EDIT" in c_text and "tone.wav" in c_text
    import hashlib
    assert hashlib.sha256(wav.read_bytes()).hexdigest() in c_text
    body = c_text.split("= {\n", 1)[1].split("\n};", 1)[0]
    rows = body.split(",\n")
    assert all(len(r.split(", ")) == 12 for r in rows[:-1])
    values = bytes(int(b, 16) for row in rows for b in row.strip().split(", "))
    assert values == want.tobytes()
    assert "#ifndef TONE_FEATURES_H_" in h_text
    assert "extern const unsigned char tone_features[];" in h_text
    assert "extern const unsigned int tone_features_len;" in h_text
    # Deterministic: regenerating gives identical bytes.
    assert main(["features", str(wav), "-o", str(out)]) == 0
    assert out.read_text() == c_text


def test_cli_errors_are_one_line(tmp_path, capsys):
    bad = _pcm_wav(tmp_path / "low.wav", rate=8000)
    assert main(["features", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "sample rate 8000 Hz" in err[-1]
    assert main(["features", str(bad), "-o", str(tmp_path / "x.bin")]) == 2
    assert "must end in .npy, .c or .h" in capsys.readouterr().err
    assert main(["features", str(bad), "--recipe", "nope"]) == 2
    assert "unknown feature recipe 'nope'" in capsys.readouterr().err
