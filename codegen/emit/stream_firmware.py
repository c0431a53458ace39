"""Generate the streaming firmware (``app=stream``): the model, the audio frontend's tables and
``app_config.h`` for ``firmware/app/stream_app.c``, which reads 16-bit PCM the host offers over semihosting,
runs the frontend every hop, the model every ``inference_every`` hops and the command recognizer on every
result."""
from __future__ import annotations

import json
from pathlib import Path

from codegen.emit.board_support import render_board_support
from codegen.emit.build_info import render_build_info
from codegen.emit.generate import GeneratedFirmware, generate_model_sources
from codegen.emit.render import render, write_if_changed
from codegen.errors import TinyforgeError
from codegen.features import Recipe
from codegen.features.firmware import render_frontend_sources
from codegen.features.recognizer import BACKGROUND_LABELS, DEFAULT_INFERENCE_EVERY
from codegen.pipeline import CompiledModel
from codegen.target.boards import Board
from codegen.target.toolchain import app_sources

STREAM_NAME = "stream.pcm"     # the one file the emulator offers over semihosting


def generate_stream_firmware(board: Board, compiled: CompiledModel, labels: list[str] | None, recipe: Recipe,
                             out_dir: Path, settings: dict[str, int],
                             inference_every: int = DEFAULT_INFERENCE_EVERY) -> GeneratedFirmware:
    model = compiled.model
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(model.inputs) != 1 or model.tensors[model.inputs[0]].size != recipe.num_elements:
        raise TinyforgeError(f"app=stream: the model's input must be the {recipe.frames}x{recipe.channels} "
                             f"features of recipe '{recipe.name}'")
    output_size = model.tensors[model.outputs[0]].size
    labels = labels or [str(i) for i in range(output_size)]
    if len(labels) != output_size:
        raise TinyforgeError(f"app=stream: {len(labels)} labels for {output_size} model outputs")
    if inference_every < 1:
        raise TinyforgeError("inference_every must be at least 1 hop")
    is_keyword = [0 if label.lower() in BACKGROUND_LABELS else 1 for label in labels]
    if not any(is_keyword):
        raise TinyforgeError(f"app=stream: every label ({', '.join(labels)}) is a background label; "
                             "nothing could be detected")
    hop_ms = recipe.frontend["window_step"]
    results_per_window = settings["average_window_ms"] // (hop_ms * inference_every) + 2
    files = generate_model_sources(compiled, out_dir, [model.path])
    files += render_frontend_sources(recipe, out_dir)
    files.append(render("stream_app_config.h.j2", out_dir / "app_config.h", "codegen.emit.stream_firmware",
                        [board.path, model.path],
                        labels=labels, is_keyword=is_keyword, board_name=board.name, stream_name=STREAM_NAME,
                        hop_ms=hop_ms, inference_every=inference_every, frames=recipe.frames,
                        recognizer=settings, result_capacity=results_per_window))
    files.append(render_build_info(board, model.sha256, out_dir, [board.path, model.path]))
    board_files = render_board_support(board, out_dir)
    manifest = out_dir / "manifest.json"
    write_if_changed(manifest, json.dumps({
        "app": "stream", "board": board.name, "model": str(model.path), "model_sha256": model.sha256,
        "labels": labels, "recipe": recipe.name, "sample_rate": recipe.sample_rate, "hop_ms": hop_ms,
        "inference_every": inference_every, "recognizer": settings,
        "arena_bytes": compiled.arena_size, "weight_bytes": compiled.weight_bytes, "optimize": compiled.target.optimize,
        "weight_budget": compiled.weight_budget.summary(),
    }, indent=1) + "\n")
    sources = [f for f in files + board_files if f.suffix == ".c"] + app_sources("stream")
    linker = next(f for f in board_files if f.suffix == ".ld")
    return GeneratedFirmware(sources=sources, linker_script=linker, manifest=manifest)
