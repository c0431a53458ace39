"""Per-layer profile of a built firmware: instructions, MACs, memory plan, flash and RAM split.

The firmware is the production build: ``model.c`` calls one out-of-line
``model_layer_<i>()`` per layer (see ``templates/model.c.j2``), and the
emulator records the instruction count at every entry of those functions and
of the ``tf_marker_begin``/``tf_marker_end`` pair around the first inference.
A layer's count runs from its entry to the next layer's entry (or the end
marker), so it includes its call; what the marker span holds beyond the
layers (the marker body, ``model_invoke``'s prologue and return) is reported
as ``call_overhead``, and layers plus overhead equal the span exactly.

The same run's outputs are compared with TFLite's reference kernels, so a
profile is only written for a bit-exact firmware.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from codegen.verify.float_bound import agrees, tolerance
from codegen.target.boards import Board
from codegen.verify.emulator import run_firmware
from codegen.verify.emulator.timing import core_timing
from codegen.errors import TinyforgeError
from codegen.compiler.select import Target
from codegen.pipeline import compile_model
from codegen.verify.reference import reference_outputs
from codegen.target.size_report import measure
from codegen.verify.testrun import parse_results
from codegen.model.tflite_model import load_model

MARKERS = ("tf_marker_begin", "tf_marker_end")


def code_bytes(elf_path: Path, board: Board) -> int:
    """Bytes of machine code in flash: the sizes of every function symbol."""
    with open(elf_path, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            raise TinyforgeError(f"{elf_path}: no symbol table; cannot split flash into code and constants")
        return sum(s["st_size"] for s in symtab.iter_symbols()
                   if s["st_info"]["type"] == "STT_FUNC" and board.flash.origin <= s["st_value"] < board.flash.end)


def layer_counts(hits: list[tuple[str, int]], layer_symbols: list[str]) -> tuple[int, list[int]]:
    """(marker span, instructions per layer) of the first inference in ``hits``."""
    try:
        begin = next(i for i, (name, _) in enumerate(hits) if name == MARKERS[0])
        end = next(i for i, (name, _) in enumerate(hits) if name == MARKERS[1] and i > begin)
    except StopIteration:
        raise TinyforgeError("the firmware never ran an inference between tf_marker_begin and tf_marker_end")
    inside = hits[begin + 1:end]
    if [name for name, _ in inside] != layer_symbols:
        raise TinyforgeError(f"expected the layers {layer_symbols} in order inside the first inference, "
                             f"saw {[name for name, _ in inside]}")
    stops = [count for _, count in inside] + [hits[end][1]]
    return hits[end][1] - hits[begin][1], [b - a for a, b in zip(stops, stops[1:])]


def _shape(shape) -> list[int]:
    return [int(d) for d in shape]


def profile_firmware(elf: Path, board: Board, build_dir: Path, max_instructions: int = 500_000_000,
                     echo=print) -> int:
    """Profile ``elf``; write profile.json and profile.png into ``build_dir``; 0 when bit-exact."""
    manifest = json.loads((build_dir / "gen" / "manifest.json").read_text())
    model = load_model(manifest["model"])
    compiled = compile_model(model, Target.of(board, manifest.get("optimize", "size")))
    symbols = [f"model_layer_{layer.index}" for layer in compiled.layers]
    timing = core_timing(board)
    run = run_firmware(elf, board, max_instructions=max_instructions, watch=[*symbols, *MARKERS], timing=timing)
    if run.fault is not None:
        raise TinyforgeError(f"{elf}: {run.fault.message}")

    cases = manifest["cases"]
    references = reference_outputs(manifest["model"], [c["inputs"] for c in cases])
    parsed = parse_results(run.console)
    # Judged as the test run judges (codegen.verify.testrun): the output bytes as TFLite's, or float32 within
    # the stated bound where the model calls the C library's expf or tanhf.
    def judge(parsed):
        return [i in parsed and parsed[i][0] == c["name"] and len(parsed[i][2]) == len(references[i]) and
                all(agrees(np.frombuffer(got, np.asarray(want).dtype), np.ascontiguousarray(want).ravel(),
                           tolerance(compiled, want)) for got, want in zip(parsed[i][2], references[i]))
                for i, c in enumerate(cases)]
    exact = judge(parsed)
    if run.flash_reads_priced is False:
        # run_firmware ran it twice: the run pricing flash reads took another path (a Unicorn fault under a
        # memory hook), so the counts and the estimate are the other run's
        echo("note: the estimated ms leave out flash wait states on data reads (the emulator's run with "
             "them counted ran other instructions: a Unicorn fault under a memory hook)")

    span, per_layer = layer_counts(run.watch_hits, symbols)
    cycle_span, layer_cycles = layer_counts([(name, cycles) for (name, _), cycles
                                             in zip(run.watch_hits, run.watch_cycles)], symbols)
    sizes = measure(elf, board, build_dir / "gen" / "manifest.json", Path(elf).with_suffix(".map"))
    code = code_bytes(elf, board) - sizes["flash_harness_code"]
    offsets = compiled.plan.offsets
    layers = []
    for layer, count, cycles in zip(compiled.layers, per_layer, layer_cycles):
        layers.append({
            "index": layer.index, "operator": layer.opcode, "kernel": layer.function or "(alias: no call)", "template": layer.template,
            "input_shape": _shape(layer.input_shape), "output_shape": _shape(layer.output_shape),
            "macs": layer.macs, "instructions": count,
            "instructions_per_mac": round(count / layer.macs, 3) if layer.macs else None,
            "estimated_cycles": round(cycles), "estimated_ms": round(timing.ms(cycles), 4),
            "output_offset": layer.output_offset, "output_bytes": layer.output_bytes,
        })
    stack_peak = run.stack_peak or 0
    profile = {
        "model": Path(manifest["model"]).name, "board": board.name, "cpu": board.core,
        "bit_exact": all(exact), "cases_checked": len(cases),
        "instructions_per_inference": span,
        "call_overhead": span - sum(per_layer),
        # An estimate from the instructions run: see codegen/verify/emulator/timing.py.
        "estimated_cycles_per_inference": round(cycle_span),
        "estimated_ms_per_inference": round(timing.ms(cycle_span), 4),
        "estimated_call_overhead_cycles": round(cycle_span) - sum(round(c) for c in layer_cycles),
        "clock_hz": board.clock_hz,
        "timing_model": timing.assumptions(),
        "macs": sum(layer.macs for layer in compiled.layers),
        # deployable: the firmware without the test application and its embedded test data
        "flash_bytes": {"code": code, "weights": sizes["flash_weights"],
                        "other_constants": sizes["flash_deployable"] - code - sizes["flash_weights"],
                        "deployable": sizes["flash_deployable"], "test_application": sizes["flash_harness"],
                        "test_data": sizes["flash_test_data"], "total": sizes["flash"]},
        "ram_bytes": {"arena": sizes["ram_arena"], "static": sizes["ram_static"], "stack_peak": stack_peak,
                      "total": sizes["ram_arena"] + sizes["ram_static"] + stack_peak},
        "arena_lower_bound": compiled.plan.lower_bound,
        # what the .tflite holds for its constant tensors (data and quantization parameters), against the weights
        # and parameters above (codegen.compiler.budget)
        "optimize": compiled.target.optimize,
        "tflite_weight_budget_bytes": compiled.weight_budget.budget,
        "weight_budget": compiled.weight_budget.summary(),
        "buffers": [{"name": b.name, "offset": offsets[b.name], "bytes": b.size, "first": b.first, "last": b.last}
                    for b in compiled.buffers],
        "layers": layers,
    }
    (build_dir / "profile.json").write_text(json.dumps(profile, indent=1) + "\n")
    plot_profile(profile, build_dir / "profile.png")
    for line in format_profile(profile):
        echo(line)
    if not all(exact):
        bad = [cases[i]["name"] for i, ok in enumerate(exact) if not ok]
        echo(f"MISMATCH with TFLite's reference kernels: {', '.join(bad)}")
        return 1
    return 0


def format_profile(p: dict) -> list[str]:
    lines = [f"{p['model']} on {p['board']} ({p['cpu']}): one inference, "
             f"{'bit-exact' if p['bit_exact'] else 'NOT bit-exact'} on {p['cases_checked']} input(s)",
             f"{'#':>3} {'operator':<20} {'kernel':<24} {'in':<16} {'out':<16} {'MACs':>9} {'instr':>10} "
             f"{'instr/MAC':>9} {'est. ms':>8} {'out offset':>10} {'out bytes':>9}"]
    for layer in p["layers"]:
        ipm = f"{layer['instructions_per_mac']:.2f}" if layer["instructions_per_mac"] is not None else "-"
        lines.append(f"{layer['index']:>3} {layer['operator']:<20} {layer['kernel']:<24} "
                     f"{'x'.join(map(str, layer['input_shape'])):<16} {'x'.join(map(str, layer['output_shape'])):<16} "
                     f"{layer['macs']:>9,} {layer['instructions']:>10,} {ipm:>9} {layer['estimated_ms']:>8.3f} "
                     f"{layer['output_offset']:>10,} "
                     f"{layer['output_bytes']:>9,}")
    total_ipm = p["instructions_per_inference"] / p["macs"] if p["macs"] else 0
    lines.append(f"    {'call overhead':<79} {p['call_overhead']:>10,}")
    lines.append(f"    {'total':<62} {p['macs']:>9,} {p['instructions_per_inference']:>10,} {total_ipm:>9.2f} "
                 f"{p['estimated_ms_per_inference']:>8.3f}")
    lines.append(f"latency (estimate) {p['estimated_ms_per_inference']:,.3f} ms per inference = "
                 f"{p['estimated_cycles_per_inference']:,} cycles at {p['clock_hz'] / 1e6:g} MHz "
                 f"({p['estimated_cycles_per_inference'] / p['instructions_per_inference']:.2f} cycles per "
                 f"instruction); model: {p['timing_model']}")
    f, r = p["flash_bytes"], p["ram_bytes"]
    lines.append(f"flash {f['deployable']:,} bytes = code {f['code']:,} + weights {f['weights']:,} "
                 f"+ other constants {f['other_constants']:,} (without the test application {f['test_application']:,} "
                 f"and test data {f['test_data']:,})")
    if p["tflite_weight_budget_bytes"]:
        lines.append(p["weight_budget"])
    else:
        lines.append(f"weights and parameters {f['weights']:,} bytes (lookup tables and parameters; the .tflite "
                     "holds no constant tensors)")
    lines.append(f"RAM   {r['total']:,} bytes = arena {r['arena']:,} (lower bound {p['arena_lower_bound']:,}) "
                 f"+ static {r['static']:,} + peak stack {r['stack_peak']:,}")
    return lines


LABELLED_LAYERS = 40


def plot_profile(p: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    layers = p["layers"]
    # Beyond LABELLED_LAYERS layers, every Nth layer is labelled and the figure widens, so labels never overlap;
    # report.html has every layer, with names on hover.
    step = max(1, -(-len(layers) // LABELLED_LAYERS))
    width = min(10 + max(0, len(layers) - LABELLED_LAYERS) * 0.08, 30)
    fig, (bars, plan) = plt.subplots(2, 1, figsize=(width, 8), constrained_layout=True)
    shown = range(0, len(layers), step)
    labels = [f"{layers[i]['index']} {layers[i]['operator']}" for i in shown]
    bars.bar(range(len(layers)), [layer["instructions"] for layer in layers], color="tab:blue")
    bars.set_xticks(list(shown), labels, rotation=30 if step == 1 else 60, ha="right", fontsize=8)
    if step > 1:
        bars.set_xlabel(f"every {step}th layer labelled")
    bars.set_ylabel("instructions")
    bars.set_title(f"{p['model']} on {p['board']}: {p['instructions_per_inference']:,} instructions per inference")

    # A buffer's name only where its rectangle is wide enough for it (about 5 pixels a character at this size,
    # shortened to fit); report.html names every buffer.
    steps_shown = max((b["last"] for b in p["buffers"]), default=0) + 3
    px_per_step = width * 100 * 0.85 / steps_shown
    for i, b in enumerate(p["buffers"]):
        first, last = max(b["first"], -1), b["last"]
        plan.add_patch(Rectangle((first - 0.5, b["offset"]), last - first + 1, b["bytes"],
                                 facecolor=f"C{i % 10}", edgecolor="black", alpha=0.6))
        room = int((last - first + 1) * px_per_step / 5)
        if room >= 6:
            plan.text(first - 0.4, b["offset"] + b["bytes"] / 2, b["name"][:min(room, 28)], fontsize=7, va="center")
    steps = [b["first"] for b in p["buffers"]] + [b["last"] for b in p["buffers"]]
    plan.set_xlim(min(steps, default=0) - 1, max(steps, default=0) + 1)
    plan.set_ylim(0, max(p["ram_bytes"]["arena"], 1))
    plan.set_xlabel("layer (step; -1 is the model input before the first layer)")
    plan.set_ylabel("arena offset (bytes)")
    plan.set_title(f"memory plan: arena {p['ram_bytes']['arena']:,} bytes, "
                   f"lower bound {p['arena_lower_bound']:,}")
    fig.savefig(path, dpi=100)
    plt.close(fig)
