"""A keyword dataset in the Speech Commands layout, synthesized with Debian's speech engines.

Three engines speak it: espeak-ng (formant synthesis, 8 English base voices x 42
variants), flite (5 voices: diphone kal and kal16, clustergen awb, rms, slt) and
festival (diphone kal and ked, HTS slt). flite and festival have few voices, so
each of their voices is spoken by ``ENGINE_VARIANTS`` pseudo-speakers: a vocal-tract
factor (the waveform resampled by 0.86-1.16, which moves formants and pitch together
as a shorter or longer tract would) and, on flite's diphone voices, a mean F0.

Layout written (the one ``dataset.py`` reads, and TensorFlow's speech_commands):

    DIR/<word>/<voice>_nohash_<n>_<copy>.wav    1 s, 16 kHz mono int16
    DIR/_background_noise_/<kind>.wav           long noise recordings, the source of "silence"
    DIR/validation_list.txt, DIR/testing_list.txt
    DIR/manifest.csv                            every clip's synthesis settings

Everything is derived from the seed and the item's name, never from the order
work happens in, so runs on any number of workers give byte-identical files.
Splits are by voice (base language + variant): a voice lands in exactly one of
train / validation / test, so test accuracy measures voices the model never
heard, and the ``_nohash_`` file names keep TF's hash split voice-pure too.
"""
from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import tempfile
import wave
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError
from codegen.wav import write_wav

RATE = 16000
CLIP = RATE  # 1 s
BACKGROUND_NOISE_DIR = "_background_noise_"

# Speech Commands' vocabulary (v0.02): the other words people are asked to say, so the unknown class
# covers the words a keyword spotter meets. It replaced 26 words with near-rhymes of the keywords
# ("nose", "yet", "yellow", "less", "test"): on real voices, yes recall of a synthesized-only model went
# from 83 % to 94 % (models/README.md, the lever study). No homophones ("know"): they are label noise.
UNKNOWN_WORDS = ("up", "down", "left", "right", "on", "off", "stop", "go", "zero", "one", "two", "three",
                 "four", "five", "six", "seven", "eight", "nine", "bed", "bird", "cat", "dog", "happy",
                 "house", "marvin", "sheila", "tree", "wow", "backward", "forward", "follow", "learn", "visual")

ENGINES = ("espeak-ng", "flite", "festival")
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FLITE_DIPHONE_VOICES = ("kal", "kal16")
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
ENGINE_VARIANTS = 24
ENGINE_PACKAGES = {"espeak-ng": "espeak-ng", "flite": "flite",
                   "festival": "festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"}
ENGINE_COMMANDS = {"espeak-ng": "espeak-ng", "flite": "flite", "festival": "text2wave"}
# A voice's pseudo-speaker grid (flite / festival): tract factor and flite's mean F0 in Hz.
TRACT_FACTORS = tuple(round(0.86 + 0.02 * i, 2) for i in range(16))
F0_MEANS = tuple(range(85, 236, 10))
STRETCHES = tuple(round(0.8 + 0.1 * i, 1) for i in range(7))

BASE_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan",
               "en-gb-x-gbcwmd", "en-us-nyc")
VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "croak", "Alex", "Andy", "Annie", "aunty", "benjamin",
            "david", "ed", "edward", "iven", "john", "linda", "max", "Michael", "paul", "quincy",
            "rob", "robert", "steph", "travis", "victor", "zac", "grandma", "grandpa", "norbert",
            "shelby")
# Kept out of every dataset so demo clips are a voice nobody trained on.
DEMO_VARIANTS = ("Andrea", "m8", "belinda", "Mike")
assert not set(DEMO_VARIANTS) & set(VARIANTS)

# Even grids for training; demo clips use values between grid points.
RATES = tuple(range(120, 231, 10))
PITCHES = tuple(range(20, 91, 10))
AMPLITUDES = tuple(range(60, 181, 20))

SPLIT_FRACTIONS = {"train": 0.7, "validation": 0.15, "test": 0.15}
NOISE_KINDS = ("white", "pink", "brown", "hum")
# Background files: RMS at 10% of full scale, the level of Speech Commands' own
# recordings, so TF's background_volume convention (a fraction of this) carries over.
BACKGROUND_SECONDS = 30
BACKGROUND_RMS = 0.1 * 32767


@dataclass(frozen=True)
class SynthSettings:
    words: tuple[str, ...] = ("yes", "no")
    unknown_words: tuple[str, ...] = UNKNOWN_WORDS
    voices: int = 0                    # 0: every base voice x variant (336)
    per_word: int = 4                  # utterances of each keyword per voice
    unknown_per_voice: int = 8         # unknown words each voice speaks once
    copies: int = 3                    # renderings of each utterance (placement, level, noise)
    seed: int = 1234
    jobs: int = 2
    engines: tuple[str, ...] = ENGINES


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise TinyforgeError(f"--engines: unknown engine '{engine}' (engines: {', '.join(ENGINES)})")
    found = shutil.which(ENGINE_COMMANDS[engine])
    if not found:
        raise TinyforgeError(f"{ENGINE_COMMANDS[engine]} not found: run scripts/bootstrap "
                             f"(Debian: apt-get install {ENGINE_PACKAGES[engine]})")
    return found


