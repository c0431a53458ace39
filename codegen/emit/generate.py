"""Write every generated source of one firmware into ``gen/``.

``model.c``/``model.h`` (the compiled model), ``test_inputs.c``/``.h`` (the
embedded inputs), ``main.c`` (the test application), the board support files
and ``manifest.json``, which tells the host-side test runner what the firmware
was built from (inputs as tensors, labels, output quantization).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from codegen.emit.board_support import render_board_support
from codegen.emit.build_info import render_build_info
from codegen.target.boards import Board
from codegen.verify.cases import TestCase
from codegen.pipeline import CompiledModel
from codegen.compiler import select
from codegen.emit.render import render, write_if_changed
from codegen.target.toolchain import app_sources



# The kernels' ABI this generator writes for: TF_KERNELS_ABI_VERSION in firmware/include/tinyforge/kernels.h.
KERNELS_ABI_VERSION = 2


@dataclass
class GeneratedFirmware:
    sources: list[Path]      # C files to compile besides kernels, runtime and board support: gen/ and the app
    linker_script: Path
    manifest: Path


def model_context(compiled: CompiledModel, api: str = "model", header: str = "model.h", library: bool = False,
                  external_arena: bool = False) -> dict:
    """What model.h.j2 and model.c.j2 need. ``api`` names the functions (``<api>_invoke``) and, upper case, the
    macros; ``library``: the exported library's API (``codegen.emit.library``), whose invoke returns a status
    and whose kernels carry the prefix; ``external_arena``: the caller gives the arena to ``<api>_init``."""
    from codegen.target.boards import CORE_ARCH_MACRO
    model = compiled.model
    offsets = compiled.plan.offsets
    target = compiled.target
    guard = None if target.core == "host" else dict(core=target.core, dsp=target.dsp, board=target.board,
                                                    arch_macro=CORE_ARCH_MACRO[target.core])
    return dict(
        api=api, API=api.upper(), header=header, library=library, external_arena=external_arena, guard=guard,
        target_description=target.describe(),
        model_name=model.name, model_description=model.description or "no description",
        layer_count=len(compiled.layers), layers=compiled.layers,
        arena_size=compiled.arena_size, arena_lower_bound=compiled.plan.lower_bound,
        arena_alignment=compiled.plan.alignment,
        buffers=sorted(({"name": b.name, "size": b.size, "offset": offsets[b.name], "first": b.first,
                         "last": b.last} for b in compiled.buffers), key=lambda b: (b["offset"], b["first"])),
        io_inputs=compiled.inputs, io_outputs=compiled.outputs, kernels_abi_version=KERNELS_ABI_VERSION,
        limits=dict(dw_max_kernel_h=select.FAST_DEPTHWISE_MAX_KERNEL_H, tap_pairs_max_taps=select.TAP_PAIRS_MAX_TAPS))


def generate_model_sources(compiled: CompiledModel, out_dir: Path, inputs: list[Path]) -> list[Path]:
    """model.h and model.c of a firmware (or of the host build): the ``model_`` API."""
    context = model_context(compiled)
    return [render("model.h.j2", out_dir / "model.h", "codegen.emit.generate", inputs, **context),
            render("model.c.j2", out_dir / "model.c", "codegen.emit.generate", inputs, **context)]


def generate_firmware(board: Board, compiled: CompiledModel, cases: list[TestCase], labels: list[str] | None,
                      out_dir: Path, input_files: list[Path], frontend_recipe=None) -> GeneratedFirmware:
    """``frontend_recipe``: a feature recipe for frontend=device (embed PCM, compute features on the device)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_inputs = [compiled.model.path]
    case_inputs = model_inputs + list(input_files)
    files = generate_model_sources(compiled, out_dir, model_inputs)
    cases_context = [{"name": c.name, "source": c.source, "tensors": [t.ravel().tolist() for t in c.tensors],
                      "audio": None if c.audio is None else c.audio.tolist()} for c in cases]
    inputs_template = "test_inputs"
    if frontend_recipe is not None:
        from codegen.features.firmware import check_device_frontend_cases, render_frontend_sources
        check_device_frontend_cases(cases, frontend_recipe)
        files += render_frontend_sources(frontend_recipe, out_dir)
        inputs_template = "test_audio"
    files.append(render(f"{inputs_template}.h.j2", out_dir / "test_inputs.h", "codegen.emit.generate", case_inputs,
                        cases=cases_context))
    files.append(render(f"{inputs_template}.c.j2", out_dir / "test_inputs.c", "codegen.emit.generate", case_inputs,
                        cases=cases_context, input_ctypes=[t.ctype for t in compiled.inputs]))
    # TFLite's outputs, computed once: embedded for the firmware's own verdict and kept in the manifest for
    # the host's (codegen.verify.testrun).
    from codegen.verify.reference import reference_outputs
    references = reference_outputs(compiled.model.path, [c.tensors for c in cases])
    from codegen.verify.float_bound import tolerance
    tolerances = [[tolerance(compiled, r) for r in refs] for refs in references]
    expected = [{"name": c.name, "expected": [list(r.tobytes()) for r in refs], "tolerance": tols}
                for c, refs, tols in zip(cases, references, tolerances)]
    has_tolerance = any(t for tols in tolerances for t in tols)
    files.append(render("test_expected.h.j2", out_dir / "test_expected.h", "codegen.emit.generate", case_inputs,
                        has_tolerance=has_tolerance))
    files.append(render("test_expected.c.j2", out_dir / "test_expected.c", "codegen.emit.generate", case_inputs,
                        cases=expected, has_tolerance=has_tolerance))
    files.append(render("test_app_config.h.j2", out_dir / "app_config.h", "codegen.emit.generate",
                        [board.path, *model_inputs], labels=labels or [], board_name=board.name,
                        device_frontend=frontend_recipe is not None))
    files.append(render_build_info(board, compiled.model.sha256, out_dir, [board.path, *model_inputs]))
    board_files = render_board_support(board, out_dir)
    manifest = out_dir / "manifest.json"
    write_if_changed(manifest, json.dumps({
        "board": board.name,
        "model": str(compiled.model.path),
        "model_sha256": compiled.model.sha256,
        "labels": labels,
        "frontend": "host" if frontend_recipe is None else "device",
        "arena_bytes": compiled.arena_size,
        "arena_lower_bound": compiled.plan.lower_bound,
        "weight_bytes": compiled.weight_bytes, "optimize": compiled.target.optimize,
        "weight_budget": compiled.weight_budget.summary(),
        "outputs": [{"name": t.name, "shape": list(t.shape), "scale": t.scale, "zero_point": t.zero_point,
                     "dtype": t.dtype}
                    for t in compiled.outputs],
        "cases": [{"name": c.name, "source": c.source, "inputs": [t.ravel().tolist() for t in c.tensors],
                   "expected": [r.tobytes().hex() for r in refs], "tolerance": tols}
                  for c, refs, tols in zip(cases, references, tolerances)],
    }, indent=1) + "\n")
    sources = [f for f in files + board_files if f.suffix == ".c"]
    sources += app_sources("test", "device" if frontend_recipe is not None else "host")
    linker = next(f for f in board_files if f.suffix == ".ld")
    return GeneratedFirmware(sources=sources, linker_script=linker, manifest=manifest)
