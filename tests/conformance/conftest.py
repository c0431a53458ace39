"""The conformance session: convert every case missing from build/conformance/ (one converter process per
core, many cases each), then let the tests run them; report the case count at the end."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import CACHE, CONVERT_SCRIPT, DEVICE_RESULTS, KERNEL_RUNS, RESULTS, Case, load_cases  # noqa: E402

CONVERTER_PROCESSES = max(1, min(2, os.cpu_count() or 1))


def _done(case) -> bool:
    return case.model_path.is_file() or case.model_path.with_suffix(".error").is_file()


def convert_missing(cases, progress: bool = True) -> None:
    """Convert the cases not in the cache yet; a bar (on a terminal, and not under pytest -q) counts them."""
    from tqdm import tqdm
    missing = [c for c in cases if not _done(c)]
    if not missing:
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    batches = [missing[i::CONVERTER_PROCESSES] for i in range(CONVERTER_PROCESSES)]
    processes = []
    with tempfile.TemporaryDirectory() as tmp:
        for number, batch in enumerate(b for b in batches if b):
            jobs = Path(tmp) / f"jobs{number}.json"
            jobs.write_text(json.dumps([dict(source=c.source, builder=c.builder, params=c.params,
                                             range=c.representative_range, quantization=c.quantization,
                                             out=str(c.model_path)) for c in batch]))
            log = open(Path(tmp) / f"log{number}.txt", "w")
            processes.append((subprocess.Popen([sys.executable, str(CONVERT_SCRIPT), str(jobs)],
                                               stdout=log, stderr=subprocess.STDOUT), log))
        # pytest captures sys.stderr during fixtures; the bar goes to the terminal itself
        bar = tqdm(total=len(missing), desc="converting conformance cases", unit="model", file=sys.__stderr__,
                   disable=None if progress else True, delay=2)
        while any(process.poll() is None for process, _ in processes):
            bar.update(sum(map(_done, missing)) - bar.n)
            time.sleep(0.5)
        bar.update(sum(map(_done, missing)) - bar.n)
        bar.close()
        for process, log in processes:
            process.wait()
            log.close()
            if process.returncode != 0:
                raise RuntimeError(f"converter failed:\n{Path(log.name).read_text()[-3000:]}")


SELECTED = []


def pytest_collection_finish(session):
    """Convert only what this session runs, after ``-k`` deselection (a few operators convert quickly)."""
    # Other test files (tests/test_kernels.py) parametrize a "case" too: take only conformance Cases.
    SELECTED.extend(item.callspec.params["case"] for item in session.items
                    if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case))


@pytest.fixture(scope="session")
def converted(pytestconfig):
    """Every selected case has a .tflite (or an .error saying why Keras or the converter refused it)."""
    convert_missing(SELECTED or load_cases(), progress=pytestconfig.getoption("verbose") >= 0)
    return True


def pytest_terminal_summary(terminalreporter):
    if RESULTS:
        exact = sum(RESULTS.values())
        terminalreporter.write_line(f"conformance: {len(RESULTS)} cases, {exact} bit-exact")
    if DEVICE_RESULTS:
        boards = sorted({board for _, board in DEVICE_RESULTS})
        cases = len(DEVICE_RESULTS) // max(1, len(boards))
        exact = sum(DEVICE_RESULTS.values())
        verdict = "all bit-exact" if exact == len(DEVICE_RESULTS) else f"{exact} of {len(DEVICE_RESULTS)} bit-exact"
        terminalreporter.write_line(f"on-device conformance: {cases} cases x {len(boards)} boards "
                                    f"({', '.join(boards)}), {verdict}")
    if KERNEL_RUNS:
        from test_on_device import coverage_table
        builds, kernels, table = coverage_table()
        terminalreporter.write_line("kernel coverage (x ran bit-exact, - the build cannot choose it, o no "
                                    "converted model reaches it: checked elsewhere, ! never ran):")
        terminalreporter.write_line(f"  {'kernel':<32}" + "".join(f"{b:>22}" for b in builds))
        for kernel in kernels:
            marks = [{None: "-", "elsewhere": "o", True: "x", False: "!"}[table[kernel, b]] for b in builds]
            terminalreporter.write_line(f"  {kernel:<32}" + "".join(f"{m:>22}" for m in marks))
