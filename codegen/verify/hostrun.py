"""Run a compiled model natively on the host: the same generated ``model.c`` users flash, built with gcc.

The conformance suite runs hundreds of models; the emulator would take minutes per model, the host
build takes a fraction of a second. ``run_on_host`` compiles the model with ``compile_model``, renders
``model.c``/``model.h`` exactly as the firmware build does, adds ``templates/host_main.c.j2`` (a driver
that streams every case's input bytes from a file and writes every output's bytes to another), links it
with ``firmware/kernels/*.c`` and runs it once for all cases.

Executables are cached under ``work_dir`` keyed by the model's SHA-256 and a digest of everything the
generated program depends on (kernels, headers, templates, codegen), so a re-run with an unchanged tree
runs nothing but the executable, and an edited kernel is never tested through a stale build. The kernel
objects are shared by every work folder, under ``build/objects/host-<digest of kernels, headers, flags>``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError
from codegen.paths import build_root
from codegen.emit.generate import generate_model_sources
from codegen.compiler.select import Target
from codegen.pipeline import compile_model
from codegen.emit.render import REPO_ROOT, render
from codegen.target import toolchain
from codegen.model.tflite_model import load_model

FIRMWARE = REPO_ROOT / "firmware"
KERNEL_DIR = FIRMWARE / "kernels"
INCLUDE_DIR = FIRMWARE / "include"
HOST_CC = os.environ.get("HOST_CC", "gcc")
# The product build's flags (codegen.target.toolchain), so the host runs the code the boards run.
HOST_CFLAGS = toolchain.C_FLAGS


def _tree_digest() -> str:
    """SHA-256 over the sources that shape the host program, so a changed kernel or template rebuilds."""
    roots = [(KERNEL_DIR, "*"), (INCLUDE_DIR, "**/*.h"), (REPO_ROOT / "templates", "**/*.j2"),
             (REPO_ROOT / "codegen", "**/*.py")]
    return _files_digest([path for root, pattern in roots for path in sorted(root.glob(pattern))
                          if path.is_file() and "__pycache__" not in path.parts])


_digests: dict[tuple, str] = {}


def _files_digest(paths: list[Path], salt: str = "") -> str:
    """SHA-256 over the files' names and contents. A suite asks this for every model it builds, so the answer
    is kept per process for as long as no file's size or modification time changes."""
    stats = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    key = (salt, stats)
    if key not in _digests:
        digest = hashlib.sha256(salt.encode())
        for path in paths:
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
        _digests[key] = digest.hexdigest()
    return _digests[key]


def _run_compiler(cmd: list[str], what: str) -> None:
    if shutil.which(cmd[0]) is None:
        raise TinyforgeError(f"host C compiler '{cmd[0]}' not found (install gcc, or set HOST_CC)")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinyforgeError(f"host build of {what} failed: {proc.stderr.strip()}")


def _kernel_objects() -> list[Path]:
    """The kernels compiled once per kernel source tree, compiler and flags, shared by every model's executable
    in every work folder (the objects live under ``build/objects/``, as the firmware build's do)."""
    sources = toolchain.kernel_sources()
    digest = _files_digest([*sources, *sorted(INCLUDE_DIR.rglob("*.h"))], "\0".join([HOST_CC, *HOST_CFLAGS]))
    out_dir = build_root() / "objects" / f"host-{digest[:16]}"
    objects = [out_dir / (s.stem + ".o") for s in sources]
    missing = [(source, obj) for source, obj in zip(sources, objects) if not obj.is_file()]
    if not missing:
        return objects
    out_dir.mkdir(parents=True, exist_ok=True)

    def compile_one(pair):
        source, obj = pair
        # Compile beside the final name and rename, so parallel runs never link a half-written object.
        tmp = obj.with_name(f"{obj.stem}.{os.getpid()}.{threading.get_ident()}.o")
        _run_compiler([HOST_CC, *HOST_CFLAGS, f"-I{INCLUDE_DIR}", "-c", str(source), "-o", str(tmp)],
                      source.name)
        tmp.replace(obj)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(compile_one, missing))
    return objects


