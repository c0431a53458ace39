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

from codegen.verify.float_bound import agrees, ulps_of
from codegen.emit.board_support import stack_reserve
from codegen.target.boards import Board
from codegen.verify.emulator import run_firmware
from codegen.verify.emulator.timing import core_timing

RESULT_LINE = re.compile(r"^result (\d+) (\S+) label=(\S+) out=([0-9a-f,]*)$")
FEATURES_LINE = re.compile(r"^features (\d+) ([0-9a-f]*)$")   # frontend=device: what the firmware computed
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


def _decode(data: bytes, output: dict) -> list:
    """An output's bytes as its values (int8 unless the manifest says otherwise)."""
    return np.frombuffer(data, np.dtype(output.get("dtype", "int8"))).tolist()


def _scores(values: list[int], labels: list[str] | None, output: dict) -> str:
    scale, zero = output["scale"], output["zero_point"]
    names = labels or [str(i) for i in range(len(values))]
    if len(values) > 12:
        return f"{len(values)} values"
    if output.get("dtype") == "float32":
        return " ".join(f"{n}={v:.2f}" for n, v in zip(names, values))
    return " ".join(f"{n}={(v - zero) * scale:.2f}" for n, v in zip(names, values))


FIRMWARE_FAULT_LINE = re.compile(r"HardFault: CFSR=0x([0-9A-F]{8}) HFSR=0x([0-9A-F]{8}) PC=0x([0-9A-F]{8})")


def firmware_fault_report(console: str, elf: Path) -> str | None:
    """The firmware's own HardFault report (firmware/board/startup.c), with its PC named as a function
    of ``elf``: the same line a real board prints on its UART, made readable."""
    from codegen.verify.emulator.elfinfo import ElfInfo

    m = FIRMWARE_FAULT_LINE.search(console)
    if m is None:
        return None
    pc = int(m.group(3), 16)
    function = ElfInfo(elf).function_at(pc) or "an unknown function"
    return (f"firmware HardFault report: CFSR=0x{m.group(1)} HFSR=0x{m.group(2)} "
            f"at pc 0x{pc:08x} in {function}")


def stack_verdict(peak: int | None, board: Board) -> tuple[str, str | None]:
    """The stack report line, and the failure when the run used the whole reserve.

    Reset_Handler paints [_stack_bottom, SP) and the emulator finds the lowest overwritten word, so the
    measured peak can at most equal the reserve: reaching it means the paint is gone down to the last
    word, i.e. the stack ran into (or past) its end and may have overwritten .bss below it."""
    reserve = stack_reserve(board)
    if peak is None:
        return f"stack: not measured (no _stack_bottom/_stack_top symbols), reserve {reserve} bytes", None
    line = f"stack: peak {peak} of {reserve} bytes reserved ({100 * peak / reserve:.0f}%)"
    if peak >= reserve:
        return line, (f"stack overflow: the firmware used all {reserve} bytes of its stack reserve; "
                      f"raise [stack] reserve in {board.path.name}")
    return line, None


