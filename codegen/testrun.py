"""Run a test firmware in the emulator and judge it against TFLite's reference kernels.

The firmware prints one ``result`` line per embedded input (see
``templates/main.c.j2``); this module parses them, computes the reference
outputs on the host, prints one line per input and ``N passed, M failed``, and
writes ``results.json`` beside the firmware.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .boards import Board
from .emulator import run_firmware
from .errors import TinyforgeError
from .reference import reference_outputs

RESULT_LINE = re.compile(r"^result (\d+) (\S+) label=(\S+) out=([0-9a-f,]*)$")
DEFAULT_MAX_INSTRUCTIONS = 500_000_000


@dataclass
class CaseResult:
    name: str
    label: str
    output: list[list[int]] | None
    reference: list[list[int]]
    instructions: int | None
    passed: bool


def parse_results(console: str) -> dict[int, tuple[str, str, list[bytes]]]:
    found = {}
    for line in console.splitlines():
        m = RESULT_LINE.match(line.strip())
        if m:
            found[int(m.group(1))] = (m.group(2), m.group(3), [bytes.fromhex(h) for h in m.group(4).split(",")])
    return found


def _as_int8(data: bytes) -> list[int]:
    return np.frombuffer(data, np.int8).tolist()


def _scores(values: list[int], labels: list[str] | None, output: dict) -> str:
    scale, zero = output["scale"], output["zero_point"]
    names = labels or [str(i) for i in range(len(values))]
    if len(values) > 12:
        return f"{len(values)} values"
    return " ".join(f"{n}={(v - zero) * scale:.2f}" for n, v in zip(names, values))


def run_test(elf: Path, board: Board, manifest_path: Path, results_path: Path,
             max_instructions: int = DEFAULT_MAX_INSTRUCTIONS, echo=print) -> int:
    """Return 0 when every case is byte-identical to the reference, 1 otherwise."""
    manifest = json.loads(Path(manifest_path).read_text())
    cases = manifest["cases"]
    labels = manifest["labels"]
    references = reference_outputs(manifest["model"], [c["inputs"] for c in cases])

    run = run_firmware(elf, board, max_instructions=max_instructions)
    parsed = parse_results(run.console)
    spans = run.marker_spans

    echo(f"{Path(manifest['model']).name} on {board.name}: {len(cases)} inputs")
    results: list[CaseResult] = []
    for i, case in enumerate(cases):
        want = [r.ravel().astype(np.int8).tolist() for r in references[i]]
        got = parsed.get(i)
        instructions = spans[i] if i < len(spans) else None
        if got is None:
            results.append(CaseResult(case["name"], "-", None, want, instructions, False))
            echo(f"  {case['name']:<24} FAIL  no result from the firmware")
            continue
        name, label, raw = got
        output = [_as_int8(b) for b in raw]
        passed = name == case["name"] and output == want
        results.append(CaseResult(case["name"], label, output, want, instructions, passed))
        verdict = "ok" if passed else "MISMATCH"
        echo(f"  {case['name']:<24} {label:<10} {_scores(output[0], labels, manifest['outputs'][0]):<48} "
             f"{instructions if instructions is not None else '?':>10} instr  {verdict}")
        if not passed:
            for k, (g, w) in enumerate(zip(output, want)):
                if g != w:
                    echo(f"      output {k}: firmware {g[:16]}{'...' if len(g) > 16 else ''}")
                    echo(f"      output {k}: tflite   {w[:16]}{'...' if len(w) > 16 else ''}")

    problems = []
    if run.fault is not None:
        problems.append(run.fault.message)
    elif run.exit_code != 0:
        problems.append(f"firmware exited with code {run.exit_code}")
    for p in problems:
        echo(f"  {p}")

    Path(results_path).write_text(json.dumps({
        "board": board.name, "model": manifest["model"], "model_sha256": manifest["model_sha256"],
        "exit_code": run.exit_code, "fault": run.fault.message if run.fault else None,
        "instructions_total": run.instructions, "stack_peak_bytes": run.stack_peak,
        "cases": [{"name": r.name, "source": c["source"], "input": c["inputs"][0] if len(c["inputs"]) == 1
                   else c["inputs"], "output": r.output[0] if r.output and len(r.output) == 1 else r.output,
                   "reference": r.reference[0] if len(r.reference) == 1 else r.reference,
                   "label": r.label, "instructions": r.instructions, "passed": r.passed}
                  for r, c in zip(results, cases)],
    }, indent=1) + "\n")

    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if problems and failed == 0:
        failed = 1  # a fault or bad exit after all results still fails the run
    echo(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
