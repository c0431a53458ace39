"""Generate the evaluation firmware (``app=evaluate``): the model and ``app_config.h`` for
``firmware/app/evaluate_app.c``, which runs the model on every input the host offers over semihosting.
One image then serves a whole test set; ``codegen.verify.batch`` feeds it."""
from __future__ import annotations

import json

import numpy as np
from pathlib import Path

from codegen.emit.board_support import render_board_support
from codegen.emit.build_info import render_build_info
from codegen.emit.generate import GeneratedFirmware, generate_model_sources
from codegen.emit.render import render, write_if_changed
from codegen.pipeline import CompiledModel
from codegen.target.boards import Board
from codegen.target.toolchain import app_sources

INPUTS_NAME = "inputs.bin"     # the one file the emulator offers over semihosting


def generate_evaluate_firmware(board: Board, compiled: CompiledModel, labels: list[str] | None,
                               out_dir: Path) -> GeneratedFirmware:
    model = compiled.model
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = generate_model_sources(compiled, out_dir, [model.path])
    files.append(render("evaluate_app_config.h.j2", out_dir / "app_config.h", "codegen.emit.evaluate_firmware",
                        [board.path, model.path], board_name=board.name, inputs_name=INPUTS_NAME))
    files.append(render_build_info(board, model.sha256, out_dir, [board.path, model.path]))
    board_files = render_board_support(board, out_dir)
    manifest = out_dir / "manifest.json"
    tensor = lambda i: model.tensors[i]
    write_if_changed(manifest, json.dumps({
        "app": "evaluate", "board": board.name, "model": str(model.path), "model_sha256": model.sha256,
        "labels": labels, "inputs_name": INPUTS_NAME,
        "inputs": [{"shape": list(tensor(i).shape), "dtype": np.dtype(tensor(i).dtype).name} for i in model.inputs],
        "outputs": [{"shape": list(tensor(i).shape), "dtype": np.dtype(tensor(i).dtype).name} for i in model.outputs],
        "arena_bytes": compiled.arena_size, "weight_bytes": compiled.weight_bytes, "optimize": compiled.target.optimize,
        "weight_budget": compiled.weight_budget.summary(),
    }, indent=1) + "\n")
    sources = [f for f in files + board_files if f.suffix == ".c"] + app_sources("evaluate")
    linker = next(f for f in board_files if f.suffix == ".ld")
    return GeneratedFirmware(sources=sources, linker_script=linker, manifest=manifest)