def run_test(elf: Path, board: Board, manifest_path: Path, results_path: Path,
             max_instructions: int = DEFAULT_MAX_INSTRUCTIONS, echo=print, count: bool = True) -> int:
    """Return 0 when every case is byte-identical to the reference, 1 otherwise."""
    manifest = json.loads(Path(manifest_path).read_text())
    cases = manifest["cases"]
    labels = manifest["labels"]
    # TFLite's outputs as the generator computed them (codegen.emit.generate), one array per model output
    references = [[np.frombuffer(bytes.fromhex(h), np.dtype(o.get("dtype", "int8")))
                   for h, o in zip(c["expected"], manifest["outputs"])] for c in cases]

    timing = core_timing(board) if count else None
    run = run_firmware(elf, board, max_instructions=max_instructions, count=count, timing=timing)
    parsed = parse_results(run.console)
    flash_note = None
    if run.flash_reads_priced is False:
        # run_firmware ran it twice, and the run pricing flash reads took another path (emulator/core.py): the
        # counts, the outputs judged and the estimate are the run without that hook
        flash_note = ("~ms here leaves out flash wait states on data reads: the emulator's run with them "
                      "counted ran other instructions (a Unicorn fault under a memory hook); the run without "
                      "them is the one judged")
    spans = run.marker_spans
    cycle_spans = run.cycle_spans
    device_frontend = manifest.get("frontend") == "device"
    device_features: dict[int, list[int]] = {}
    frontend_spans: list[int] = []
    if device_frontend:
        # the firmware computed the input itself: it must equal the host's features (the oracle's input)
        for line in run.console.splitlines():
            if m := FEATURES_LINE.match(line.strip()):
                device_features[int(m.group(1))] = _as_int8(bytes.fromhex(m.group(2)))
        frontend_spans, spans = spans[0::2], spans[1::2]   # per case: frontend span, then model span
        cycle_spans = cycle_spans[1::2]

    echo(f"{Path(manifest['model']).name} on {board.name}: {len(cases)} inputs")
    results: list[CaseResult] = []
    for i, case in enumerate(cases):
        # Compared as the bytes TFLite produced, decoded by dtype, so float outputs must match bit for bit.
        want = [np.frombuffer(np.ascontiguousarray(r, np.dtype(o.get("dtype", "int8"))).tobytes(),
                              np.dtype(o.get("dtype", "int8"))).tolist()
                for r, o in zip(references[i], manifest["outputs"])]
        got = parsed.get(i)
        instructions = spans[i] if i < len(spans) else None
        estimated_ms = timing.ms(cycle_spans[i]) if timing is not None and i < len(cycle_spans) else None
        if got is None:
            results.append(CaseResult(case["name"], "-", None, want, instructions, False))
            echo(f"  {case['name']:<24} FAIL  no result from the firmware")
            continue
        name, label, raw = got
        output = [_decode(b, o) for b, o in zip(raw, manifest["outputs"])]
        tolerances = case.get("tolerance") or [0.0] * len(want)
        dtypes = [np.dtype(o.get("dtype", "int8")) for o in manifest["outputs"]]
        passed = name == case["name"] and all(
            agrees(np.asarray(g, d), np.asarray(w, d), t) for g, w, d, t in zip(output, want, dtypes, tolerances))
        if device_frontend:
            host_features = np.asarray(case["inputs"][0], np.int8).ravel().tolist()
            if device_features.get(i) != host_features:
                passed = False
                echo(f"  {case['name']:<24} device features differ from the host's "
                     f"({'missing' if i not in device_features else sum(a != b for a, b in zip(device_features[i], host_features))} values)")
        results.append(CaseResult(case["name"], label, output, want, instructions, passed))
        verdict = "MISMATCH" if not passed else "ok" if output == want else \
            f"ok (within {max(ulps_of(t, w) for t, w in zip(tolerances, want))} ulp)"
        echo(f"  {case['name']:<24} {label:<10} {_scores(output[0], labels, manifest['outputs'][0]):<48} "
             f"{instructions if instructions is not None else '?':>10} instr "
             f"{'~%.2f ms' % estimated_ms if estimated_ms is not None else '':>11}  {verdict}")
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
    fault_report = firmware_fault_report(run.console, elf)
    if fault_report:
        problems.append(fault_report)
    if timing is not None and run.cycle_spans:
        echo(f"  ~ms: estimated from the instructions run, at {board.clock_hz / 1e6:g} MHz (README: Latency estimate)")
    if flash_note:
        echo(f"  {flash_note}")
    stack_line, stack_overflow = stack_verdict(run.stack_peak, board)
    echo(f"  {stack_line}")
    if stack_overflow:
        problems.append(stack_overflow)
    for p in problems:
        echo(f"  {p}")

    Path(results_path).write_text(json.dumps({
        "board": board.name, "model": manifest["model"], "model_sha256": manifest["model_sha256"],
        "exit_code": run.exit_code, "fault": run.fault.message if run.fault else None,
        "instructions_total": run.instructions, "stack_peak_bytes": run.stack_peak,
        "frontend": manifest.get("frontend", "host"),
        "cases": [{"name": r.name, "source": c["source"],
                   "input": device_features.get(k) if device_frontend else c["inputs"][0] if len(c["inputs"]) == 1
                   else c["inputs"],
                   **({"host_features": np.asarray(c["inputs"][0], np.int8).ravel().tolist(),
                       "frontend_instructions": frontend_spans[k] if k < len(frontend_spans) else None}
                      if device_frontend else {}), "output": r.output[0] if r.output and len(r.output) == 1 else r.output,
                   "reference": r.reference[0] if len(r.reference) == 1 else r.reference,
                   "label": r.label, "instructions": r.instructions,
                   "estimated_ms": (round(timing.ms(cycle_spans[k]), 4)
                                    if timing is not None and k < len(cycle_spans) else None),
                   "passed": r.passed}
                  for k, (r, c) in enumerate(zip(results, cases))],
    }, indent=1) + "\n")

    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if problems and failed == 0:
        failed = 1  # a fault or bad exit after all results still fails the run
    echo(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
