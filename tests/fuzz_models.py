"""Model fuzzing: seeded mutations of real .tflite files through the whole compiler.

Every mutation must end one of two ways:

* ``exact``: it compiles, and the generated model.c (built for the host, the same file the firmware
  compiles) gives outputs byte-identical to TFLite's reference kernels; or
* ``rejected``: load_model/compile_model stop with a one-line ``TinyforgeError``.

Anything else is ``other`` and fails the test: a traceback, a hang, a host-build crash, an output
that differs from the oracle, or a model we compiled that TFLite refuses to load (our reader should
have refused it too).

The work runs in child processes so a hang or a crash is caught, not suffered: each worker is a
plain Python process (no TensorFlow) with its own oracle server child (TensorFlow, restarted if a
corrupt model kills it). Run the full campaign by hand with

    .venv/bin/python tests/fuzz_models.py --count 1000 [--workers 2] [MODEL ...]
"""
from __future__ import annotations

import argparse
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = REPO.parent / "shared" / "models"
TASK_TIMEOUT_S = 180        # codegen + host build + oracle for one mutation; far above the ~1 s it takes
ORACLE_TIMEOUT_S = 60
CASES_PER_MUTATION = 2


def unsupported_listing(message: str) -> bool:
    """The one multi-line error there is: every unsupported operator on a line of its own (codegen.compiler.lower
    check_model), then perhaps the converter advice, then the supported list once."""
    import re
    lines = message.splitlines()
    return (len(lines) >= 3 and re.fullmatch(r"\d+ operators? (is|are) not supported:", lines[0]) is not None
            and all(line.startswith("  operator") for line in lines[1:-1] if not line.startswith("this "))
            and lines[-1].startswith("supported operators: "))

# ---------------------------------------------------------------------------------------------------
# Mutations


def _fields(buf: bytes) -> dict[str, list[tuple[int, int]]]:
    """Positions (byte offset, width) of the fields structure-aware mutations patch, found through the
    bindings on the intact model."""
    import tflite

    found: dict[str, list[tuple[int, int]]] = {}

    def field(table, slot: int, width: int, kind: str) -> None:
        o = table._tab.Offset(slot)
        if o:
            found.setdefault(kind, []).append((table._tab.Pos + o, width))

    def vector(table, slot: int, width: int, kind: str) -> None:
        o = table._tab.Offset(slot)
        if o:
            start = table._tab.Vector(o)
            length = table._tab.VectorLen(o)
            found.setdefault(kind + "_length", []).append((start - 4, 4))
            for j in range(length):
                found.setdefault(kind, []).append((start + j * width, width))

    m = tflite.Model.GetRootAsModel(buf, 0)
    field(m, 4, 4, "model_version")
    vector(m, 6, 4, "operator_code_offsets")
    vector(m, 12, 4, "buffer_offsets")
    for b in range(m.BuffersLength()):
        vector(m.Buffers(b), 4, 1, "buffer_data")
    for s in range(m.SubgraphsLength()):
        g = m.Subgraphs(s)
        vector(g, 6, 4, "subgraph_inputs")
        vector(g, 8, 4, "subgraph_outputs")
        vector(g, 4, 4, "tensor_offsets")
        for i in range(g.TensorsLength()):
            t = g.Tensors(i)
            vector(t, 4, 4, "shape")
            field(t, 6, 1, "tensor_type")
            field(t, 8, 4, "tensor_buffer")
            q = t.Quantization()
            if q is not None:
                vector(q, 8, 4, "scale")
                vector(q, 10, 8, "zero_point")
                field(q, 16, 4, "quantized_dimension")
            found.setdefault("tensor_vtable", []).append((t._tab.Pos, 4))
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            field(op, 4, 4, "opcode_index")
            vector(op, 6, 4, "op_inputs")
            vector(op, 8, 4, "op_outputs")
            field(op, 10, 1, "options_type")
            opts = op.BuiltinOptions()
            if opts is not None:
                found.setdefault("options_table", []).append((opts.Pos, 4))
                vt = opts.Pos - struct.unpack_from("<i", buf, opts.Pos)[0]
                vsize = struct.unpack_from("<H", buf, vt)[0]
                for slot in range(4, vsize, 2):
                    voff = struct.unpack_from("<H", buf, vt + slot)[0]
                    if voff:
                        found.setdefault("option_field", []).append((opts.Pos + voff, 1))
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        field(oc, 4, 1, "deprecated_builtin_code")
        field(oc, 10, 4, "builtin_code")
    return found


