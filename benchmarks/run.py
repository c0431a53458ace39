"""Build and profile the shared reference models on every board; write benchmarks/results.md.

    .venv/bin/python benchmarks/run.py [--boards bluepill,efr32mg12] [--models micro_speech_quantized,...]

Each model is built with one seeded random input embedded (``vectors=1``, as the issue's flash figures
assume one input array), then ``scons profile`` runs one inference in the emulator, checks the outputs
against TFLite's reference kernels and writes ``profile.json`` beside the firmware. Instruction counts are
exact and deterministic; milliseconds are the emulator's latency estimate (README: "Latency estimate").
Each figure is also given as a ratio to TFLM + CMSIS-NN's on the same emulator, read from the table in
``../shared/README.md`` (M3, M4F and M33 instructions; M4F flash and RAM), against issue 16's targets.
A model whose operators are not all supported yet is listed with the reason instead of numbers.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHARED_MODELS = SHARED / "models"
RESULTS = ROOT / "benchmarks" / "results.md"

MODELS = {
    "micro_speech_quantized": "micro_speech",
    "tflite_micro_speech": "MLTK micro speech",
    "kws_ref_model": "DS-CNN (MLPerf kws_ref_model)",
    "micro_speech_lstm": "micro_speech LSTM",
    "hello_world_int8": "hello_world",
    "ad01_int8": "anomaly detection (MLPerf ad01)",
    "pretrainedResnet_quant": "image classification (MLPerf ResNet-8)",
    "vww_96_int8": "visual wake words (MLPerf vww_96)",
}
# Issue 16's targets, as ratios to TFLM + CMSIS-NN: instructions on every model and core, their geometric
# mean per core, flash and RAM.
INSTRUCTIONS_TARGET, GEOMEAN_TARGET, FLASH_TARGET, RAM_TARGET = 0.6, 0.5, 0.8, 0.9
# The columns of ../shared/README.md's TFLM table that a core is compared with.
TFLM_CORE_COLUMN = {"cortex-m3": "M3 instructions", "cortex-m4": "M4F instructions",
                    "cortex-m33": "M33 instructions"}
# The board each core's summary row uses: bluepill is the M3 when the model fits it, nucleo_f207zg when not
# (as TFLM's M3 figures for large models were taken on a bluepill-like board with 1 MB of flash).
SUMMARY_BOARDS = {"M3": ("bluepill", "nucleo_f207zg"), "M4F": ("efr32mg12",), "M33": ("efr32mg24",)}


def tflm_figures(readme: Path = SHARED / "README.md") -> dict[str, dict[str, int]]:
    """The TFLM + CMSIS-NN table of ../shared/README.md: model stem -> column name -> figure."""
    lines = readme.read_text().splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("| model | M3 instructions"))
    except StopIteration:
        raise SystemExit(f"error: {readme} has no TFLM table (a line starting '| model | M3 instructions')")
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    figures = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        figures[cells[0]] = {name: int(re.sub(r"[^0-9]", "", value)) for name, value in zip(header[1:], cells[1:])}
    return figures


def boards() -> list[str]:
    return sorted(p.stem for p in (ROOT / "boards").glob("*.toml"))


def profile(board: str, stem: str, optimize: str = "size") -> dict | str:
    model = SHARED_MODELS / f"{stem}.tflite"
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "scons"), "-Q", f"board={board}", f"model={model}",
                           "vectors=1", f"optimize={optimize}", "profile"], cwd=ROOT, capture_output=True, text=True)
    # where scons built it: build/, or $TINYFORGE_BUILD_DIR when that is set
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from codegen.paths import build_root
    path = build_root() / board / stem / "profile.json"
    if proc.returncode != 0 or not path.is_file():
        errors = [line for line in (proc.stderr + proc.stdout).splitlines() if "error" in line.lower()]
        reason = (errors[0] if errors else f"scons exited with {proc.returncode}").removeprefix("error: ")
        return reason.split(" (the region")[0]     # the table keeps the verdict and the overflow
    return json.loads(path.read_text())


def speed_differs(board: str, stem: str) -> bool:
    """Whether optimize=speed chooses other kernels than the default optimize=size for this model and board."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from codegen.compiler.select import Target
    from codegen.model.tflite_model import load_model
    from codegen.pipeline import compile_model
    from codegen.target.boards import load_board
    model, spec = load_model(SHARED_MODELS / f"{stem}.tflite"), load_board(board)
    return compile_model(model, Target.of(spec, "size")).weight_budget.given_up != []


