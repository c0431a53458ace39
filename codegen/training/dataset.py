"""The Speech Commands dataset layout: which clip is in which split, with which label.

    DIR/<word>/*.wav                 one folder per word (any folder not starting with "_")
    DIR/_background_noise_/*.wav     long noise recordings: mixed into clips, and the "silence" class
    DIR/validation_list.txt          optional, paths relative to DIR; so is testing_list.txt

Without the two lists a clip's split comes from a hash of its speaker id (the
file name up to ``_nohash_``), exactly as TensorFlow's speech_commands
``input_data.which_set`` computes it, so a speaker never straddles two splits
and adding files never moves old ones. Class order is TF's: ``silence``,
``unknown``, then the wanted words. Only paths and labels are held in memory;
audio stays on disk until ``prepare`` streams it.

Several folders can make one dataset (``load_sources``), for example synthesized
speech and real recordings: each keeps its own split rule and its own share of
unknown clips, and silence comes from every folder's background noise.
"""
from __future__ import annotations

import hashlib
import math
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError

SILENCE = "silence"
UNKNOWN = "unknown"
BACKGROUND_NOISE_DIR = "_background_noise_"
SPLITS = ("train", "validation", "test")
# input_data.py: MAX_NUM_WAVS_PER_CLASS = 2**27 - 1 (~134M), the hash modulus.
MAX_NUM_WAVS_PER_CLASS = 2 ** 27 - 1


@dataclass(frozen=True)
class Item:
    path: str | None        # relative to the dataset root; None for a silence clip
    label: int
    split: str
    key: str                # unique and stable: seeds this clip's augmentation
    copies: int | None = None   # augmented renderings when training; None: the run's --augment-copies


@dataclass
class Dataset:
    root: Path
    labels: list[str]
    items: dict[str, list[Item]]
    background: list[str]    # relative paths of the background noise files
    split_source: str        # "lists" or "hash"

    def counts(self, split: str) -> list[int]:
        return np.bincount([it.label for it in self.items[split]], minlength=len(self.labels)).tolist()


def which_set(filename: str, validation_percentage: float, testing_percentage: float) -> str:
    """TF speech_commands' split rule: SHA-1 of the speaker id, as a percentage."""
    hash_name = re.sub(r"_nohash_.*$", "", Path(filename).name)
    digest = int(hashlib.sha1(hash_name.encode()).hexdigest(), 16)
    percentage = (digest % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)
    if percentage < validation_percentage:
        return "validation"
    if percentage < testing_percentage + validation_percentage:
        return "test"
    return "train"


def _read_list(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip()} if path.is_file() else set()


def _shuffled(values: list, seed: int, key: str) -> list:
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    return [values[i] for i in rng.permutation(len(values))]


def load_dataset(root, words: list[str], silence_percentage: float = 10.0,
                 unknown_percentage: float = 10.0, validation_percentage: float = 10.0,
                 testing_percentage: float = 10.0, seed: int = 1234, all_test: bool = False,
                 flag: str = "--data", require_train: bool = True, require_words: bool = True) -> Dataset:
    """Index a Speech Commands folder: labels ``silence, unknown, *words``.

    Per split, silence and unknown clips number ``ceil(percentage * keyword clips / 100)``,
    as in TF's ``prepare_data_index``; unknown clips are a seeded sample of every
    other word's clips. ``all_test``: every clip is a test clip (``evaluate --test DIR``).
    """
    root = Path(root)
    if not root.is_dir():
        raise TinyforgeError(f"{flag} {root}: no such directory")
    words = [w.strip() for w in words if w.strip()]
    if not words:
        raise TinyforgeError("--words: give at least one word, e.g. --words yes,no")
    clashes = {SILENCE, UNKNOWN} & set(words)
    if clashes:
        raise TinyforgeError(f"--words: '{sorted(clashes)[0]}' is a reserved class name")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")
                     and not p.name.startswith("."))
    missing = [w for w in words if w not in folders]
    if missing and (require_words or len(missing) < len(words) or not (root / BACKGROUND_NOISE_DIR).is_dir()):
        raise TinyforgeError(f"{flag} {root}: no folder for {', '.join(missing)} "
                             f"(folders: {', '.join(folders) or 'none'})")

    validation = _read_list(root / "validation_list.txt")
    testing = _read_list(root / "testing_list.txt")
    split_source = "all-test" if all_test else "lists" if validation or testing else "hash"
    labels = [SILENCE, UNKNOWN, *words]
    wanted: dict[str, list[Item]] = {s: [] for s in SPLITS}
    unknown: dict[str, list[str]] = {s: [] for s in SPLITS}
    for folder in folders:
        for wav in sorted((root / folder).glob("*.wav")):
            rel = f"{folder}/{wav.name}"
            if split_source == "all-test":
                split = "test"
            elif split_source == "lists":
                split = "validation" if rel in validation else "test" if rel in testing else "train"
            else:
                split = which_set(rel, validation_percentage, testing_percentage)
            if folder in words:
                wanted[split].append(Item(rel, labels.index(folder), split, rel))
            else:
                unknown[split].append(rel)

    background = sorted(f"{BACKGROUND_NOISE_DIR}/{p.name}" for p in (root / BACKGROUND_NOISE_DIR).glob("*.wav"))
    if silence_percentage > 0 and not background:
        raise TinyforgeError(f"{flag} {root}: no {BACKGROUND_NOISE_DIR}/*.wav to make silence from "
                             f"(or pass --silence-percentage 0)")
    items: dict[str, list[Item]] = {}
    for split in SPLITS:
        size = len(wanted[split])
        silence_count = math.ceil(size * silence_percentage / 100)
        unknown_count = min(math.ceil(size * unknown_percentage / 100), len(unknown[split]))
        chosen = _shuffled(unknown[split], seed, f"unknown/{split}")[:unknown_count]
        items[split] = (wanted[split]
                        + [Item(rel, labels.index(UNKNOWN), split, rel) for rel in sorted(chosen)]
                        + [Item(None, labels.index(SILENCE), split, f"silence/{split}/{i}")
                           for i in range(silence_count)])
    if require_train and not all_test and not items["train"]:
        raise TinyforgeError(f"{flag} {root}: no training clips for {', '.join(words)}")
    return Dataset(root, labels, items, background, split_source)