def check_espeak() -> str:
    return check_engine("espeak-ng")


def voice_name(base: str, variant: str) -> str:
    return f"{base}+{variant}" if variant else base


def file_stem(voice: str) -> str:
    return voice.replace("+", "_")


def engine_of(voice: str) -> str:
    """espeak-ng voices are plain espeak names; the others are ``flite-<voice>-v<k>`` / ``festival-...``."""
    head = voice.split("-", 1)[0]
    return head if head in ("flite", "festival") else "espeak-ng"


def engine_voices(engine: str) -> list[str]:
    if engine == "espeak-ng":
        return [voice_name(b, v) for b in BASE_VOICES for v in VARIANTS]
    names = FLITE_VOICES if engine == "flite" else FESTIVAL_VOICES
    return [f"{engine}-{name}-v{k}" for name in names for k in range(ENGINE_VARIANTS)]


def all_voices(engines: tuple[str, ...] = ("espeak-ng",)) -> list[str]:
    return [v for e in engines for v in engine_voices(e)]


def _rank(voices: list[str]) -> list[str]:
    return sorted(voices, key=lambda v: hashlib.sha256(v.encode()).hexdigest())


def pick_voices(count: int, engines: tuple[str, ...] = ("espeak-ng",)) -> list[str]:
    """The first ``count`` voices in hash order: a small dataset still mixes engines, bases and variants."""
    ranked = _rank(all_voices(engines))
    return ranked if count <= 0 else ranked[:count]


@dataclass(frozen=True)
class Speaker:
    """How one voice speaks: the engine's voice and the pseudo-speaker's settings (flite/festival)."""
    engine: str
    name: str                 # the engine's own voice name
    tract: float = 1.0        # resampling factor applied to the waveform
    f0: int | None = None     # flite's int_f0_target_mean


def speaker(voice: str, seed: int) -> Speaker:
    engine = engine_of(voice)
    if engine == "espeak-ng":
        return Speaker(engine, voice)
    _, name, _ = voice.split("-", 2)
    rng = item_rng(seed, "speaker/" + voice)
    tract = float(rng.choice(TRACT_FACTORS))
    # Only flite's diphone voices take a target F0; its clustergen voices ignore the setting.
    f0 = int(rng.choice(F0_MEANS)) if name in FLITE_DIPHONE_VOICES and engine == "flite" else None
    if voice.endswith("-v0"):
        tract, f0 = 1.0, None    # variant 0 is the voice as its authors made it
    return Speaker(engine, name, tract, f0)


def voice_splits(voices: list[str]) -> dict[str, str]:
    """Voice -> split, by rank of a content hash so shares are exact and stable."""
    ranked = _rank(voices)
    n_train = round(len(ranked) * SPLIT_FRACTIONS["train"])
    n_val = round(len(ranked) * SPLIT_FRACTIONS["validation"])
    if len(ranked) >= 3:
        # Every split needs at least one voice, however small the dataset.
        n_val = max(n_val, 1)
        n_train = min(n_train, len(ranked) - n_val - 1)
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


def _run_engine(cmd: list[str], out: Path, stdin: str | None = None) -> np.ndarray:
    done = subprocess.run(cmd, capture_output=True, text=True, input=stdin)
    if done.returncode != 0 or not out.is_file():
        raise TinyforgeError(f"{cmd[0]} failed for {' '.join(cmd)}: {done.stderr.strip()}")
    with wave.open(str(out), "rb") as w:
        src = w.getframerate()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return resample(raw, src)