def ratio(value: float, reference: int | None, target: float | None = None, digits: int = 2) -> str:
    """value / reference, with ✓ or ✗ against the target."""
    if not reference:
        return "—"
    r = value / reference
    if target is None:
        return f"{r:.{digits}f}"
    return f"{r:.{digits}f} {'✓' if r <= target else '✗'}"


def slowest_layer(p: dict) -> str:
    """The layer that takes the most instructions, with its instructions per MAC and share of the model."""
    layer = max(p["layers"], key=lambda layer: layer["instructions"])
    per_mac = f"{layer['instructions_per_mac']:.2f} instr/MAC" if layer["instructions_per_mac"] else "no MACs"
    share = 100.0 * layer["instructions"] / p["instructions_per_inference"]
    return f"#{layer['index']} {layer['operator']} `{layer['kernel']}`: {per_mac}, {share:.0f} %"


def table(results: dict, tflm: dict) -> list[str]:
    lines = ["| model | board (core) | instructions | ÷ TFLM | instr/MAC | est. ms | flash bytes | ÷ TFLM M4F | weights ÷ .tflite | "
             "RAM bytes (arena + static + peak stack) | ÷ TFLM M4F | arena at lower bound | slowest layer | "
             "bit-exact |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for stem, per_board in results.items():
        reference = tflm.get(stem, {})
        for board, p in per_board.items():
            if isinstance(p, str):
                lines.append(f"| {MODELS[stem]} | {board} | not built: {p} | | | | | | | | | | | |")
                continue
            r, f = p["ram_bytes"], p["flash_bytes"]
            column = TFLM_CORE_COLUMN.get(p["cpu"])
            instructions = p["instructions_per_inference"]
            per_mac = f"{instructions / p['macs']:.2f}" if p["macs"] else "—"
            at_bound = "yes" if r["arena"] <= p["arena_lower_bound"] else f"no (+{r['arena'] - p['arena_lower_bound']:,})"
            lines.append(
                f"| {MODELS[stem]} | {board} ({p['cpu']}) | {instructions:,} | "
                f"{ratio(instructions, reference.get(column) if column else None, INSTRUCTIONS_TARGET)} | {per_mac} | "
                f"{p['estimated_ms_per_inference']:,.2f} | {f['deployable']:,} | "
                f"{ratio(f['deployable'], reference.get('flash M4F (bytes)'), FLASH_TARGET)} | "
                f"{ratio(f['weights'], p['tflite_weight_budget_bytes'], 1.0, digits=3)} | "
                f"{r['total']:,} = {r['arena']:,} + {r['static']:,} + {r['stack_peak']:,} | "
                f"{ratio(r['total'], reference.get('RAM M4F (bytes)'), RAM_TARGET)} | {at_bound} | "
                f"{slowest_layer(p)} | {'yes' if p['bit_exact'] else 'NO'} |")
    return lines


def summary(results: dict, tflm: dict, speed: dict | None = None) -> list[str]:
    """Issue 16's instruction targets per model and core, and the geometric mean per core, with the default
    optimize=size; where optimize=speed chooses other kernels, its figure beside it and in a second mean."""
    speed = speed or {}
    lines = ["| model | M3 | M4F | M33 |", "|---|---:|---:|---:|"]
    logs: dict[str, dict[str, list[float]]] = {core: {"size": [], "speed": []} for core in SUMMARY_BOARDS}

    def mark(r: float) -> str:
        return f"{r:.2f} {'✓' if r <= INSTRUCTIONS_TARGET else '✗'}"

    for stem, per_board in results.items():
        cells = []
        for core, candidates in SUMMARY_BOARDS.items():
            built = [(b, per_board[b]) for b in candidates if isinstance(per_board.get(b), dict)]
            reference = tflm.get(stem, {}).get(f"{core} instructions")
            if not built or not reference:
                cells.append("—")
                continue
            board, p = built[0]
            r = p["instructions_per_inference"] / reference
            faster = speed.get(stem, {}).get(board)
            fast = faster["instructions_per_inference"] / reference if isinstance(faster, dict) else r
            logs[core]["size"].append(math.log(r))
            logs[core]["speed"].append(math.log(fast))
            cells.append(f"{mark(r)} ({board})" + (f"; optimize=speed {mark(fast)}" if fast != r else ""))
        lines.append(f"| {MODELS[stem]} | {' | '.join(cells)} |")
    for setting in ("size", "speed"):
        means = []
        for core in SUMMARY_BOARDS:
            values = logs[core][setting]
            if values:
                mean = math.exp(sum(values) / len(values))
                means.append(f"{mean:.2f} {'✓' if mean <= GEOMEAN_TARGET else '✗'}")
            else:
                means.append("—")
        lines.append(f"| geometric mean, optimize={setting} | {' | '.join(means)} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", default=",".join(boards()), help="comma-separated (default: every board file)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated model stems under ../shared/models")
    args = parser.parse_args()
    if not SHARED_MODELS.is_dir():
        print(f"error: {SHARED_MODELS} not found; the benchmarks use the shared reference models", file=sys.stderr)
        return 2
    tflm = tflm_figures()
    results: dict = {}
    speed: dict = {}       # optimize=speed, where it chooses other kernels than the default
    for stem in args.models.split(","):
        if stem not in MODELS:
            print(f"error: unknown model '{stem}'; known: {', '.join(MODELS)}", file=sys.stderr)
            return 2
        for board in args.boards.split(","):
            p = profile(board, stem)
            results.setdefault(stem, {})[board] = p
            shown = p if isinstance(p, str) else f"{p['instructions_per_inference']:,} instructions"
            print(f"{stem} on {board}: {shown}", flush=True)
            if isinstance(p, dict) and speed_differs(board, stem):
                fast = profile(board, stem, "speed")
                speed.setdefault(stem, {})[board] = fast
                shown = fast if isinstance(fast, str) else f"{fast['instructions_per_inference']:,} instructions"
                print(f"{stem} on {board}, optimize=speed: {shown}", flush=True)
    lines = ["# Benchmarks", "",
             "Generated by `.venv/bin/python benchmarks/run.py`: each shared model built with one embedded input "
             "(`vectors=1`) and profiled with `scons board=B model=M vectors=1 profile`, that is with the default "
             "`optimize=size` (README: \"The weight budget\"), and again with `optimize=speed` where that "
             "chooses other kernels (one inference in the "
             "emulator, outputs checked against TFLite's reference kernels). Instruction counts are exact and "
             "deterministic; est. ms is the latency estimate at the board's clock (README: \"Latency estimate\"). "
             "Flash is the deployable firmware: the size report's figure without the test application and its "
             "embedded test data. ÷ TFLM is the ratio to TFLM + CMSIS-NN on the same emulator, from "
             "`../shared/README.md`: instructions on the same core (M3, M4F, M33; none is given for the M0+ and "
             "M7), flash and RAM against its M4F build. ✓ and ✗ are issue 16's targets: instructions ≤ "
             f"{INSTRUCTIONS_TARGET}, flash ≤ {FLASH_TARGET}, RAM ≤ {RAM_TARGET}, and weights no larger than "
             "what the .tflite holds for its constant tensors (weights ÷ .tflite ≤ 1: the firmware's weights and "
             "parameters, tuned layouts and lookup tables included, against the tensors' data and quantization "
             "parameters, a float32 scale and an int64 zero point per channel). The slowest layer is the one that "
             "takes the most instructions.", "",
             *table(results, tflm), "",
             *(["With `optimize=speed`, where it chooses other kernels than the default:", "",
                *table(speed, tflm), ""] if speed else []),
             "Instructions against TFLM + CMSIS-NN per core (issue 16: each ≤ "
             f"{INSTRUCTIONS_TARGET}, geometric mean ≤ {GEOMEAN_TARGET}); the M3 column is bluepill's, or "
             "nucleo_f207zg's for models that do not fit it:", "",
             *summary(results, tflm, speed), ""]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    bad = [f"{s} on {b}" for runs in (results, speed) for s, pb in runs.items() for b, p in pb.items()
           if not isinstance(p, str) and not p["bit_exact"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
