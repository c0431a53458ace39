"""Feature recipes: named, data-only descriptions of audio -> int8 model input.

Recipes live in ``recipes.toml`` next to this file. ``compute_features`` is the
host-side reference implementation the firmware's front end is tested against;
it needs no TensorFlow (``microfrontend.py`` reimplements the op's integer
arithmetic; tests hold it to the op itself, see ``tf_reference.py``).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

import numpy as np

from codegen.errors import TinyforgeError
from codegen.features import microfrontend

RECIPES_FILE = Path(__file__).resolve().parent / "recipes.toml"

_REQUIRED = ("sample_rate", "clip_ms", "frames", "channels", "frontend", "quantize")
_QUANTIZE_KEYS = ("multiplier", "offset", "divisor", "zero_point", "min", "max")
# microfrontend: TF's integer audio_microfrontend op (microfrontend.py); the others: float tf.signal
# pipelines (spectral.py), quantized with the model's own input scale and zero point
FAMILIES = ("microfrontend", "mfcc", "stft_magnitude")


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
    family: str = "microfrontend"

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
    family = table.get("family", "microfrontend")
    if family not in FAMILIES:
        raise TinyforgeError(f"{source}: recipe '{name}': unknown family '{family}' (known: {', '.join(FAMILIES)})")
    missing = [k for k in _REQUIRED if k not in table]
    if family == "microfrontend":
        missing += [f"quantize.{k}" for k in _QUANTIZE_KEYS if k not in table.get("quantize", {})]
    elif table.get("quantize", {}).get("scheme") != "model_input":
        missing.append('quantize.scheme = "model_input"')
    if missing:
        raise TinyforgeError(f"{source}: recipe '{name}' lacks {', '.join(missing)}")
    f = table["frontend"]
    produced = {"microfrontend": f.get("num_channels", table["channels"]), "mfcc": f.get("num_mfcc"),
                "stft_magnitude": (f.get("fft_length") or 0) // 2 + 1}[family]
    if produced != table["channels"]:
        raise TinyforgeError(f"{source}: recipe '{name}': its frontend gives {produced} channels, "
                             f"channels says {table['channels']}")
    return Recipe(name=name, frames=int(table["frames"]), channels=int(table["channels"]),
                  sample_rate=int(table["sample_rate"]), clip_ms=int(table["clip_ms"]),
                  frontend=_freeze(table["frontend"]), quantize=_freeze(table["quantize"]),
                  parameters=_freeze(table), description=table.get("description", ""), family=family)


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


def frontend_tables(recipe: Recipe) -> microfrontend.FrontendTables:
    """The integer tables of a recipe's microfrontend (shared by host and firmware)."""
    return _tables(recipe.name, recipe.sample_rate, tuple(sorted(recipe.frontend.items())))


@lru_cache(maxsize=None)
def _tables(name: str, sample_rate: int, frontend: tuple) -> microfrontend.FrontendTables:
    params = {k: v for k, v in frontend if k != "out_type"}
    if dict(frontend).get("out_type", "uint16") != "uint16":
        raise TinyforgeError(f"feature recipe '{name}': out_type must be uint16 (the quantize formula reads it)")
    try:
        return microfrontend.build_tables(params, sample_rate)
    except ValueError as exc:
        raise TinyforgeError(f"feature recipe '{name}': {exc}") from None


def compute_features(samples_int16: np.ndarray, recipe, input_quantization: tuple[float, int] | None = None
                     ) -> np.ndarray:
    """int8 features of shape (frames, channels) for one clip of int16 audio.

    ``input_quantization`` (scale, zero point) of the model's input is what the
    float families (mfcc, stft_magnitude) quantize with; the microfrontend
    family has its own integer formula in the recipe.

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

    if recipe.family != "microfrontend":
        return _float_features(samples, recipe, input_quantization)
    raw = microfrontend.process(samples[None, :], frontend_tables(recipe))[0]
    if raw.shape != recipe.output_shape:
        raise TinyforgeError(f"recipe '{recipe.name}' produced {raw.shape[0]}x{raw.shape[1]} features, "
                             f"its table promises {recipe.frames}x{recipe.channels}; fix recipes.toml")
    return quantize(raw, recipe)


def float_features(samples: np.ndarray, recipe: Recipe) -> np.ndarray:
    """The float32 (frames, channels) of an mfcc or stft_magnitude recipe, before quantization."""
    from codegen.features import spectral
    params = dict(recipe.frontend)
    try:
        if recipe.family == "mfcc":
            return spectral.mfcc(samples, recipe.sample_rate, params)
        return spectral.stft_magnitude(samples, params)
    except (KeyError, ValueError) as exc:
        raise TinyforgeError(f"feature recipe '{recipe.name}': bad frontend parameters ({exc})") from None


def _float_features(samples: np.ndarray, recipe: Recipe, input_quantization) -> np.ndarray:
    from codegen.features import spectral
    if input_quantization is None:
        raise TinyforgeError(f"feature recipe '{recipe.name}' quantizes with the model's input scale and zero "
                             "point; it needs the model")
    values = float_features(samples, recipe)
    if values.shape != recipe.output_shape:
        raise TinyforgeError(f"recipe '{recipe.name}' produced {values.shape[0]}x{values.shape[1]} features, "
                             f"its table promises {recipe.frames}x{recipe.channels}; fix recipes.toml")
    scale, zero_point = input_quantization
    return spectral.quantize_to_input(values, scale, zero_point)
