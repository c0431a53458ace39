"""Clips to int8 features, on every core, into an on-disk cache read back as a memory map.

Augmentation follows TF speech_commands: a random time shift (zero-filled) and,
with some probability, a random slice of a background-noise file at a random
volume; a silence clip is background noise alone. Each rendering draws from a
generator seeded by ``(seed, clip key, copy)``, so the cache holds the same bytes
whatever the number of workers or the order they finish in. Training data gets
``copies`` augmented renderings per clip (TF re-draws every step; precomputing a
fixed number keeps the expensive front end out of the training loop).
Validation and test clips are rendered once without shift or added noise,
except silence, which needs some noise to be more than digital zero.

Beyond TF's recipe, four levers make clips sound more like a real microphone in a
real room (each off by default, each with the probability that a training clip gets it):
speed perturbation (resampling by 0.9-1.1, which moves tempo, pitch and formants
together, Kaldi's recipe), reverberation (a synthetic room impulse response: a direct
path plus exponentially decaying noise, RT60 0.15-0.8 s), a microphone's band limit
(high-pass 60-400 Hz, low-pass 3.4-7.5 kHz, second order) and level variation
(+/-12 dB). With ``snr_db`` set, background noise is mixed at a signal-to-noise
ratio drawn from that range instead of TF's absolute volume.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError
from codegen.training.dataset import Dataset, Item



def default_cache_dir() -> Path:
    """``build/feature-cache``: never inside a dataset folder, which may be read-only or shared."""
    from codegen.paths import build_root
    return build_root() / "feature-cache"


@dataclass(frozen=True)
class Augmentation:
    time_shift_ms: float = 100.0         # TF default --time_shift_ms
    background_frequency: float = 0.8    # TF default --background_frequency
    background_volume: float = 0.1       # TF default --background_volume
    copies: int = 2
    speed: float = 0.0                   # share of training clips speed-perturbed
    reverb: float = 0.0                  # share reverberated
    band_limit: float = 0.0              # share band-limited like a small microphone
    level: float = 0.0                   # share with their level changed
    snr_db: tuple[float, float] | None = None   # noise at this SNR range instead of background_volume


SPEED_RANGE = (0.9, 1.1)
RT60_RANGE = (0.15, 0.8)
HIGH_PASS_HZ = (60.0, 400.0)
LOW_PASS_HZ = (3400.0, 7500.0)
LEVEL_DB = 12.0


def speed_perturb(x: np.ndarray, factor: float) -> np.ndarray:
    """Played back ``factor`` times faster, re-centred in a clip of the same length."""
    n = len(x)
    y = np.interp(np.arange(0, n - 1, factor), np.arange(n), x).astype(np.float32)
    if len(y) >= n:
        start = (len(y) - n) // 2
        return y[start:start + n]
    pad = n - len(y)
    return np.pad(y, (pad // 2, pad - pad // 2))


def room_impulse_response(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Direct path, then exponentially decaying noise: 60 dB down after RT60 seconds."""
    rt60 = rng.uniform(*RT60_RANGE)
    n = int(min(rt60, 0.5) * sample_rate)
    t = np.arange(n) / sample_rate
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60)
    delay = int(rng.uniform(0.002, 0.01) * sample_rate)    # the first reflection's extra path
    tail[:delay] = 0
    # direct-to-reverberant energy ratio -3..+9 dB
    drr = 10 ** (rng.uniform(-3, 9) / 10)
    tail *= np.sqrt(1 / (drr * np.sum(tail ** 2) + 1e-12))
    h = tail
    h[0] = 1.0
    return h


