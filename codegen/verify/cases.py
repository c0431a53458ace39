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

from codegen.errors import TinyforgeError
from codegen.model.tflite_model import Model

DEFAULT_VECTORS = 3
VECTOR_SEED = 20261120


@dataclass
class TestCase:
    name: str
    source: str                  # where the tensor came from, for comments and reports
    tensors: list[np.ndarray]    # int8, one per model input, in the model's input shapes
    audio: np.ndarray | None = None  # int16 PCM padded to the recipe's clip, for .wav inputs (frontend=device)


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
    from codegen import features
    from codegen.wav import read_wav

    shape = model.tensors[model.inputs[0]].shape
    recipe = features.get_recipe(recipe_name) if recipe_name else features.infer_recipe(shape)
    samples = read_wav(path)
    model_input = model.tensors[model.inputs[0]]
    quantization = (model_input.scale, model_input.zero_point) if model_input.quantization else None
    values = features.compute_features(samples, recipe, quantization)
    padded = np.concatenate([samples, np.zeros(recipe.clip_samples - len(samples), np.int16)])
    return TestCase(_case_name(path, taken), f"{path.name} via feature recipe {recipe.name}",
                    [_fit(values.astype(np.int8), shape, str(path))], audio=padded)


def npy_case(path: Path, model: Model, taken: set[str]) -> TestCase:
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic != b"\x93NUMPY":
            raise TinyforgeError(f"{path}: not a .npy file (no NumPy header; save the tensor with numpy.save)")
        values = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise TinyforgeError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise TinyforgeError(f"{path}: cannot read .npy: {exc}") from None
    want = model.tensors[model.inputs[0]]
    if values.dtype != want.dtype:
        raise TinyforgeError(f"{path}: dtype {values.dtype}, expected {np.dtype(want.dtype).name} "
                             f"(the model's input '{want.name}')")
    shape = want.shape
    return TestCase(_case_name(path, taken), path.name, [_fit(values, shape, str(path))])


def _float_input_range(model: Model, index: int) -> tuple[float, float]:
    """Real values a float input's QUANTIZE can represent, widened by a quarter so clamping is exercised
    too; [-1, 1] when no QUANTIZE reads it."""
    for op in model.operators:
        if op.opcode == "QUANTIZE" and op.inputs[0] == index:
            out = model.tensors[op.outputs[0]]
            info = np.iinfo(out.dtype)
            low, high = (info.min - out.zero_point) * out.scale, (info.max - out.zero_point) * out.scale
            margin = (high - low) / 8
            return low - margin, high + margin
    return -1.0, 1.0


def _declared_output_shape(model: Model, index: int) -> list[int] | None:
    """The shape a TRANSPOSE_CONV's output-shape input must hold, when model input ``index`` is one: the
    firmware is built for the output tensor's declared shape (as TFLM is), so test vectors give TFLite that
    shape rather than random sizes."""
    for op in model.operators:
        if op.opcode == "TRANSPOSE_CONV" and op.inputs and op.inputs[0] == index:
            return list(model.tensors[op.outputs[0]].shape)
    return None


def _random_tensor(rng: np.random.Generator, model: Model, index: int) -> np.ndarray:
    t = model.tensors[index]
    shape = _declared_output_shape(model, index)
    if shape is not None:
        return np.array(shape, dtype=t.dtype).reshape(t.shape)
    if t.type == "FLOAT32":
        low, high = _float_input_range(model, index)
        return rng.uniform(low, high, size=t.shape).astype(np.float32)
    info = np.iinfo(t.dtype)
    return rng.integers(info.min, info.max + 1, size=t.shape, dtype=t.dtype)


def random_cases(model: Model, count: int, seed: int = VECTOR_SEED) -> list[TestCase]:
    rng = np.random.default_rng(seed)
    kinds = "/".join(sorted({model.tensors[t].type.lower() for t in model.inputs}))
    return [TestCase(f"vector{i}", f"seeded random {kinds} (seed {seed})",
                     [_random_tensor(rng, model, t) for t in model.inputs])
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