def speak(text: str, voice: str, rate: int, pitch: int, amplitude: int) -> np.ndarray:
    """One espeak-ng utterance as float samples at 16 kHz, silence trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        cmd = ["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-a", str(amplitude),
               "-w", str(out), text]
        return trim(_run_engine(cmd, out))


def speak_as(text: str, who: Speaker, rate: int, pitch: int, amplitude: int) -> np.ndarray:
    """One utterance by any engine, at 16 kHz, silence trimmed.

    espeak-ng takes rate, pitch and amplitude itself. flite and festival take the rate as a
    duration stretch (espeak's 175 words/min is 1.0); the level is set later by ``speech_clip``.
    """
    if who.engine == "espeak-ng":
        return speak(text, who.name, rate, pitch, amplitude)
    stretch = round(175 / rate, 2)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        if who.engine == "flite":
            cmd = ["flite", "-voice", who.name, "-t", text, "-o", str(out),
                   "--setf", f"duration_stretch={stretch}"]
            if who.f0 is not None:
                cmd += ["--setf", f"int_f0_target_mean={who.f0}"]
            x = _run_engine(cmd, out)
        else:
            cmd = ["text2wave", "-eval", f"(voice_{who.name})",
                   "-eval", f"(Parameter.set 'Duration_Stretch {stretch})", "-o", str(out)]
            x = _run_engine(cmd, out, stdin=text)
    if who.tract != 1.0:
        # Played back faster by `tract`: formants and F0 rise together, as for a shorter vocal tract.
        x = np.interp(np.arange(0, len(x) - 1, who.tract), np.arange(len(x)), x)
    return trim(x)


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


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def place(word: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    clip = np.zeros(CLIP)
    word = word[:CLIP]
    start = int(rng.integers(0, CLIP - len(word) + 1))
    clip[start:start + len(word)] = word
    return clip


def speech_clip(word: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    peak = rng.uniform(0.08, 0.9) * 32767
    clip = place(word / (np.abs(word).max() + 1e-9) * peak, rng)
    rms = np.sqrt(np.mean(word ** 2)) / (np.abs(word).max() + 1e-9) * peak
    if rng.random() < 0.9:
        snr_db = rng.uniform(5, 35)
        clip += noise(rng.choice(NOISE_KINDS), CLIP, rng) * rms / 10 ** (snr_db / 20)
    return to_int16(clip)


def background_clip(kind: str, seed: int) -> np.ndarray:
    rng = item_rng(seed, "background/" + kind)
    n = BACKGROUND_SECONDS * RATE
    x = noise(kind.split("_")[0], n, rng)
    if kind.endswith("_swell"):
        # A slow swell, like a fan or traffic, so silence is not always stationary.
        x = x * (1 + 0.8 * np.sin(2 * np.pi * 0.5 * np.arange(n) / RATE))
    return to_int16(x * BACKGROUND_RMS)


# --- dataset ------------------------------------------------------------------------

def plan(s: SynthSettings) -> list[dict]:
    """Every clip to synthesize, with its settings, decided up front from the seed."""
    unknown = [w for w in s.unknown_words if w not in s.words]
    if s.unknown_per_voice > len(unknown):
        raise TinyforgeError(f"--unknown-per-voice {s.unknown_per_voice}: only {len(unknown)} unknown words")
    voices = pick_voices(s.voices, s.engines)
    splits = voice_splits(voices)
    items = []
    for voice in voices:
        rng = item_rng(s.seed, "plan/" + voice)
        words = [(w, i) for w in s.words for i in range(s.per_word)]
        words += [(str(w), 0) for w in rng.choice(unknown, s.unknown_per_voice, replace=False)]
        who = speaker(voice, s.seed)
        for word, i in words:
            utterance = dict(word=word, voice=voice, split=splits[voice], engine=who.engine, tract=who.tract,
                             f0=who.f0 if who.f0 is not None else "",
                             rate=int(rng.choice(RATES)), pitch=int(rng.choice(PITCHES)),
                             amplitude=int(rng.choice(AMPLITUDES)))
            for copy in range(s.copies):
                name = f"{file_stem(voice)}_nohash_{i}_{copy}"
                items.append(dict(utterance, path=f"{word}/{name}.wav"))
    return items


def synthesize(out: Path, s: SynthSettings, progress: bool = True) -> list[dict]:
    """Write the dataset; returns the manifest rows."""
    for engine in s.engines:
        check_engine(engine)
    out = Path(out)
    items = plan(s)
    groups: dict[tuple, list[dict]] = {}
    for it in items:
        groups.setdefault((it["word"], it["path"].rsplit("_", 1)[0]), []).append(it)

    def work(group: list[dict]) -> None:
        first = group[0]
        who = speaker(first["voice"], s.seed)
        spoken = speak_as(first["word"], who, first["rate"], first["pitch"], first["amplitude"])
        if len(spoken) == 0:
            raise TinyforgeError(f"{who.engine} produced silence for '{first['word']}' in voice {first['voice']}")
        for it in group:
            path = out / it["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, speech_clip(spoken, item_rng(s.seed, it["path"])))

    from tqdm import tqdm
    out.mkdir(parents=True, exist_ok=True)
    # Threads suffice: the work is in the engines' subprocesses and numpy.
    with ThreadPoolExecutor(max(1, s.jobs)) as pool:
        for _ in tqdm(pool.map(work, groups.values()), total=len(groups), desc="synthesize",
                      unit="utt", disable=not progress):
            pass

    noise_dir = out / BACKGROUND_NOISE_DIR
    noise_dir.mkdir(exist_ok=True)
    for kind in (*NOISE_KINDS, "pink_swell", "brown_swell"):
        write_wav(noise_dir / f"{kind}_noise.wav", background_clip(kind, s.seed))

    fields = ["path", "split", "word", "voice", "engine", "tract", "f0", "rate", "pitch", "amplitude"]
    with open(out / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(items)
    for split, listing in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
        (out / listing).write_text("".join(it["path"] + "\n" for it in items if it["split"] == split))
    return items