_INT_VALUES = [-1, -2, 0, 1, 2, 3, 7, 127, 128, 255, 256, 65535, 2**16 + 1, 2**30, 2**31 - 1, 2**31, 2**32 - 1]
_FLOAT_VALUES = [0.0, -0.0, -1.0, float("nan"), float("inf"), -float("inf"), 1e-30, 1e-45, 1e30, 3.4e38, 0.5,
                 1.0 / 256]


def _put(data: bytearray, pos: int, width: int, value: int) -> None:
    data[pos:pos + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")


def mutate(buf: bytes, fields: dict, seed: int) -> tuple[str, bytes]:
    """One seeded mutation of ``buf``: (what was done, mutated bytes). The model's own checksum joins
    the seed so seed N does something different to each model."""
    rng = np.random.default_rng([seed, zlib.crc32(buf)])
    data = bytearray(buf)
    kind = int(rng.integers(0, 10))
    if kind == 0:
        n = int(rng.integers(0, len(buf)))
        return f"truncated to {n} bytes", bytes(data[:n])
    if kind == 1:
        at = int(rng.integers(0, 8))
        data[at] ^= int(rng.integers(1, 256))
        return f"header byte {at} flipped", bytes(data)
    if kind in (2, 3):
        flips = int(rng.integers(1, 9))
        where = sorted(int(rng.integers(0, len(buf))) for _ in range(flips))
        for at in where:
            data[at] ^= 1 << int(rng.integers(0, 8)) if kind == 2 else int(rng.integers(1, 256))
        return f"{'bit' if kind == 2 else 'byte'} flips at {where}", bytes(data)
    names = sorted(fields)
    name = names[int(rng.integers(0, len(names)))]
    pos, width = fields[name][int(rng.integers(0, len(fields[name])))]
    if name == "scale" and rng.random() < 0.8:
        value = _FLOAT_VALUES[int(rng.integers(0, len(_FLOAT_VALUES)))]
        data[pos:pos + 4] = struct.pack("<f", value)
        return f"scale at byte {pos} set to {value}", bytes(data)
    if name == "zero_point" and rng.random() < 0.5:
        value = int(rng.choice([-129, 128, 300, -1000, 2**40, 5, -5]))
        _put(data, pos, width, value)
        return f"zero point at byte {pos} set to {value}", bytes(data)
    if name == "buffer_data":
        value = int(rng.integers(0, 256))
        _put(data, pos, 1, value)
        return f"weight byte {pos} set to {value}", bytes(data)
    if rng.random() < 0.7:
        value = _INT_VALUES[int(rng.integers(0, len(_INT_VALUES)))]
    else:
        value = int.from_bytes(rng.bytes(width), "little")
    _put(data, pos, width, value)
    return f"{name} at byte {pos} set to {value}", bytes(data)


# ---------------------------------------------------------------------------------------------------
# Oracle server: TFLite in its own process, because a corrupt model may crash or hang it.


def oracle_main() -> None:
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(REPO))
    import tensorflow as tf

    warnings.filterwarnings("ignore")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            # as codegen.verify.reference does: a bias axis TFLite refuses and no kernel reads is set to 0
            from codegen.verify.reference import oracle_copy
            from codegen.model.tflite_model import load_model
            interpreter = tf.lite.Interpreter(
                model_path=str(oracle_copy(load_model(request["model"]))),
                experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
            interpreter.allocate_tensors()
            details_in = interpreter.get_input_details()
            details_out = interpreter.get_output_details()
            results = []
            for case in request["cases"]:
                interpreter.reset_all_variables()
                for detail, hexdata in zip(details_in, case):
                    value = np.frombuffer(bytes.fromhex(hexdata), detail["dtype"]).reshape(detail["shape"])
                    interpreter.set_tensor(detail["index"], value)
                interpreter.invoke()
                results.append([interpreter.get_tensor(d["index"]).tobytes().hex() for d in details_out])
            reply = {"outputs": results}
        except Exception as exc:  # the oracle's refusal is data for the caller, not a crash
            reply = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


class Child:
    """A line-protocol child process with per-request timeouts; restarted after a crash or hang."""

    def __init__(self, argv: list[str]):
        self.argv = argv
        self.proc: subprocess.Popen | None = None

    def request(self, message: dict, timeout: float) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            died = self.proc.poll()
            self.close()
            return {"crash": f"exit {died}" if died is not None else f"no answer in {timeout:.0f} s"}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None


# ---------------------------------------------------------------------------------------------------
# Worker: one mutation through codegen, the host build and the oracle.


def judge(model_path: str, work_dir: Path, oracle: Child) -> dict:
    from codegen.errors import TinyforgeError
    from codegen.verify.hostrun import run_on_host
    from codegen.pipeline import compile_model
    from codegen.model.tflite_model import load_model

    try:
        model = load_model(model_path)
        compile_model(model)
    except TinyforgeError as exc:
        message = str(exc)
        if not message or ("\n" in message and not unsupported_listing(message)):
            return {"verdict": "other", "detail": f"multi-line or empty error: {message!r}"}
        return {"verdict": "rejected", "detail": message}
    except Exception:
        return {"verdict": "other", "detail": "traceback: " + traceback.format_exc(limit=-3)}

    rng = np.random.default_rng(1234)
    cases = [[rng.integers(-128, 128, model.tensors[i].shape, dtype=np.int8) for i in model.inputs]
             for _ in range(CASES_PER_MUTATION)]
    reply = oracle.request({"model": model_path, "cases": [[c.tobytes().hex() for c in case] for case in cases]},
                           ORACLE_TIMEOUT_S)
    if "outputs" not in reply:
        return {"verdict": "other", "detail": f"compiled, but TFLite refuses it: "
                                              f"{reply.get('error') or 'oracle crashed: ' + reply['crash']}"}
    try:
        ours = run_on_host(model_path, cases, work_dir)
    except TinyforgeError as exc:
        return {"verdict": "other", "detail": f"compiled, but the host build failed: {str(exc)[:300]}"}
    except Exception:
        return {"verdict": "other", "detail": "traceback: " + traceback.format_exc(limit=-3)}
    for number, (got, want) in enumerate(zip(ours, reply["outputs"])):
        if [g.tobytes().hex() for g in got] != want:
            return {"verdict": "other", "detail": f"case {number}: output differs from TFLite"}
    return {"verdict": "exact", "detail": ""}


def worker_main() -> None:
    sys.path.insert(0, str(REPO))
    oracle = Child([sys.executable, str(Path(__file__).resolve()), "--oracle"])
    work_dir = Path(os.environ["FUZZ_WORK_DIR"])
    fields_cache: dict[str, dict] = {}
    try:
        for line in sys.stdin:
            task = json.loads(line)
            source = task["model"]
            if source not in fields_cache:
                fields_cache[source] = _fields(Path(source).read_bytes())
            what, data = mutate(Path(source).read_bytes(), fields_cache[source], task["seed"])
            path = work_dir / "models" / f"{Path(source).stem}-{task['seed']}.tflite"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            result = judge(str(path), work_dir / "host", oracle)
            path.unlink()
            sys.stdout.write(json.dumps({**result, "mutation": what}) + "\n")
            sys.stdout.flush()
    finally:
        oracle.close()


# ---------------------------------------------------------------------------------------------------
# Campaign


@dataclass
class Outcome:
    model: str
    seed: int
    mutation: str
    verdict: str       # exact | rejected | other
    detail: str


def run_campaign(models: list[Path], seeds: list[int], workers: int, work_dir: Path) -> list[Outcome]:
    """Every (model, seed) through ``workers`` worker processes, each task under ``TASK_TIMEOUT_S``."""
    env = {**os.environ, "FUZZ_WORK_DIR": str(work_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    tasks = [(str(m), s) for m in models for s in seeds]
    pool = [None] * workers      # (Popen, task, started)
    outcomes: list[Outcome] = []

    def start(slot: int, proc=None) -> None:
        if proc is None or proc.poll() is not None:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                    cwd=REPO, env=env)
        model, seed = tasks.pop(0)
        proc.stdin.write(json.dumps({"model": model, "seed": seed}) + "\n")
        proc.stdin.flush()
        pool[slot] = (proc, (model, seed), time.monotonic())

    try:
        for slot in range(workers):
            if tasks:
                start(slot)
        while any(pool):
            busy = {entry[0].stdout: slot for slot, entry in enumerate(pool) if entry}
            ready, _, _ = select.select(list(busy), [], [], 1.0)
            for stream in ready:
                slot = busy[stream]
                proc, (model, seed), _ = pool[slot]
                line = stream.readline()
                if line:
                    r = json.loads(line)
                    outcomes.append(Outcome(Path(model).name, seed, r["mutation"], r["verdict"], r["detail"]))
                else:
                    proc.wait()
                    outcomes.append(Outcome(Path(model).name, seed, "?", "other",
                                            f"worker died (exit {proc.returncode})"))
                pool[slot] = None
                if tasks:
                    start(slot, proc if line else None)
                elif line:
                    proc.stdin.close()
                    proc.wait()
            for slot, entry in enumerate(pool):
                if entry and time.monotonic() - entry[2] > TASK_TIMEOUT_S:
                    proc, (model, seed), _ = entry
                    proc.kill()
                    proc.wait()
                    outcomes.append(Outcome(Path(model).name, seed, "?", "other",
                                            f"no verdict in {TASK_TIMEOUT_S} s (hang)"))
                    pool[slot] = None
                    if tasks:
                        start(slot)
    finally:
        for entry in pool:
            if entry:
                entry[0].kill()
                entry[0].wait()
    return outcomes


def summarise(outcomes: list[Outcome]) -> str:
    lines = []
    by_model: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_model.setdefault(o.model, []).append(o)
    for model, group in sorted(by_model.items()):
        counts = {v: sum(o.verdict == v for o in group) for v in ("exact", "rejected", "other")}
        lines.append(f"  {model:<32} {len(group):5d} tried  {counts['exact']:5d} built-and-bit-exact  "
                     f"{counts['rejected']:5d} rejected-with-message  {counts['other']:3d} other")
    total = {v: sum(o.verdict == v for o in outcomes) for v in ("exact", "rejected", "other")}
    lines.append(f"fuzz: {len(outcomes)} mutations tried, {total['exact']} built-and-bit-exact, "
                 f"{total['rejected']} rejected-with-message, {total['other']} other")
    for o in outcomes:
        if o.verdict == "other":
            lines.append(f"  OTHER {o.model} seed {o.seed} ({o.mutation}): {o.detail}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--count", type=int, default=1000, help="mutations per model (seeds 0..count-1)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--show-rejections", action="store_true")
    parser.add_argument("--oracle", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.oracle:
        oracle_main()
        return 0
    if args.worker:
        worker_main()
        return 0
    models = args.models or sorted(SHARED_MODELS.glob("*.tflite"))
    with tempfile.TemporaryDirectory(prefix="tinyforge-fuzz-") as tmp:
        started = time.monotonic()
        outcomes = run_campaign(models, list(range(args.count)), args.workers, Path(tmp))
        print(summarise(outcomes))
        print(f"({time.monotonic() - started:.0f} s)")
    if args.show_rejections:
        for o in outcomes:
            if o.verdict == "rejected":
                print(f"  {o.model} seed {o.seed} ({o.mutation}): {o.detail}")
    return 1 if any(o.verdict == "other" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
