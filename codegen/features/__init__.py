"""Feature recipes: named, data-only descriptions of audio -> int8 model input.

Recipes live in ``recipes.toml`` next to this file. ``compute_features`` is the
host-side reference implementation the firmware's front end is tested against.
"""
from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

import numpy as np

from ..errors import TinyforgeError

RECIPES_FILE = Path(__file__).resolve().parent / "recipes.toml"

_REQUIRED = ("sample_rate", "clip_ms", "frames", "channels", "frontend", "quantize")
_QUANTIZE_KEYS = ("multiplier", "offset", "divisor", "zero_point", "min", "max")


@dataclass(frozen=True)
class Recipe:
    name: str
    frames: int
    channels: int
    sample_rate: int
    clip_ms: int
    frontend: Mapping = field(repr=False)
    quantize: Mapping = field(repr=False)
    parameters: Mapping = field(repr=False)
    description: str = ""

    @property
    def output_shape(self) -> tuple[int, int]:
        return (self.frames, self.channels)

    @property
    def num_elements(self) -> int:
        return self.frames * self.channels

    @property
    def clip_samples(self) -> int:
        return self.sample_rate * self.clip_ms // 1000


def _freeze(value):
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


def _recipe_from_table(name: str, table: dict, source: Path) -> Recipe:
    missing = [k for k in _REQUIRED if k not in table]
    missing += [f"quantize.{k}" for k in _QUANTIZE_KEYS if k not in table.get("quantize", {})]
    if missing:
        raise TinyforgeError(f"{source}: recipe '{name}' lacks {', '.join(missing)}")
    if table["frontend"].get("num_channels", table["channels"]) != table["channels"]:
        raise TinyforgeError(f"{source}: recipe '{name}': frontend.num_channels "
                             f"{table['frontend']['num_channels']} != channels {table['channels']}")
    return Recipe(name=name, frames=int(table["frames"]), channels=int(table["channels"]),
                  sample_rate=int(table["sample_rate"]), clip_ms=int(table["clip_ms"]),
                  frontend=_freeze(table["frontend"]), quantize=_freeze(table["quantize"]),
                  parameters=_freeze(table), description=table.get("description", ""))


def load_recipes(path=RECIPES_FILE) -> dict[str, Recipe]:
    """Every recipe in a registry file, by name."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TinyforgeError(f"{path}: cannot read feature recipes ({exc})") from None
    return {name: _recipe_from_table(name, table, path) for name, table in data.items()}


@lru_cache(maxsize=None)
def _registry() -> dict[str, Recipe]:
    return load_recipes(RECIPES_FILE)


def recipe_names() -> list[str]:
    return sorted(_registry())


def get_recipe(name: str) -> Recipe:
    try:
        return _registry()[name]
    except KeyError:
        raise TinyforgeError(f"unknown feature recipe '{name}'; known recipes: "
                             f"{', '.join(recipe_names())}") from None


def _matches(shape: tuple[int, ...], recipe: Recipe) -> bool:
    # Batch and channel dimensions of size 1 come and go between training
    # frameworks ([1,1960], [1,49,40], [1,49,40,1]); what identifies the recipe
    # is the element count laid out as one flat vector or as frames x channels.
    core = list(shape)
    while core and core[0] == 1:
        core.pop(0)
    while core and core[-1] == 1:
        core.pop()
    return tuple(core) in ((recipe.num_elements,), recipe.output_shape)


def infer_recipe(input_shape: tuple[int, ...], recipes: Iterable[Recipe] | None = None) -> Recipe:
    """The one recipe whose output fits a model input of ``input_shape``."""
    shape = tuple(int(d) for d in input_shape)
    candidates = list(_registry().values()) if recipes is None else list(recipes)
    found = [r for r in candidates if _matches(shape, r)]
    if len(found) == 1:
        return found[0]
    known = ", ".join(f"{r.name} ({r.frames}x{r.channels})" for r in candidates) or "none"
    shown = "[" + ",".join(str(d) for d in shape) + "]"
    if found:
        raise TinyforgeError(f"model input {shown} fits several feature recipes "
                             f"({', '.join(r.name for r in found)}); pass recipe=NAME to choose one")
    raise TinyforgeError(f"model input {shown} ({math.prod(shape)} elements) matches no known "
                         f"feature recipe (known: {known}); pass recipe=NAME to choose one")


def quantize(values: np.ndarray, recipe: Recipe) -> np.ndarray:
    """uint16 frontend output -> int8 model input, per the recipe's integer formula."""
    q = recipe.quantize
    v = np.asarray(values, dtype=np.int64)
    out = (v * q["multiplier"] + q["offset"]) // q["divisor"] + q["zero_point"]
    return np.clip(out, q["min"], q["max"]).astype(np.int8)


def compute_features(samples_int16: np.ndarray, recipe) -> np.ndarray:
    """int8 features of shape (frames, channels) for one clip of int16 audio.

    A clip shorter than the recipe's ``clip_ms`` is padded with trailing
    silence, the way keyword datasets pad short recordings; a longer one is an
    error, since which second to keep is the caller's decision.
    """
    if isinstance(recipe, str):
        recipe = get_recipe(recipe)
    samples = np.asarray(samples_int16)
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise TinyforgeError(f"features need 1-D int16 audio, got {samples.dtype} of shape {samples.shape}")
    need = recipe.clip_samples
    if len(samples) > need:
        raise TinyforgeError(f"audio is {len(samples)} samples ({1000 * len(samples) / recipe.sample_rate:.0f} ms);"
                             f" recipe '{recipe.name}' takes at most {need} ({recipe.clip_ms} ms)")
    if len(samples) < need:
        samples = np.concatenate([samples, np.zeros(need - len(samples), np.int16)])

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # deferred: most codegen verbs never need TensorFlow
    from tensorflow.lite.experimental.microfrontend.python.ops import audio_microfrontend_op

    args = dict(recipe.frontend)
    args["out_type"] = tf.dtypes.as_dtype(args.get("out_type", "uint16"))
    raw = audio_microfrontend_op.audio_microfrontend(
        tf.constant(samples), sample_rate=recipe.sample_rate, **args).numpy()
    if raw.shape != recipe.output_shape:
        raise TinyforgeError(f"recipe '{recipe.name}' produced {raw.shape[0]}x{raw.shape[1]} features, "
                             f"its table promises {recipe.frames}x{recipe.channels}; fix recipes.toml")
    return quantize(raw, recipe)