@dataclass(frozen=True)
class Source:
    """One ``--data`` folder, and how many augmented renderings its training clips get (None: the default)."""
    root: Path
    copies: int | None = None


def parse_source(text: str, flag: str = "--data") -> Source:
    """``DIR`` or ``DIR:N`` (N augmented renderings of each training clip of DIR)."""
    if not Path(text).is_dir() and ":" in text:
        folder, _, count = text.rpartition(":")
        if not count.isdigit() or int(count) < 1:
            raise TinyforgeError(f"{flag} {text}: expected DIR or DIR:N with N a count of renderings, at least 1")
        return Source(Path(folder), int(count))
    return Source(Path(text))


def load_sources(sources: list[Source], words: list[str], silence_percentage: float = 10.0,
                 unknown_percentage: float = 10.0, validation_percentage: float = 10.0,
                 testing_percentage: float = 10.0, seed: int = 1234, flag: str = "--data",
                 default_copies: int = 1) -> Dataset:
    """One dataset from several folders. The first folder's clips keep their own keys and paths
    (so a one-folder run is exactly ``load_dataset``); later folders' clips are keyed ``<k>/<path>``
    and held by absolute path."""
    if len(sources) == 1 and sources[0].copies is None:
        return load_dataset(sources[0].root, words, silence_percentage, unknown_percentage,
                            validation_percentage, testing_percentage, seed, flag=flag)
    roots = [src.root.resolve() for src in sources]
    if len(set(roots)) != len(roots):
        raise TinyforgeError(f"{flag}: the same folder is given twice")
    parts = []
    for k, src in enumerate(sources):
        # a later folder may hold only _background_noise_: recordings of the place the device will live
        part = load_dataset(src.root, words, 0.0, unknown_percentage, validation_percentage,
                            testing_percentage, seed, flag=flag, require_train=False, require_words=k == 0)
        parts.append(part)
    first = parts[0]
    items: dict[str, list[Item]] = {s: [] for s in SPLITS}
    background: list[str] = []
    for k, (src, part) in enumerate(zip(sources, parts)):
        for split in SPLITS:
            for it in part.items[split]:
                path = it.path if k == 0 else str(roots[k] / it.path)
                key = it.key if k == 0 else f"{k}/{it.key}"
                items[split].append(Item(path, it.label, split, key, src.copies))
        background += part.background if k == 0 else [str(roots[k] / rel) for rel in part.background]
    if silence_percentage > 0 and not background:
        raise TinyforgeError(f"{flag}: none of the folders has {BACKGROUND_NOISE_DIR}/*.wav to make silence from "
                             f"(or pass --silence-percentage 0)")
    silence = first.labels.index(SILENCE)
    for split in SPLITS:
        # Silence is a share of the keyword *renderings*: a folder given as DIR:N adds N per clip in training.
        weight = (lambda it: (it.copies or default_copies) / default_copies) if split == "train" else (lambda it: 1)
        keywords = sum(weight(it) for it in items[split] if it.label >= 2)
        items[split] += [Item(None, silence, split, f"silence/{split}/{i}")
                         for i in range(math.ceil(round(keywords * silence_percentage / 100, 6)))]
    if not items["train"]:
        raise TinyforgeError(f"{flag}: no training clips for {', '.join(words)} in any folder")
    return Dataset(first.root, first.labels, items, background,
                   "+".join(part.split_source for part in parts))
