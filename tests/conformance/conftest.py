"""The conformance session: convert every case missing from the conversion cache, then let the tests run
them; report the case count at the end.

Converting is the slow part (about a thousand Keras models through TFLite's converter), and it needs no test to
have run. So when a session also runs other tests, one converter process starts as soon as the tests are
collected and works through the cases on the core the rest of the suite leaves idle (its tests run one at a
time), while the conformance tests are moved to the end of the run (tests/conftest.py). When they start, a second
process takes the cases left from the other end of the list, and both finish what remains."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import CACHE, CONVERT_SCRIPT, DEVICE_RESULTS, KERNEL_RUNS, RESULTS, WITHIN_BOUND, Case, load_cases  # noqa: E402

CONVERTER_PROCESSES = max(1, min(2, os.cpu_count() or 1))
_LOGS = Path(tempfile.mkdtemp(prefix="tinyforge-conversion-"))
_RUNNING: list[tuple[subprocess.Popen, Path]] = []     # converter processes and their logs


def _done(case) -> bool:
    return case.model_path.is_file() or case.model_path.with_suffix(".error").is_file()


def _start_converter(cases, name: str) -> None:
    """One converter process over ``cases`` in that order; it skips any case another process finished first."""
    CACHE.mkdir(parents=True, exist_ok=True)
    jobs = _LOGS / f"{name}.json"
    jobs.write_text(json.dumps([dict(source=c.source, builder=c.builder, params=c.params,
                                     range=c.representative_range, quantization=c.quantization,
                                     out=str(c.model_path)) for c in cases]))
    log = _LOGS / f"{name}.log"
    with open(log, "w") as out:
        _RUNNING.append((subprocess.Popen([sys.executable, str(CONVERT_SCRIPT), str(jobs)], stdout=out,
                                          stderr=subprocess.STDOUT), log))


def convert_missing(cases, progress: bool = True) -> None:
    """Convert the cases not in the cache yet, joining a converter started in the background if there is one;
    a bar (on a terminal, and not under pytest -q) counts them."""
    from tqdm import tqdm
    missing = [c for c in cases if not _done(c)]
    if missing:
        if not any(process.poll() is None for process, _ in _RUNNING):
            _start_converter(missing, "forward")
        if CONVERTER_PROCESSES > 1:
            _start_converter(missing[::-1], "backward")
        # pytest captures sys.stderr during fixtures; the bar goes to the terminal itself
        bar = tqdm(total=len(missing), desc="converting conformance cases", unit="model", file=sys.__stderr__,
                   disable=None if progress else True, delay=2)
        while any(process.poll() is None for process, _ in _RUNNING):
            bar.update(sum(map(_done, missing)) - bar.n)
            time.sleep(0.5)
        bar.update(sum(map(_done, missing)) - bar.n)
        bar.close()
    failed = [(process, log) for process, log in _RUNNING if process.returncode not in (0, None)]
    _RUNNING.clear()
    if failed:
        raise RuntimeError(f"converter failed:\n{failed[0][1].read_text()[-3000:]}")


SELECTED = []


def pytest_collection_finish(session):
    """Convert only what this session runs, after ``-k`` deselection (a few operators convert quickly); start
    converting now when other tests run first."""
    # Other test files (tests/test_kernels.py) parametrize a "case" too: take only conformance Cases.
    SELECTED.extend(item.callspec.params["case"] for item in session.items
                    if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case))
    others = any("conformance" not in item.path.parts for item in session.items)
    missing = [c for c in SELECTED if not _done(c)]
    if others and missing and not session.config.option.collectonly:
        _start_converter(missing, "forward")


def pytest_unconfigure(config):
    for process, _ in _RUNNING:      # a session that stopped early leaves no converter behind
        if process.poll() is None:
            process.kill()
            process.wait()
    shutil.rmtree(_LOGS, ignore_errors=True)


@pytest.fixture(scope="session")
def converted(pytestconfig):
    """Every selected case has a .tflite (or an .error saying why Keras or the converter refused it)."""
    convert_missing(SELECTED or load_cases(), progress=pytestconfig.getoption("verbose") >= 0)
    return True


MODES = ("int8", "16x8", "float32")


def _by_operator(results: dict[str, bool]) -> list[str]:
    """One line per operator: passed/run per quantization mode, from the test ids (``OP[16x8:builder:...]``)."""
    counts: dict[str, dict[str, list[int]]] = {}
    for node, ok in results.items():
        name = node.split("[", 1)[1] if "[" in node else node
        operator, _, rest = name.partition("[")
        mode = next((m for m in MODES[1:] if rest.startswith(m + ":")), "int8")
        tally = counts.setdefault(operator, {}).setdefault(mode, [0, 0])
        tally[0] += bool(ok)
        tally[1] += 1
    width = max(map(len, counts), default=0)
    return [f"{operator:<{width}}  " + "  ".join(f"{m} {'/'.join(map(str, modes[m])) if m in modes else '-':>7}"
                                                 for m in MODES)
            for operator, modes in sorted(counts.items())]


def pytest_terminal_summary(terminalreporter):
    if RESULTS:
        bounded = sum(1 for node, ok in RESULTS.items() if ok and node in WITHIN_BOUND)
        exact = sum(RESULTS.values()) - bounded
        terminalreporter.write_line(f"conformance: {len(RESULTS)} cases, {exact} bit-exact"
                                    + (f", {bounded} within the float LSTM's stated bound" if bounded else ""))
        terminalreporter.write_line("  by operator (passed/cases; int8, 16x8, float32):")
        for line in _by_operator(RESULTS):
            terminalreporter.write_line("    " + line)
    if DEVICE_RESULTS:
        from firmware_build import boards_by_kernel_build
        boards = sorted({board for _, board in DEVICE_RESULTS})
        representative = sum(1 for node, _ in DEVICE_RESULTS if "::test_bit_exact_on_device[" in node)
        extra = len(DEVICE_RESULTS) - representative
        exact = sum(DEVICE_RESULTS.values())
        verdict = "all bit-exact" if exact == len(DEVICE_RESULTS) else f"{exact} of {len(DEVICE_RESULTS)} bit-exact"
        if any("float32:" in node for node, _ in DEVICE_RESULTS):
            verdict += " (float32 layers calling expf/tanhf: within the stated float bound)"
        terminalreporter.write_line(
            f"on-device conformance: {representative // max(1, len(boards))} cases x {len(boards)} kernel builds "
            f"({', '.join(boards)}), plus {extra} runs of a first case reaching a kernel those did not, {verdict}")
        shared = [f"{', '.join(group[1:])} as {group[0]}" for group in boards_by_kernel_build().values()
                  if len(group) > 1 and group[0] in boards]
        if shared:
            terminalreporter.write_line(f"  same kernel objects: {'; '.join(shared)}")
    if KERNEL_RUNS:
        from test_on_device import coverage_table
        builds, kernels, table = coverage_table()
        terminalreporter.write_line("kernel coverage (x ran bit-exact, - the build cannot choose it, o no "
                                    "converted model reaches it: checked elsewhere, ! never ran):")
        column, name = 2 + max(map(len, builds)), max(map(len, kernels))
        terminalreporter.write_line(f"  {'kernel':<{name}}" + "".join(f"{b:>{column}}" for b in builds))
        for kernel in kernels:
            marks = [{None: "-", "elsewhere": "o", True: "x", False: "!"}[table[kernel, b]] for b in builds]
            terminalreporter.write_line(f"  {kernel:<{name}}" + "".join(f"{m:>{column}}" for m in marks))