def build_host_executable(model_path: str | Path, work_dir: str | Path, dsp: bool = False,
                          optimize: str = "size") -> Path:
    """Compile ``model_path`` into a host executable under ``work_dir`` (cached); return its path.

    ``dsp``: choose kernels and weight layouts as for a core with the DSP extension. The host compiles
    those kernels' plain C paths, so the DSP layouts go through generated C and are checked here too.
    ``optimize``: the weight budget's setting (codegen.compiler.budget), as scons optimize= takes it."""
    model = load_model(model_path)
    # unsupported operators stop here, before any compiler runs
    compiled = compile_model(model, Target("host", dsp, optimize=optimize))
    work_dir = Path(work_dir)
    tree = _tree_digest()
    build_dir = work_dir / (f"{model.sha256[:24]}-{tree[:12]}{'-dsp' if dsp else ''}"
                            f"{'-speed' if optimize == 'speed' else ''}")
    exe = build_dir / "model_host"
    if exe.is_file():
        return exe
    kernels = _kernel_objects()
    work_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=build_dir.name + ".", dir=work_dir))
    try:
        model_h, model_c = generate_model_sources(compiled, staging, [model.path])
        main_c = render("host_main.c.j2", staging / "host_main.c", "codegen.verify.hostrun", [model.path],
                        input_bytes=[t.nbytes for t in compiled.inputs],
                        output_bytes=[t.nbytes for t in compiled.outputs],
                        call_reset="model_reset(void)" in model_h.read_text())
        _run_compiler([HOST_CC, *HOST_CFLAGS, f"-I{staging}", f"-I{INCLUDE_DIR}", str(model_c), str(main_c),
                       *map(str, kernels), "-o", str(staging / "model_host"), "-lm"], model.path.name)
        try:
            staging.rename(build_dir)
        except OSError:
            # Another process finished the same build first; theirs is identical.
            if not exe.is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return exe


def run_on_host(model_path: str | Path, cases: list[list[np.ndarray]], work_dir: str | Path, dsp: bool = False,
                optimize: str = "size") -> list[list[np.ndarray]]:
    """Every case (one array per model input) through the host build; outputs shaped like the model's."""
    model = load_model(model_path)
    exe = build_host_executable(model_path, work_dir, dsp, optimize)
    in_tensors = [model.tensors[i] for i in model.inputs]
    out_tensors = [model.tensors[i] for i in model.outputs]
    blob = bytearray()
    for number, case in enumerate(cases):
        if len(case) != len(in_tensors):
            raise TinyforgeError(f"case {number}: {len(case)} arrays for {len(in_tensors)} model inputs")
        for value, tensor in zip(case, in_tensors):
            array = np.asarray(value)
            if array.size != tensor.size:
                raise TinyforgeError(f"case {number}: input '{tensor.name}' needs {tensor.size} values, "
                                     f"got {array.size}")
            blob += np.ascontiguousarray(array, dtype=tensor.dtype).tobytes()
    with tempfile.TemporaryDirectory(dir=exe.parent) as tmp:
        in_file, out_file = Path(tmp) / "inputs.bin", Path(tmp) / "outputs.bin"
        in_file.write_bytes(bytes(blob))
        proc = subprocess.run([str(exe), str(in_file), str(out_file)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise TinyforgeError(f"{model.path.name}: host run failed (exit {proc.returncode}): "
                                 f"{proc.stderr.strip()}")
        data = out_file.read_bytes()
    per_case = sum(t.nbytes for t in out_tensors)
    if len(data) != per_case * len(cases):
        raise TinyforgeError(f"{model.path.name}: host run wrote {len(data)} bytes, "
                             f"expected {per_case * len(cases)}")
    results = []
    for number in range(len(cases)):
        position = number * per_case
        outputs = []
        for tensor in out_tensors:
            chunk = data[position:position + tensor.nbytes]
            outputs.append(np.frombuffer(chunk, dtype=tensor.dtype).reshape(tensor.shape).copy())
            position += tensor.nbytes
        results.append(outputs)
    return results
