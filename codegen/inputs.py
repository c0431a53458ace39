"""Test inputs for a model: ``.wav`` clips (through a feature recipe), ``.npy``
tensors, or seeded pseudo-random vectors.

Each case carries one int8 tensor per model input, already shaped like the
model's input, plus the name the firmware and the report use for it.
"""
from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import TinyforgeError
from .tflite_model import Model

DEFAULT_VECTORS = 3
VECTOR_SEED = 20261120


@dataclass
class TestCase:
    name: str
    source: str                  # where the tensor came from, for comments and reports
    tensors: list[np.ndarray]    # int8, one per model input, in the model's input shapes


def expand_patterns(patterns: str | list[str]) -> list[Path]:
    """Space-separated paths or glob patterns, in the order given, each glob sorted."""
    items = patterns.split() if isinstance(patterns, str) else list(patterns)
    paths: list[Path] = []
    for item in items:
        matches = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        if not matches:
            raise TinyforgeError(f"inputs: no file matches '{item}'")
        paths.extend(Path(m) for m in matches)
    return paths


def _case_name(path: Path, taken: set[str]) -> str:
    name = re.sub(r"[^0-9A-Za-z_.-]", "_", path.stem)
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _fit(values: np.ndarray, shape: tuple, what: str) -> np.ndarray:
    if values.size != int(np.prod(shape)):
        raise TinyforgeError(f"{what}: {values.size} values ({list(values.shape)}), "
                             f"the model's input {list(shape)} needs {int(np.prod(shape))}")
    return values.reshape(shape)


def wav_case(path: Path, model: Model, recipe_name: str | None, taken: set[str]) -> TestCase:
    from . import features
    from .wav import read_wav

    shape = model.tensors[model.inputs[0]].shape
    recipe = features.get_recipe(recipe_name) if recipe_name else features.infer_recipe(shape)
    values = features.compute_features(read_wav(path), recipe)
    return TestCase(_case_name(path, taken), f"{path.name} via feature recipe {recipe.name}",
                    [_fit(values.astype(np.int8), shape, str(path))])


def npy_case(path: Path, model: Model, taken: set[str]) -> TestCase:
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise TinyforgeError(f"{path}: cannot read .npy: {exc}") from None
    if values.dtype != np.int8:
        raise TinyforgeError(f"{path}: dtype {values.dtype}, expected int8 (a quantized input tensor)")
    shape = model.tensors[model.inputs[0]].shape
    return TestCase(_case_name(path, taken), path.name, [_fit(values, shape, str(path))])


def random_cases(model: Model, count: int, seed: int = VECTOR_SEED) -> list[TestCase]:
    rng = np.random.default_rng(seed)
    return [TestCase(f"vector{i}", f"seeded random int8 (seed {seed})",
                     [rng.integers(-128, 128, size=model.tensors[t].shape, dtype=np.int8) for t in model.inputs])
            for i in range(count)]


def resolve_cases(model: Model, inputs: str | list[str] | None, vectors: int | None = None,
                  recipe: str | None = None) -> list[TestCase]:
    if not inputs:
        return random_cases(model, DEFAULT_VECTORS if vectors is None else vectors)
    paths = expand_patterns(inputs)
    if len(model.inputs) != 1:
        raise TinyforgeError(f"{model.path}: {len(model.inputs)} inputs; .wav/.npy inputs feed single-input "
                             "models, use vectors=N for this one")
    taken: set[str] = set()
    cases = []
    for path in paths:
        if path.suffix.lower() == ".wav":
            cases.append(wav_case(path, model, recipe, taken))
        elif path.suffix.lower() == ".npy":
            cases.append(npy_case(path, model, taken))
        else:
            raise TinyforgeError(f"{path}: unknown input kind '{path.suffix}'; use .wav (16 kHz mono 16-bit) or .npy (int8)")
    return cases
