"""Synthesize a Speech-Commands-style keyword dataset with espeak-ng.

    python models/synth_dataset.py [--out build/dataset] [--seed 1234]

Writes ``<out>/<word>/<voice>_<n>.wav`` (1 s, 16 kHz mono int16), ``<out>/_silence_/``,
``validation_list.txt`` / ``testing_list.txt`` (as in Speech Commands) and
``manifest.csv`` with every clip's label, split and synthesis settings.

Everything is derived from ``--seed`` and the item's name, never from the order
work happens in, so parallel runs give byte-identical files.
Splits are by voice: a voice (base language + variant) lands in exactly one of
train / validation / test, so test accuracy measures voices the model never heard.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import subprocess
import sys
import tempfile
import wave
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from codegen.wav import write_wav  # noqa: E402

RATE = 16000
CLIP = RATE  # 1 s

LABELS = ["silence", "unknown", "yes", "no"]
KEYWORDS = ["yes", "no"]
# No homophones of the keywords ("know", "noh"): they would be label noise, not hard negatives.
UNKNOWN_WORDS = ["up", "down", "left", "right", "on", "off", "stop", "go", "house", "tree",
                 "cat", "bird", "dog", "bed", "wow", "seven", "zero", "happy", "less", "yet",
                 "nose", "yellow", "test", "marvin", "forward", "learn"]

BASE_VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan",
               "en-gb-x-gbcwmd", "en-us-nyc"]
VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "croak", "Alex", "Andy", "Annie", "aunty", "benjamin",
            "david", "ed", "edward", "iven", "john", "linda", "max", "Michael", "paul", "quincy",
            "rob", "robert", "steph", "travis", "victor", "zac", "grandma", "grandpa", "norbert",
            "shelby"]
# Kept out of the dataset entirely so the demo clips are a voice nobody trained on.
DEMO_VARIANTS = ["Andrea", "m8", "belinda", "Mike"]
assert not set(DEMO_VARIANTS) & set(VARIANTS)

# Even grids for training; the demo clips use values between grid points.
RATES = list(range(120, 231, 10))
PITCHES = list(range(20, 91, 10))
AMPLITUDES = list(range(60, 181, 20))

SPLIT_FRACTIONS = {"train": 0.7, "validation": 0.15, "test": 0.15}


def voice_name(base: str, variant: str) -> str:
    return f"{base}+{variant}" if variant else base


def all_voices() -> list[str]:
    return [voice_name(b, v) for b in BASE_VOICES for v in VARIANTS]


def voice_splits(voices: list[str]) -> dict[str, str]:
    """Voice -> split, by rank of a content hash so shares are exact and stable."""
    ranked = sorted(voices, key=lambda v: hashlib.sha256(v.encode()).hexdigest())
    n_train = round(len(ranked) * SPLIT_FRACTIONS["train"])
    n_val = round(len(ranked) * SPLIT_FRACTIONS["validation"])
    return {v: ("train" if i < n_train else "validation" if i < n_train + n_val else "test")
            for i, v in enumerate(ranked)}


def item_rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


# --- audio ------------------------------------------------------------------------

def _lowpass(x: np.ndarray, cutoff: float, taps: int = 101) -> np.ndarray:
    # espeak-ng speaks at 22050 Hz; content between 8 and 11 kHz would fold back
    # into the band the features look at if we just interpolated.
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
    return np.convolve(x, h / h.sum(), mode="same")


def resample(x: np.ndarray, src: int, dst: int = RATE) -> np.ndarray:
    x = x.astype(np.float64)
    if src == dst:
        return x
    if dst < src:
        x = _lowpass(x, 0.45 * dst / src)
    t_out = np.arange(int(len(x) * dst / src)) * (src / dst)
    return np.interp(t_out, np.arange(len(x)), x)


def trim(x: np.ndarray, rel_threshold: float = 0.02) -> np.ndarray:
    """Cut espeak's leading/trailing silence so placement decides where the word is."""
    env = np.abs(x)
    loud = np.flatnonzero(env > rel_threshold * env.max()) if env.max() > 0 else []
    if len(loud) == 0:
        return x[:0]
    pad = int(0.01 * RATE)
    return x[max(0, loud[0] - pad):loud[-1] + pad]


def speak(text: str, voice: str, rate: int, pitch: int, amplitude: int) -> np.ndarray:
    """One espeak-ng utterance as float samples at 16 kHz, silence trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        cmd = ["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-a", str(amplitude),
               "-w", str(out), text]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(f"espeak-ng failed for {' '.join(cmd)}: {done.stderr.strip()}")
        with wave.open(str(out), "rb") as w:
            src = w.getframerate()
            raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return trim(resample(raw, src))


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise of a given colour."""
    if kind == "hum":
        t = np.arange(n) / RATE
        f0 = rng.choice([50.0, 60.0])
        x = sum(rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3))
                for k in range(1, 8))
        x = x + 0.1 * rng.standard_normal(n)
    else:
        white = rng.standard_normal(n)
        if kind == "white":
            x = white
        else:
            spectrum = np.fft.rfft(white)
            f = np.maximum(np.fft.rfftfreq(n, 1 / RATE), 20.0)
            spectrum /= np.sqrt(f) if kind == "pink" else f
            x = np.fft.irfft(spectrum, n)
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-12)