def reverberate(x: np.ndarray, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    h = room_impulse_response(rng, sample_rate)
    size = 1 << int(np.ceil(np.log2(len(x) + len(h))))
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[:len(x)]
    peak = np.abs(x).max()
    return (y * (peak / (np.abs(y).max() + 1e-12))).astype(np.float32)


def band_limit(x: np.ndarray, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Second-order high- and low-pass magnitude responses, applied in the frequency domain."""
    low, high = rng.uniform(*HIGH_PASS_HZ), rng.uniform(*LOW_PASS_HZ)
    f = np.fft.rfftfreq(len(x), 1 / sample_rate)
    response = (1 / np.sqrt(1 + (low / np.maximum(f, 1e-3)) ** 4)) / np.sqrt(1 + (f / high) ** 4)
    return np.fft.irfft(np.fft.rfft(x) * response, len(x)).astype(np.float32)


def _rng(seed: int, key: str, copy: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode()), copy])


class AudioSource:
    """Reads clips and background noise of one dataset; one per worker process."""

    def __init__(self, root: Path, background: list[str], clip_samples: int):
        from codegen.wav import read_wav
        self.root, self.clip_samples, self.read_wav = Path(root), clip_samples, read_wav
        self.background = [read_wav(self.root / p).astype(np.float32) / 32768 for p in background]

    def clip(self, rel: str) -> np.ndarray:
        x = self.read_wav(self.root / rel).astype(np.float32) / 32768
        if len(x) > self.clip_samples:
            # Speech Commands clips are at most 1 s; longer ones are cut like TF's decode does.
            x = x[:self.clip_samples]
        return np.pad(x, (0, self.clip_samples - len(x)))

    def render(self, item: Item, copy: int, augment: bool, aug: Augmentation, seed: int,
               sample_rate: int) -> np.ndarray:
        """The int16 audio the model sees for one rendering of one item."""
        rng = _rng(seed, item.key, copy)
        n = self.clip_samples
        x = np.zeros(n, np.float32) if item.path is None else self.clip(item.path)
        speech = augment and item.path is not None
        # Each lever draws from its own generator, so turning one on or off leaves the others' draws alone.
        lever = lambda name: np.random.default_rng([seed, zlib.crc32(f"{name}/{item.key}".encode()), copy])
        if speech and aug.speed > 0:
            r = lever("speed")
            if r.random() < aug.speed:
                x = speed_perturb(x, r.uniform(*SPEED_RANGE))
        if speech and aug.reverb > 0:
            r = lever("reverb")
            if r.random() < aug.reverb:
                x = reverberate(x, r, sample_rate)
        if speech and aug.band_limit > 0:
            r = lever("band")
            if r.random() < aug.band_limit:
                x = band_limit(x, r, sample_rate)
        if speech and aug.level > 0:
            r = lever("level")
            if r.random() < aug.level:
                x = x * np.float32(10 ** (r.uniform(-LEVEL_DB, LEVEL_DB) / 20))
        if augment and item.path is not None and aug.time_shift_ms > 0:
            limit = int(aug.time_shift_ms * sample_rate / 1000)
            shift = int(rng.integers(-limit, limit + 1))
            x = np.roll(x, shift)
            if shift > 0:
                x[:shift] = 0
            elif shift < 0:
                x[shift:] = 0
        with_noise = item.path is None or (augment and rng.random() < aug.background_frequency)
        if with_noise and self.background and aug.background_volume > 0:
            noise = self.background[int(rng.integers(len(self.background)))]
            start = int(rng.integers(0, max(1, len(noise) - n + 1)))
            piece = np.resize(noise[start:start + n], n)
            speech_rms = float(np.sqrt(np.mean(x ** 2)))
            if aug.snr_db is not None and item.path is not None and speech_rms > 0:
                # Speech occupies part of the clip: its RMS over the whole second understates it
                # by about 3 dB for a typical word, which this SNR convention ignores.
                noise_rms = float(np.sqrt(np.mean(piece ** 2))) + 1e-12
                gain = speech_rms / noise_rms / 10 ** (rng.uniform(*aug.snr_db) / 20)
                x = x + piece * np.float32(gain)
            else:
                x = x + piece * np.float32(rng.uniform(0, aug.background_volume))
        return np.clip(np.round(x * 32768), -32768, 32767).astype(np.int16)


# --- worker side ------------------------------------------------------------------

_WORKER: dict = {}


def _init_worker(root, background, recipe_name, aug, seed):
    from codegen.features import get_recipe
    recipe = get_recipe(recipe_name)
    _WORKER.update(source=AudioSource(Path(root), background, recipe.clip_samples),
                   recipe=recipe, aug=aug, seed=seed)


def _features(task):
    from codegen.features import compute_features
    index, item, copy, augment = task
    w = _WORKER
    audio = w["source"].render(item, copy, augment, w["aug"], w["seed"], w["recipe"].sample_rate)
    return index, compute_features(audio, w["recipe"])


# --- cache ------------------------------------------------------------------------

@dataclass
class SplitFeatures:
    """Features of one split, memory-mapped from the cache, and their labels."""
    x: np.ndarray            # int8 [N, frames, channels], np.memmap
    y: np.ndarray            # int64 [N]
    items: list[Item]        # item of each row (a training item repeats once per copy)
    copies: list[int]


def _cache_key(dataset: Dataset, split: str, recipe, aug: Augmentation, seed: int, augment: bool) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([split, recipe.name, sorted((k, repr(v)) for k, v in recipe.parameters.items()),
                         asdict(aug), seed, augment, dataset.labels, dataset.background]).encode())
    for rel in dataset.background:
        st = (dataset.root / rel).stat()
        h.update(f"{rel}:{st.st_size}:{st.st_mtime_ns}".encode())
    for it in dataset.items[split]:
        h.update(f"{it.key}|{it.label}|".encode() + (f"x{it.copies}|".encode() if it.copies else b""))
        if it.path is not None:
            st = (dataset.root / it.path).stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    # The front end's own code is part of what the numbers depend on.
    from codegen import features as features_module
    for source in sorted(Path(features_module.__file__).parent.glob("*.py")):
        h.update(source.read_bytes())
    return h.hexdigest()[:16]


def prepare_split(dataset: Dataset, split: str, recipe, aug: Augmentation, seed: int,
                  jobs: int = 2, cache_dir: Path | None = None, progress: bool = True) -> SplitFeatures:
    """Features of every clip (and every augmented copy) of a split, cached on disk."""
    augment = split == "train"
    copies_of = lambda it: max(1, it.copies or aug.copies) if augment else 1
    most = max((copies_of(it) for it in dataset.items[split]), default=1)
    rows = [(it, c) for c in range(most) for it in dataset.items[split] if c < copies_of(it)]
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{split}-{recipe.name}-{_cache_key(dataset, split, recipe, aug, seed, augment)}.npy"
    y = np.array([it.label for it, _ in rows], np.int64)
    if not path.is_file():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.int8, shape=(len(rows), recipe.frames, recipe.channels))
        tasks = [(i, it, c, augment) for i, (it, c) in enumerate(rows)]
        init = (str(dataset.root), dataset.background, recipe.name, aug, seed)
        from tqdm import tqdm
        bar = tqdm(total=len(tasks), desc=f"features {split}", unit="clip", disable=not progress)
        try:
            if jobs <= 1:
                _init_worker(*init)
                results = map(_features, tasks)
                for i, feats in results:
                    out[i] = feats
                    bar.update()
            else:
                # spawn, not fork: a forked TensorFlow runtime can deadlock in the child.
                with multiprocessing.get_context("spawn").Pool(jobs, _init_worker, init) as pool:
                    for i, feats in pool.imap_unordered(_features, tasks, chunksize=32):
                        out[i] = feats
                        bar.update()
        finally:
            bar.close()
        out.flush()
        del out
        os.replace(tmp, path)
    x = np.load(path, mmap_mode="r")
    if x.shape[0] != len(rows):
        raise TinyforgeError(f"{path}: cache holds {x.shape[0]} rows, expected {len(rows)}; delete it")
    return SplitFeatures(x, y, [it for it, _ in rows], [c for _, c in rows])
