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

CACHE_DIR = "_tinyforge_cache_"


@dataclass(frozen=True)
class Augmentation:
    time_shift_ms: float = 100.0         # TF default --time_shift_ms
    background_frequency: float = 0.8    # TF default --background_frequency
    background_volume: float = 0.1       # TF default --background_volume
    copies: int = 2


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
        h.update(f"{it.key}|{it.label}|".encode())
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
    copies = max(1, aug.copies) if augment else 1
    rows = [(it, c) for c in range(copies) for it in dataset.items[split]]
    cache_dir = Path(cache_dir) if cache_dir else dataset.root / CACHE_DIR
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
