"""The streaming application end to end: ``scons board=bluepill test app=stream``
on a 10 s stream of keywords at known times, with TFLM's micro_speech model.

The stream: low background noise throughout; TFLM's "yes" and "no" clips, an
espeak-ng "no" and "yes", and TFLM's noise clip, each at a known time. Every
keyword must be detected exactly once, between its start and one second after
its end, and nothing else may be detected. The firmware's every inference must
also equal the same pipeline run on the host (our frontend over the whole
stream, TFLite's reference kernels, the Python recognizer).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.features import get_recipe
from codegen.features.recognizer import RECOGNIZER_DEFAULTS, recognizer_settings
from codegen.verify.stream_host import Recognizer, near_misses, simulate_stream
from codegen.verify.streaming import split_spans
from codegen.errors import TinyforgeError
from codegen.wav import read_wav, write_wav
from codegen.paths import build_root

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MODEL = SHARED / "models" / "micro_speech_quantized.tflite"
LABELS = ["silence", "unknown", "yes", "no"]
RATE = 16000
SCONS = Path(sys.executable).with_name("scons")

# (word, source, start in seconds): "shared" = TFLM's clip, else an espeak-ng voice
PLAN = [("yes", "shared", 0.4), ("no", "en-029", 2.6), ("no", "shared", 4.7), ("yes", "en-us+f2", 6.9),
        ("noise", "shared", 8.7)]
KEYWORDS = {"yes", "no"}


def make_stream(path: Path) -> list[tuple[str, float, float]]:
    """Write the 10 s stream; returns (word, start s, end s) of every item placed."""
    sys.path.insert(0, str(ROOT / "models"))
    import synth_dataset as synth
    rng = np.random.default_rng(5)
    stream = rng.normal(0, 40, 10 * RATE)
    placed = []
    for word, source, start in PLAN:
        if source == "shared":
            x = read_wav(SHARED / "audio" / f"{word}_1000ms.wav").astype(float)
        else:
            x = synth.speak(word, source, 150, 50, 100)
        i = int(start * RATE)
        stream[i:i + len(x)] += x
        placed.append((word, start, start + len(x) / RATE))
    write_wav(path, np.clip(stream, -32768, 32767).astype(np.int16))
    return placed


def check_detections(detections: list[dict], placed: list[tuple[str, float, float]]) -> None:
    keywords = [p for p in placed if p[0] in KEYWORDS]
    matched = []
    for word, start, end in keywords:
        hits = [d for d in detections if d["label"] == word and start * 1000 <= d["time_ms"] <= (end + 1) * 1000]
        assert len(hits) == 1, f"{word} at {start:.2f}-{end:.2f} s: detections {detections}"
        matched.append(hits[0])
    assert len(detections) == len(matched), f"unexpected detections: {[d for d in detections if d not in matched]}"


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    if not MODEL.is_file():
        pytest.skip("../shared reference models absent")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (scripts/bootstrap installs it)")
    path = tmp_path_factory.mktemp("stream") / "keywords_10s.wav"
    return path, make_stream(path)


def test_host_pipeline_detects_every_keyword_once(stream):
    path, placed = stream
    _, detections, _ = simulate_stream(MODEL, get_recipe("micro_speech"), read_wav(path), LABELS,
                                       RECOGNIZER_DEFAULTS)
    check_detections(detections, placed)


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
def test_stream_on_bluepill(stream, capsys):
    path, placed = stream
    proc = subprocess.run([str(SCONS), "-Q", "board=bluepill", "test", "app=stream", f"model={MODEL}",
                           f"stream={path}"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out_dir = build_root() / "bluepill" / "micro_speech_quantized-stream"
    detections = json.loads((out_dir / "detections.json").read_text())
    check_detections(detections, placed)
    assert all(set(d) == {"label", "time_ms"} for d in detections)
    for d in detections:
        assert f"{d['time_ms'] / 1000:8.2f} s  {d['label']}" in proc.stdout

    run = json.loads((out_dir / "stream.json").read_text())
    inferences, host_detections, hops = simulate_stream(MODEL, get_recipe("micro_speech"), read_wav(path), LABELS,
                                                        RECOGNIZER_DEFAULTS)
    assert run["hops"] == hops == 500
    assert [(i["hop"], i["time_ms"], i["scores"]) for i in run["inferences"]] == \
        [(h, t, s.tolist()) for h, t, s in inferences]
    assert [{"label": d["label"], "time_ms": d["time_ms"]} for d in host_detections] == detections
    cost = run["cost"]
    assert len(run["frontend_spans"]) == 500 and len(run["model_spans"]) == len(inferences)
    with capsys.disabled():
        print(f"\n  stream on bluepill: {len(detections)} detections {detections}; frontend "
              f"{cost['frontend_instructions_per_hop_max']:,} instr/hop, model "
              f"{cost['model_instructions_per_inference_max']:,} instr/inference, "
              f"real-time margin {cost['real_time_margin']}x at 72 MHz", end="")


# --- recognizer rules -------------------------------------------------------------

def _scores(yes: int) -> np.ndarray:
    return np.array([-128, -128, yes - 128, 127 - yes], np.int8)


def test_recognizer_waits_for_minimum_count_and_threshold():
    r = Recognizer(LABELS, RECOGNIZER_DEFAULTS, capacity=12)
    assert r.process(_scores(255), 0) is None            # one result
    assert r.process(_scores(255), 100) is None          # two
    assert r.process(_scores(255), 200) == ("yes", 255)  # three: minimum_count reached
    assert r.process(_scores(255), 300) is None          # suppressed


def test_recognizer_suppression_and_window():
    settings = dict(RECOGNIZER_DEFAULTS, minimum_count=1)
    r = Recognizer(LABELS, settings, capacity=12)
    assert r.process(_scores(250), 0) == ("yes", 250)
    assert r.process(_scores(250), 1500) is None           # exactly suppression_ms later: still suppressed
    assert r.process(_scores(250), 1600) == ("yes", 250)
    r = Recognizer(LABELS, settings, capacity=12)
    assert r.process(_scores(100), 0) is None               # "no" (155) tops it, but below 185
    # the old result drops out of the 1000 ms window: only the new one is averaged
    assert r.process(_scores(200), 1001) == ("yes", 200)


def test_recognizer_never_reports_background():
    r = Recognizer(LABELS, dict(RECOGNIZER_DEFAULTS, minimum_count=1), capacity=12)
    assert r.process(np.array([127, -128, -128, -128], np.int8), 0) is None


def test_near_misses_are_keyword_peaks_under_the_threshold():
    settings = dict(RECOGNIZER_DEFAULTS, minimum_count=1)
    # "yes" rises to 175 (under 185) and falls; later "no" leads weakly (scores 60: under half the
    # threshold, background noise); then "yes" passes the threshold: a detection, not a near miss.
    yes = [140, 160, 175, 150]
    inferences = [(k, 100 * k, _scores(v).tolist()) for k, v in enumerate(yes)]
    inferences += [(10 + k, 2000 + 100 * k, [-128, -128, -128, -68]) for k in range(12)]
    inferences += [(30 + k, 4000 + 100 * k, _scores(250).tolist()) for k in range(12)]
    misses = near_misses(inferences, LABELS, settings, capacity=12)
    # the averages over the window: 140, 150, (140+160+175)/3 = 158, then 156
    assert misses == [{"label": "yes", "time_ms": 200, "peak_average": 158, "threshold": 185}]


def test_recognizer_settings_overrides():
    assert recognizer_settings({"suppression_ms": "800", "minimum_count": None}) == \
        dict(RECOGNIZER_DEFAULTS, suppression_ms=800)
    with pytest.raises(TinyforgeError, match="detection_threshold=high: expected a whole number"):
        recognizer_settings({"detection_threshold": "high"})


def test_split_spans_follows_the_firmware_schedule():
    assert split_spans([1, 2, 3, 4, 5], 3, [1, 2]) == ([1, 2, 4], [3, 5])
    with pytest.raises(TinyforgeError, match="fewer than"):
        split_spans([1, 2], 3, [1])
