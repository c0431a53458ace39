"""Run many inputs through one evaluation firmware (``app=evaluate``) in the emulator.

The firmware reads its inputs from a file the emulator offers over semihosting, so one build serves a
whole test set: no rebuild per batch, and no flash limit on the number of inputs. Inputs go in chunks
to ``jobs`` emulator processes, uncounted (no per-block hook: instruction counts are not needed to
judge outputs); a bar shows clips per second and the time left.
"""
from __future__ import annotations

import json
import multiprocessing
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError

RESULT_LINE = re.compile(r"^result (\d+) out=([0-9a-f,]*)$")
DONE_LINE = re.compile(r"^done (\d+)$")
# Inputs per emulator run: large enough that loading the ELF is noise, small enough for a lively progress bar.
CHUNK = 16
# The emulator's budget per input (a hang becomes a timeout): 10x the largest shared model (the LSTM, 49 M).
MAX_INSTRUCTIONS_PER_INPUT = 500_000_000


@dataclass
class BatchJob:
    elf: str
    board: str              # board file path: workers load it themselves
    inputs_name: str
    outputs: list[dict]     # manifest "outputs": shape and dtype of each
    start: int
    data: bytes             # the chunk's inputs, back to back
    count: int


def _run_chunk(job: BatchJob) -> tuple[int, list[list[bytes]] | str]:
    """(start, each input's output bytes) or (start, the one line saying what went wrong)."""
    from codegen.target.boards import load_board
    from codegen.verify.emulator import run_firmware
    board = load_board(job.board)
    run = run_firmware(job.elf, board, max_instructions=MAX_INSTRUCTIONS_PER_INPUT * max(job.count, 1),
                       files={job.inputs_name: job.data}, count=False)
    results: dict[int, list[bytes]] = {}
    done = None
    for line in run.console.splitlines():
        line = line.strip()
        if m := RESULT_LINE.match(line):
            results[int(m.group(1))] = [bytes.fromhex(h) for h in m.group(2).split(",")]
        elif m := DONE_LINE.match(line):
            done = int(m.group(1))
        elif line.startswith("error:"):
            return job.start, f"the evaluation firmware says: {line[len('error: '):]}"
    if run.fault is not None:
        return job.start, f"input {job.start + len(results)}: {run.fault.message}"
    if run.exit_code != 0 or done != job.count or sorted(results) != list(range(job.count)):
        return job.start, (f"inputs {job.start}..{job.start + job.count - 1}: the firmware exited with "
                           f"{run.exit_code} after {len(results)} of {job.count} results")
    sizes = [int(np.prod(o["shape"])) * np.dtype(o["dtype"]).itemsize for o in job.outputs]
    for i, outs in results.items():
        if [len(b) for b in outs] != sizes:
            return job.start, f"input {job.start + i}: output sizes {[len(b) for b in outs]}, expected {sizes}"
    return job.start, [results[i] for i in range(job.count)]


def run_batch(elf: Path, board, manifest_path: Path, inputs: list[list[np.ndarray]], jobs: int = 1,
              progress: bool = True, desc: str = "firmware") -> list[list[np.ndarray]]:
    """Each input (one array per model input) through the firmware; its outputs as arrays, in order."""
    from tqdm import tqdm
    manifest = json.loads(Path(manifest_path).read_text())
    if manifest.get("app") != "evaluate":
        raise TinyforgeError(f"{manifest_path}: not an evaluation firmware (build it with app=evaluate)")
    specs = manifest["inputs"]
    blobs = []
    for n, case in enumerate(inputs):
        if len(case) != len(specs):
            raise TinyforgeError(f"input {n}: {len(case)} tensors, the model takes {len(specs)}")
        parts = []
        for k, (value, spec) in enumerate(zip(case, specs)):
            value = np.asarray(value)
            if value.size != int(np.prod(spec["shape"])) or value.dtype != np.dtype(spec["dtype"]):
                raise TinyforgeError(f"input {n}, tensor {k}: {value.dtype} {list(value.shape)}, the model takes "
                                     f"{spec['dtype']} {spec['shape']}")
            parts.append(np.ascontiguousarray(value).tobytes())
        blobs.append(b"".join(parts))
    chunks = [BatchJob(str(elf), str(board.path), manifest["inputs_name"], manifest["outputs"], start,
                       b"".join(blobs[start:start + CHUNK]), len(blobs[start:start + CHUNK]))
              for start in range(0, len(blobs), CHUNK)]
    found: dict[int, list[list[bytes]]] = {}
    bar = tqdm(total=len(inputs), desc=desc, unit="clip", disable=not progress)
    try:
        if jobs > 1 and len(chunks) > 1:
            # spawn, not fork: evaluate has TensorFlow loaded, and a forked TensorFlow runtime can deadlock
            # in the child (as codegen/training/prepare.py found); the workers need only the emulator.
            with multiprocessing.get_context("spawn").Pool(min(jobs, len(chunks))) as pool:
                for start, result in pool.imap_unordered(_run_chunk, chunks):
                    if isinstance(result, str):
                        raise TinyforgeError(result)
                    found[start] = result
                    bar.update(len(result))
        else:
            for job in chunks:
                start, result = _run_chunk(job)
                if isinstance(result, str):
                    raise TinyforgeError(result)
                found[start] = result
                bar.update(len(result))
    finally:
        bar.close()
    out = []
    for start in sorted(found):
        for raw in found[start]:
            out.append([np.frombuffer(b, np.dtype(o["dtype"])).reshape(o["shape"]) for b, o in zip(raw, manifest["outputs"])])
    return out


def run_evaluate_test(elf: Path, board, manifest_path: Path, model_path: Path, inputs: str | None, vectors: int,
                      recipe: str | None, jobs: int = 1, echo=print) -> int:
    """``scons app=evaluate test``: the inputs streamed into the firmware, each output judged against TFLite's
    reference kernels; 0 when all are byte-identical. Ends with the line ``N passed, M failed``."""
    from codegen.model.tflite_model import load_model
    from codegen.verify.cases import resolve_cases
    from codegen.verify.reference import reference_outputs
    model = load_model(model_path)
    cases = resolve_cases(model, inputs.split() if inputs else None, vectors, recipe)
    want = reference_outputs(model_path, [c.tensors for c in cases])
    echo(f"{Path(model_path).name} on {board.name}: {len(cases)} inputs streamed into one firmware")
    try:
        got = run_batch(elf, board, manifest_path, [c.tensors for c in cases], jobs=jobs, progress=False)
    except TinyforgeError as exc:
        echo(f"  {exc}")
        echo(f"0 passed, {len(cases)} failed")
        return 1
    from codegen.pipeline import compile_model
    from codegen.verify.float_bound import agrees, tolerance
    compiled = compile_model(model)
    passed = 0
    for case, g, w in zip(cases, got, want):
        # byte-identical, or float32 within the stated bound where the model calls expf or tanhf
        same = all(agrees(np.asarray(a).ravel(), np.asarray(b).ravel(), tolerance(compiled, b)) for a, b in zip(g, w))
        passed += same
        echo(f"  {case.name:<24} {'ok' if same else 'MISMATCH'}")
    echo(f"{passed} passed, {len(cases) - passed} failed")
    return 0 if passed == len(cases) else 1
