"""The oracle's own process: TFLite's reference interpreter, kept where its crashes cannot reach us.

TFLite's C++ interpreter has corrupted its heap on real models (TFLM's ``keyword_scrambled_8bit.tflite``:
``double free or corruption``, exit 134) on some runs and returned outputs on others. So every reference run
happens in one long-lived worker process (``python -m codegen.verify.oracle``), which loads TensorFlow once
and answers requests over its stdin/stdout:

- a run that kills the worker is tried once more in a fresh worker;
- when that second run answers, its outputs are suspect (the same heap gave garbage or nothing before), so a
  third run in another fresh worker must give byte-identical outputs before they are used;
- two crashes, or two answers that differ, end in one line naming the model and saying that TFLite itself
  failed on it.

Frames are a 4-byte little-endian length and a pickle. The worker never prints to stdout otherwise.

Clean answers are kept in a cache (``~/.cache/tinyforge/oracle``, or ``$TINYFORGE_ORACLE_CACHE``), keyed by
everything they depend on, so a rebuild, or the same model on another board, starts no TensorFlow at all.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import threading
import pickle
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError

_WORKER: "Worker | None" = None


class WorkerDied(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<I", len(data)) + data)
    stream.flush()


def _receive(stream):
    head = stream.read(4)
    if len(head) < 4:
        raise EOFError
    (size,) = struct.unpack("<I", head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class Worker:
    """One oracle process. ``command`` is what starts it; tests put a worker that crashes in its place."""

    command = [sys.executable, "-m", "codegen.verify.oracle"]

    def __init__(self):
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else root
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, env=env)

    def run(self, model_path: str, cases) -> list[list[np.ndarray]]:
        try:
            _send(self.proc.stdin, ("run", model_path, cases))
            status, payload = _receive(self.proc.stdout)
        except (EOFError, BrokenPipeError, OSError):
            raise WorkerDied(self._death()) from None
        if status == "error":
            raise TinyforgeError(payload)
        return payload

    def _death(self) -> str:
        code = self.proc.wait()
        self.log.seek(0)
        lines = [line.strip() for line in self.log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        how = f"killed by signal {-code}" if code < 0 else f"exit {code}"
        return how + (f", '{lines[-1]}'" if lines else "")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self.log.close()


def _worker() -> Worker:
    global _WORKER
    if _WORKER is None or _WORKER.proc.poll() is not None:
        _WORKER = Worker()
    return _WORKER


def _fresh_worker() -> Worker:
    global _WORKER
    if _WORKER is not None:
        _WORKER.close()
    _WORKER = Worker()
    return _WORKER


@atexit.register
def _shutdown() -> None:
    if _WORKER is not None:
        _WORKER.close()


def _same(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> bool:
    return len(a) == len(b) and all(len(x) == len(y) and all(p.dtype == q.dtype and p.shape == q.shape
                                                              and p.tobytes() == q.tobytes() for p, q in zip(x, y))
                                    for x, y in zip(a, b))


# One worker answers one question at a time: callers on several threads (the on-device conformance tests
# build and run two firmwares at once) take turns.
_LOCK = threading.Lock()


def ask(model_path, cases) -> list[list[np.ndarray]]:
    """TFLite's reference outputs for ``cases``, from the answer cache or the worker, with the crash rules
    above."""
    with _LOCK:
        cases = [[np.asarray(v) for v in case] for case in cases]
        entry = _cache_entry(model_path, cases)
        try:
            with open(entry, "rb") as cached:
                return pickle.load(cached)
        except (OSError, EOFError, pickle.UnpicklingError, TypeError):
            pass
        answer, clean = _ask(model_path, cases)
        if not clean or entry is None:
            return answer
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            partial = entry.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
            partial.replace(entry)
        except OSError:
            pass        # a read-only cache only costs the next run a TensorFlow start
        return answer


def _cache_entry(model_path, cases) -> Path | None:
    """Where the answer for this question is kept. Starting TensorFlow takes seconds, and a build asks the
    same question again on every board and every rebuild; the answer depends only on what the key holds: the
    model's bytes, the inputs' types, shapes and bytes, the TensorFlow release, the code that runs it
    and corrects the file (reference.py, tflite_model.py) and the worker's command. Only answers from a first,
    clean run are kept."""
    from importlib.metadata import PackageNotFoundError, version
    digest = hashlib.sha256()
    try:
        digest.update(version("tensorflow").encode())
    except PackageNotFoundError:
        digest.update(b"no tensorflow")
    # reference.py runs TFLite and makes the corrected copy; the loader decides which fields it corrects
    for source in (Path(__file__).parent / "reference.py", Path(__file__).parents[1] / "model" / "tflite_model.py"):
        digest.update(source.read_bytes())
    digest.update(" ".join(Worker.command).encode())
    try:
        digest.update(Path(model_path).read_bytes())
    except OSError:
        return None     # the worker says what is wrong with the path
    for case in cases:
        for value in case:
            digest.update(f"|{value.dtype.str}{value.shape}|".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
    root = Path(os.environ.get("TINYFORGE_ORACLE_CACHE")
                or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tinyforge" / "oracle")
    return root / f"{digest.hexdigest()[:32]}.pickle"


def _ask(model_path, cases) -> tuple[list[list[np.ndarray]], bool]:
    """The answer, and whether it came from a first run that did not crash."""
    model_path = str(model_path)
    cases = [[np.asarray(v) for v in case] for case in cases]
    name = Path(model_path).name
    try:
        return _worker().run(model_path, cases), True
    except WorkerDied as first:
        crash = first.reason
    try:
        second = _fresh_worker().run(model_path, cases)
    except WorkerDied as again:
        raise TinyforgeError(f"TFLite itself failed on {name}: its reference interpreter crashed twice "
                             f"({crash}; then {again.reason}), so there is no oracle to check this model against")
    try:
        third = _fresh_worker().run(model_path, cases)
    except WorkerDied as again:
        raise TinyforgeError(f"TFLite itself failed on {name}: its reference interpreter crashed on two of three "
                             f"runs ({crash}; then {again.reason}), so its one answer cannot be trusted")
    if not _same(second, third):
        raise TinyforgeError(f"TFLite itself failed on {name}: its reference interpreter crashed once ({crash}) "
                             f"and then gave two different answers, so there is no oracle to check against")
    return second, False


def serve() -> int:
    """The worker's loop: one request in, one answer out, until stdin closes."""
    from codegen.verify.reference import run_reference
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Anything TensorFlow prints goes to stderr, never into the frames.
    sys.stdout = sys.stderr
    while True:
        try:
            request = _receive(stdin)
        except EOFError:
            return 0
        _, model_path, cases = request
        try:
            answer = ("ok", run_reference(model_path, cases))
        except TinyforgeError as exc:
            answer = ("error", str(exc))
        except Exception as exc:  # TFLite's own refusal, worded by TFLite
            answer = ("error", f"TFLite's reference interpreter refused {Path(model_path).name}: "
                               f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}")
        _send(stdout, answer)


if __name__ == "__main__":
    sys.exit(serve())
