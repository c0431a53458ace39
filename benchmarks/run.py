"""Build and profile the shared reference models on every board; write benchmarks/results.md.

    .venv/bin/python benchmarks/run.py [--boards bluepill,efr32mg12] [--models micro_speech_quantized,...]

Each model is built with one seeded random input embedded (``vectors=1``, as the issue's flash figures
assume one input array), then ``scons profile`` runs one inference in the emulator, checks the outputs
against TFLite's reference kernels and writes ``profile.json`` beside the firmware. The figures are
deterministic instruction counts, not wall time. A model whose operators are not all supported yet is
listed with the reason instead of numbers.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODELS = ROOT.parent / "shared" / "models"
RESULTS = ROOT / "benchmarks" / "results.md"

# Targets from issue 5: instructions on Cortex-M3 and on Cortex-M4F/M33, flash and RAM (arena + static + stack).
MODELS = {
    "micro_speech_quantized": dict(title="micro_speech", m3=1_000_000, dsp=750_000, flash=25_800, ram=6_400),
    "tflite_micro_speech": dict(title="MLTK micro speech", m3=1_850_000, dsp=1_200_000, flash=27_500, ram=6_400),
    "kws_ref_model": dict(title="DS-CNN (MLPerf kws_ref_model)", m3=7_000_000, dsp=5_100_000, flash=45_000,
                          ram=12_000),
    # The other shared models: measured, with no issue-5 target (issue 16 sets targets against TFLM for all).
    "micro_speech_lstm": dict(title="micro_speech LSTM"),
    "hello_world_int8": dict(title="hello_world"),
    "ad01_int8": dict(title="anomaly detection (MLPerf ad01)"),
    "pretrainedResnet_quant": dict(title="image classification (MLPerf ResNet-8)"),
    "vww_96_int8": dict(title="visual wake words (MLPerf vww_96)"),
}
# TFLM (git 90b983c2, arm-none-eabi-gcc 12.2, newlib-nano) on the same emulator, from issue 5:
# (build, instructions, flash, arena + static + stack).
TFLM = {
    "micro_speech_quantized": [("M3 reference -Os", 17_774_534, 51_524, 6_788 + 488 + 640),
                               ("M3 CMSIS-NN -O2", 1_512_494, 74_668, 6_836 + 488 + 1_348),
                               ("M4F CMSIS-NN -O2", 1_495_367, 81_404, 6_836 + 488 + 1_316)],
    "tflite_micro_speech": [("M3 CMSIS-NN -O2", 2_773_178, 80_708, 8_868 + 488 + 1_292),
                            ("M4F CMSIS-NN -O2", 2_397_764, 91_916, 8_868 + 488 + 1_324)],
    "kws_ref_model": [("M3 CMSIS-NN -O2", 10_534_134, 128_898, 22_820 + 560 + 1_292),
                      ("M4F CMSIS-NN -O2", 7_699_906, 141_802, 22_820 + 560 + 1_324)],
}


def boards() -> list[str]:
    return sorted(p.stem for p in (ROOT / "boards").glob("*.toml"))


def board_has_dsp(board: str) -> bool:
    sys.path.insert(0, str(ROOT))
    from codegen.target.boards import load_board
    return load_board(board).dsp


def instruction_target(board: str, targets: dict) -> int | None:
    """Issue 5's targets are for Cortex-M3 and for the DSP cores; other cores (the M0+) have none."""
    sys.path.insert(0, str(ROOT))
    from codegen.target.boards import load_board
    if board_has_dsp(board):
        return targets.get("dsp")
    return targets.get("m3") if load_board(board).core == "cortex-m3" else None


def profile(board: str, stem: str) -> dict | str:
    model = SHARED_MODELS / f"{stem}.tflite"
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "scons"), "-Q", f"board={board}", f"model={model}",
                           "vectors=1", "profile"], cwd=ROOT, capture_output=True, text=True)
    path = ROOT / "build" / board / stem / "profile.json"
    if proc.returncode != 0 or not path.is_file():
        errors = [line for line in (proc.stderr + proc.stdout).splitlines() if "error" in line.lower()]
        return (errors[0] if errors else f"scons exited with {proc.returncode}").removeprefix("error: ")
    return json.loads(path.read_text())


def verdict(value: int, target: int | None) -> str:
    if target is None:
        return f"{value:,}"
    if value <= target:
        return f"{value:,} ✓"
    return f"{value:,} ✗ (+{100.0 * (value - target) / target:.1f} %)"


def table(results: dict) -> list[str]:
    lines = ["| model | board (core) | instructions / inference | target | flash bytes | target | "
             "RAM bytes (arena + static + peak stack) | target | bit-exact |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for stem, per_board in results.items():
        t = MODELS[stem]
        for board, p in per_board.items():
            target = instruction_target(board, t)
            shown = {k: "—" if t.get(k) is None else f"{t[k]:,}" for k in ("flash", "ram")}
            shown["instructions"] = "—" if target is None else f"{target:,}"
            if isinstance(p, str):
                lines.append(f"| {t['title']} | {board} | not built: {p} | {shown['instructions']} | | {shown['flash']} "
                             f"| | {shown['ram']} | |")
                continue
            r = p["ram_bytes"]
            lines.append(
                f"| {t['title']} | {board} ({p['cpu']}) | {verdict(p['instructions_per_inference'], target)} | "
                f"{shown['instructions']} | {verdict(p['flash_bytes']['deployable'], t.get('flash'))} | {shown['flash']} | "
                f"{verdict(r['total'], t.get('ram'))} = {r['arena']:,} + {r['static']:,} + {r['stack_peak']:,} | "
                f"{shown['ram']} | {'yes' if p['bit_exact'] else 'NO'} |")
    lines += ["", "TFLM on the same emulator (from issue 5):", "",
              "| model | TFLM build | instructions / inference | flash bytes | RAM bytes |", "|---|---|---:|---:|---:|"]
    for stem, rows in TFLM.items():
        for build, instructions, flash, ram in rows:
            lines.append(f"| {MODELS[stem]['title']} | {build} | {instructions:,} | {flash:,} | {ram:,} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", default=",".join(boards()), help="comma-separated (default: every board file)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated model stems under ../shared/models")
    args = parser.parse_args()
    if not SHARED_MODELS.is_dir():
        print(f"error: {SHARED_MODELS} not found; the benchmarks use the shared reference models", file=sys.stderr)
        return 2
    results: dict = {}
    for stem in args.models.split(","):
        if stem not in MODELS:
            print(f"error: unknown model '{stem}'; known: {', '.join(MODELS)}", file=sys.stderr)
            return 2
        for board in args.boards.split(","):
            p = profile(board, stem)
            results.setdefault(stem, {})[board] = p
            shown = p if isinstance(p, str) else f"{p['instructions_per_inference']:,} instructions"
            print(f"{stem} on {board}: {shown}", flush=True)
    lines = ["# Benchmarks", "",
             "Generated by `.venv/bin/python benchmarks/run.py`: each shared model built with one embedded input "
             "(`vectors=1`) and profiled with `scons board=B model=M vectors=1 profile` (one inference in the "
             "emulator, outputs checked against TFLite's reference kernels). Instruction counts are exact and "
             "deterministic. Flash is the deployable firmware: the size report's figure without the test "
             "application and its embedded test data. Targets are issue 5's; ✗ gives the distance.", "",
             *table(results), ""]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    bad = [f"{s} on {b}" for s, pb in results.items() for b, p in pb.items()
           if not isinstance(p, str) and not p["bit_exact"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
