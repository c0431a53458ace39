"""``report.html``: one self-contained page per test or profile run, to open, share or attach to a ticket.

It holds the model summary, the size report, the per-layer profile (when ``profile`` ran: instructions,
estimated milliseconds, instructions per MAC) as a table and a chart, the memory plan as a chart that stays
readable at any number of layers (it scrolls; every rectangle names its buffer on hover, and a table lists
them), the test results with their scores, and the board and toolchain. No script, no stylesheet or font from
the network: inline CSS and SVG only. Python computes every number and coordinate; the template lays them out.
"""
from __future__ import annotations

import json
import platform
import subprocess
from collections import Counter
from pathlib import Path

from codegen.compiler.select import Target
from codegen.emit.render import render
from codegen.model.tflite_model import load_model
from codegen.pipeline import compile_model
from codegen.target.size_report import format_size_report, measure

ROW = 18            # pixels per layer row in the instruction chart
LABEL_AREA = 370    # pixels for "index operator · kernel" left of the bars
BAR_AREA = 520      # pixels for the longest bar
VALUE_AREA = 90     # pixels right of the longest bar for its count
AXIS_HEIGHT = 30    # pixels under the memory plan for the step labels
STEP_WIDTH = 16     # pixels per operator step in the memory-plan chart
PLAN_HEIGHT = 360


def _toolchain() -> str:
    try:
        out = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "arm-none-eabi-gcc (version unknown)"
    except OSError:
        return "arm-none-eabi-gcc not found"


def _versions() -> list[tuple[str, str]]:
    # The oracle's version is part of what a result means. It is read from the installed package's metadata:
    # importing TensorFlow here would load it a second time beside the oracle's worker process.
    from importlib.metadata import PackageNotFoundError, version
    import unicorn
    tensorflow = "not installed"
    for distribution in ("tensorflow-cpu", "tensorflow"):   # requirements.txt installs tensorflow-cpu
        try:
            tensorflow = version(distribution)
            break
        except PackageNotFoundError:
            continue
    return [("compiler", _toolchain()), ("TensorFlow (oracle)", tensorflow), ("unicorn", unicorn.__version__),
            ("Python", platform.python_version())]


def _layer_chart(layers: list[dict]) -> dict:
    longest = max((layer["instructions"] for layer in layers), default=1) or 1
    rows = []
    for row, layer in enumerate(layers):
        width = BAR_AREA * layer["instructions"] / longest
        rows.append(dict(y=row * ROW, width=round(width, 1), value_x=round(LABEL_AREA + 4 + width, 1), layer=layer))
    return dict(rows=rows, height=len(layers) * ROW + 4, width=LABEL_AREA + BAR_AREA + VALUE_AREA,
                bar_x=LABEL_AREA)


def _plan_chart(buffers: list[dict], arena: int, steps: int) -> dict:
    scale = PLAN_HEIGHT / max(arena, 1)
    step_width = max(STEP_WIDTH, 1080 // (steps + 2))     # a few layers fill the width; many layers scroll
    width = (steps + 2) * step_width
    rects = []
    for number, b in enumerate(buffers):
        first = max(b["first"], -1)
        rects.append(dict(x=(first + 1) * step_width, y=round(b["offset"] * scale, 1),
                          w=(b["last"] - first + 1) * step_width, h=max(round(b["bytes"] * scale, 1), 1.0),
                          hue=(number * 47) % 360, buffer=b))
    every = max(1, (steps + 1) // 40 + 1)      # a tick label every few steps, however many layers
    ticks = [dict(x=(s + 1) * step_width + step_width / 2, label=s) for s in range(-1, steps + 1, every)]
    return dict(rects=rects, width=width, height=PLAN_HEIGHT + AXIS_HEIGHT, tick_y=PLAN_HEIGHT + 18, ticks=ticks)


def _layer_ms(measured: dict | None, ms_per_instruction: float) -> float | None:
    """The timing model's estimate when the profile has one (profiles from before it do not)."""
    if measured is None:
        return None
    if "estimated_ms" in measured:
        return measured["estimated_ms"]
    return measured["instructions"] * ms_per_instruction


def write_report(build_dir: Path, board) -> Path:
    """Write ``build_dir/report.html`` from what the build and the last test or profile left there."""
    build_dir = Path(build_dir)
    manifest = json.loads((build_dir / "gen" / "manifest.json").read_text())
    model = load_model(manifest["model"])
    compiled = compile_model(model, Target.of(board, manifest.get("optimize", "size")))
    elf = build_dir / "firmware.elf"
    sizes = measure(elf, board, build_dir / "gen" / "manifest.json", build_dir / "firmware.map")
    profile_path, results_path = build_dir / "profile.json", build_dir / "results.json"
    profile = json.loads(profile_path.read_text()) if profile_path.is_file() else None
    results = json.loads(results_path.read_text()) if results_path.is_file() else None

    ms_per_instruction = 1000.0 / board.clock_hz
    layers = []
    for layer in compiled.layers:
        measured = profile["layers"][layer.index] if profile else None
        layers.append(dict(index=layer.index, operator=layer.opcode, kernel=layer.function or "(alias: no call)",
                           input_shape="x".join(map(str, layer.input_shape)),
                           output_shape="x".join(map(str, layer.output_shape)), macs=layer.macs,
                           instructions=measured["instructions"] if measured else 0,
                           ms=_layer_ms(measured, ms_per_instruction),
                           per_mac=measured["instructions_per_mac"] if measured else None))
    offsets = compiled.plan.offsets
    buffers = sorted(({"name": b.name, "offset": offsets[b.name], "end": offsets[b.name] + b.size, "bytes": b.size,
                       "first": b.first, "last": b.last}
                      for b in compiled.buffers), key=lambda b: (b["offset"], b["first"]))
    cases = []
    if results:
        labels = manifest.get("labels") or []
        out = manifest["outputs"][0]
        for case in results.get("cases", []):
            values = case.get("output") or []
            if values and isinstance(values[0], list):
                values = values[0]
            scores = [(labels[i] if i < len(labels) else str(i),
                       out["scale"] * (v - out["zero_point"]) if out["dtype"] != "float32" else v)
                      for i, v in enumerate(values[:16])]
            cases.append(dict(name=case.get("name"), source=case.get("source", ""), label=case.get("label"),
                              passed=case.get("passed"), instructions=case.get("instructions"), scores=scores))
    context = dict(
        title=f"{model.path.name} on {board.name}", model_name=model.name, model_file=model.path.name,
        description=model.description or "no description", sha256=model.sha256,
        operators=sorted(Counter(op.opcode for op in model.operators).items()), layer_count=len(compiled.layers),
        macs=sum(layer.macs for layer in compiled.layers), model_inputs=compiled.inputs, model_outputs=compiled.outputs,
        size_report=format_size_report(sizes, board), sizes=sizes,
        arena=compiled.arena_size, lower_bound=compiled.plan.lower_bound,
        profile=profile, layers=layers, layer_chart=_layer_chart(layers) if profile else None,
        ms_total=(profile.get("estimated_ms_per_inference",
                              profile["instructions_per_inference"] * ms_per_instruction) if profile else None),
        buffers=buffers, plan_chart=_plan_chart(buffers, compiled.arena_size, len(compiled.layers)),
        cases=cases, results=results, board=board, target=compiled.target.describe(), versions=_versions())
    return render("report.html.j2", build_dir / "report.html", "codegen.verify.report",
                  [model.path, board.path], **context)
