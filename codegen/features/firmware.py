"""The device side of a feature recipe: the generated config and tables that
firmware/audio/microfrontend.c is compiled with.

Python computes every table (the same ``FrontendTables`` the host reference
runs on, so host and device cannot disagree about a constant); the templates
lay them out.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError
from codegen.emit.render import render
from codegen.target.toolchain import FRONTEND_FILES
from codegen.features import RECIPES_FILE, Recipe, frontend_tables, kissfft, quantize



def frontend_context(recipe: Recipe) -> dict:
    if recipe.family != "microfrontend":
        raise TinyforgeError(f"feature recipe '{recipe.name}' ({recipe.family}) has no device "
                             "frontend; frontend=device and app=stream need a microfrontend recipe")
    t = frontend_tables(recipe)
    plan = kissfft.fft_plan(t.fft_size)
    return dict(recipe_name=recipe.name, description=recipe.description, t=t, frames=recipe.frames,
                q=dict(recipe.quantize), silence=int(quantize(np.zeros(1, np.uint16), recipe)[0]),
                stages=list(plan.factors), order=plan.input_order.tolist(),
                twiddles=plan.twiddles.ravel().tolist(), super_twiddles=plan.super_twiddles.ravel().tolist())


def render_frontend_sources(recipe: Recipe, out_dir: Path) -> list[Path]:
    """audio_frontend_config.h, audio_frontend_tables.h/.c for ``recipe`` in ``out_dir``."""
    context = frontend_context(recipe)
    return [render(f"{name}.j2", Path(out_dir) / name, "codegen.features.firmware", [RECIPES_FILE], **context)
            for name in FRONTEND_FILES]


def model_recipe(model, recipe_name: str | None) -> Recipe:
    """The recipe named on the command line, else the one the model's input shape implies."""
    from codegen.features import get_recipe, infer_recipe
    return get_recipe(recipe_name) if recipe_name else infer_recipe(model.tensors[model.inputs[0]].shape)


def check_device_frontend_cases(cases, recipe: Recipe) -> None:
    """frontend=device embeds PCM, so every input must be a clip, and the model input must be the recipe's output."""
    for case in cases:
        if case.audio is None:
            raise TinyforgeError(f"frontend=device computes features from audio; input '{case.name}' is not a "
                                 ".wav clip")
        if case.tensors[0].size != recipe.num_elements:
            raise TinyforgeError(f"frontend=device: recipe '{recipe.name}' gives {recipe.frames}x{recipe.channels} "
                                 f"features, the model's input holds {case.tensors[0].size}")