NOISE_KINDS = ["white", "pink", "brown", "hum"]


def place(word: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    clip = np.zeros(CLIP)
    word = word[:CLIP]
    start = int(rng.integers(0, CLIP - len(word) + 1))
    clip[start:start + len(word)] = word
    return clip


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def speech_clip(word: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    peak = rng.uniform(0.08, 0.9) * 32767
    clip = place(word / (np.abs(word).max() + 1e-9) * peak, rng)
    rms = np.sqrt(np.mean(word ** 2)) / (np.abs(word).max() + 1e-9) * peak
    if rng.random() < 0.9:
        snr_db = rng.uniform(5, 35)
        clip += noise(rng.choice(NOISE_KINDS), CLIP, rng) * rms / 10 ** (snr_db / 20)
    return to_int16(clip)


def silence_clip(rng: np.random.Generator) -> np.ndarray:
    # From digital zero to a fairly loud background: "nothing said" must cover both.
    level = 0.0 if rng.random() < 0.05 else 10 ** rng.uniform(0.3, 3.3)
    x = noise(rng.choice(NOISE_KINDS), CLIP, rng) * level
    if rng.random() < 0.3:
        # A slow swell, like a fan or traffic, so silence is not always stationary.
        x *= 1 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.3, 2) * np.arange(CLIP) / RATE)
    return to_int16(x)


# --- dataset ------------------------------------------------------------------------

def plan(seed: int, per_keyword: int, unknown_words_per_voice: int, augment: int,
         silence_count: int) -> list[dict]:
    """Every clip to synthesize, with its settings, decided up front from the seed."""
    voices = all_voices()
    splits = voice_splits(voices)
    items = []
    for voice in voices:
        rng = item_rng(seed, "plan/" + voice)
        words = [(w, i) for w in KEYWORDS for i in range(per_keyword)]
        words += [(w, 0) for w in rng.choice(UNKNOWN_WORDS, unknown_words_per_voice, replace=False)]
        for word, i in words:
            utterance = dict(word=str(word), voice=voice, split=splits[voice],
                             rate=int(rng.choice(RATES)), pitch=int(rng.choice(PITCHES)),
                             amplitude=int(rng.choice(AMPLITUDES)))
            for a in range(augment):
                items.append(dict(utterance, label=word if word in KEYWORDS else "unknown",
                                  name=f"{voice.replace('+', '_')}_{i}_{a}"))
    for i in range(silence_count):
        split = ("train", "train", "train", "train", "validation", "test")[i % 6]
        items.append(dict(word="_silence_", voice="", split=split, rate=0, pitch=0, amplitude=0,
                          label="silence", name=f"silence_{i:04d}"))
    return items


def render(seed: int, items_for_utterance: list[dict]) -> list[np.ndarray]:
    first = items_for_utterance[0]
    if first["label"] == "silence":
        return [silence_clip(item_rng(seed, "silence/" + it["name"])) for it in items_for_utterance]
    word = speak(first["word"], first["voice"], first["rate"], first["pitch"], first["amplitude"])
    if len(word) == 0:
        raise RuntimeError(f"espeak-ng produced silence for {first}")
    return [speech_clip(word, item_rng(seed, f"{it['word']}/{it['name']}")) for it in items_for_utterance]


def build(out: Path, seed: int = 1234, per_keyword: int = 4, unknown_words_per_voice: int = 8,
          augment: int = 3, silence_count: int = 1200, jobs: int = 2) -> list[dict]:
    items = plan(seed, per_keyword, unknown_words_per_voice, augment, silence_count)
    groups: dict[tuple, list[dict]] = {}
    for it in items:
        key = (it["word"], it["name"].rsplit("_", 1)[0]) if it["label"] != "silence" else ("_silence_", it["name"])
        groups.setdefault(key, []).append(it)

    def work(group):
        clips = render(seed, group)
        for it, clip in zip(group, clips):
            path = out / it["word"] / f"{it['name']}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, clip)
            it["path"] = f"{it['word']}/{it['name']}.wav"

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(work, groups.values()))

    fields = ["path", "label", "split", "word", "voice", "rate", "pitch", "amplitude"]
    with open(out / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(items)
    for split, listing in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
        (out / listing).write_text("".join(it["path"] + "\n" for it in items if it["split"] == split))
    return items


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "build" / "dataset")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    items = build(args.out, seed=args.seed, jobs=args.jobs)
    counts: dict[tuple, int] = {}
    for it in items:
        counts[(it["split"], it["label"])] = counts.get((it["split"], it["label"]), 0) + 1
    for split in SPLIT_FRACTIONS:
        print(f"{split:10s} " + "  ".join(f"{lab}={counts.get((split, lab), 0)}" for lab in LABELS))
    print(f"{len(items)} clips in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
