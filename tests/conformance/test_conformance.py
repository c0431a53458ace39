"""Every conformance case, run natively through the generated C (codegen.verify.hostrun), must give TFLite's
BUILTIN_REF output bytes on seeded int8 inputs. Cases come from the cases_*.py files (see README.md)."""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from cases import KERNEL_RUNS, LAYOUT_RUNS, RESULTS, WITHIN_BOUND, kernels_called, load_cases
from codegen.compiler.select import Target
from codegen.paths import build_root
from codegen.compiler.ops import REGISTRY
from codegen.pipeline import compile_model
from codegen.verify.hostrun import build_host_executable, run_on_host
from codegen.verify.float_bound import RECURRENT_BOUND_ULPS, RECURRENT_KERNELS, agrees, tolerance
from codegen.verify.reference import reference_outputs
from codegen.model.tflite_model import load_model

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
INPUTS_PER_CASE = 4
FLOAT_INPUT_RANGE = 3.0     # float32 cases: wide enough to reach RELU6's upper clamp
CASES = load_cases()

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc not installed")


def seeded_inputs(model, seed: int) -> list[list[np.ndarray]]:
    """Uniform over the whole range of each input's type (int8, or int16 for 16x8 cases); float32 inputs
    uniform in [-FLOAT_INPUT_RANGE, FLOAT_INPUT_RANGE]."""
    rng = np.random.default_rng(seed)
    dtypes = [np.dtype(model.tensors[i].type.lower()) for i in model.inputs]

    def draw(shape, d):
        if d.kind == "f":
            return rng.uniform(-FLOAT_INPUT_RANGE, FLOAT_INPUT_RANGE, shape).astype(d)
        return rng.integers(np.iinfo(d).min, np.iinfo(d).max + 1, shape, dtype=d)
    return [[draw(model.tensors[i].shape, d) for i, d in zip(model.inputs, dtypes)] for _ in range(INPUTS_PER_CASE)]


def host_runs(model) -> tuple[dict, list]:
    """({(dsp, optimize): the kernels chosen}, the (dsp, optimize) builds to run: each distinct choice once).

    The host compiles every kernel's plain C path; it runs the layouts chosen for cores without the DSP
    extension and, where the selector chooses differently for a DSP core or with optimize=speed (the weight
    budget gives a small model's ADD tables and packed filters up), those layouts too. A kernel is its
    function and the layout of its constants (the LSTM's derived constants in flash or not)."""
    def chosen(compiled):
        return [(layer.function, layer.weight_layout, tuple(kernels_called(layer)))
                for layer in compiled.layers if layer.function]

    functions = {}
    for dsp in (False, True):
        size = compile_model(model, Target("host", dsp))
        functions[dsp, "size"] = chosen(size)
        # optimize=speed lowers the same layers and keeps them all: it differs only where size gave some up
        functions[dsp, "speed"] = (chosen(compile_model(model, Target("host", dsp, optimize="speed")))
                                   if size.weight_budget.given_up else functions[dsp, "size"])
    runs, seen = [], set()
    for build, kernels in functions.items():     # each distinct choice of kernels once
        if tuple(kernels) not in seen:
            seen.add(tuple(kernels))
            runs.append(build)
    return functions, runs


# The host executables (gcc, outside the GIL) are built two at a time, one per core of a CI machine, ahead of
# the tests, which run one at a time and find their builds made (or wait for them): without this the second
# core idled through the host cases once the background conversion had finished.
PARALLEL_BUILDS = max(1, min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def host_builds(request, converted):
    """case key -> a future of that case's host builds (build_host_executable caches them by model)."""
    wanted = [item.callspec.params["case"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_bit_exact_with_tflite_reference"]

    def build(case):
        if not case.model_path.is_file():
            return
        for dsp, optimize in host_runs(load_model(case.model_path))[1]:
            build_host_executable(case.model_path, build_root() / "conformance-host", dsp=dsp, optimize=optimize)

    pool = ThreadPoolExecutor(max_workers=PARALLEL_BUILDS)
    futures = {case.key(): pool.submit(build, case) for case in wanted}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bit_exact_with_tflite_reference(case, converted, host_builds, request):
    RESULTS[request.node.nodeid] = False
    error = case.model_path.with_suffix(".error")
    assert not error.is_file(), f"the converter refused the case: {error.read_text().strip()}"
    model = load_model(case.model_path)
    opcodes = {op.opcode for op in model.operators}
    missing = sorted(set(case.expect or [case.operator]) - opcodes)
    assert not missing, f"the converted model has {sorted(opcodes)}, not {', '.join(missing)}"
    if case.quantization in ("16x8", "float32"):
        # The int8 kernel must not be what passes a 16x8 case.
        types = {model.tensor(op.inputs[REGISTRY[op.opcode].data_input]).type
                 for op in model.operators if op.opcode == case.operator}
        want = "INT16" if case.quantization == "16x8" else "FLOAT32"
        assert want in types, f"{case.operator} has {sorted(types)} inputs, not {want.lower()}"
    inputs = seeded_inputs(model, int(case.key()[:8], 16))
    theirs = reference_outputs(case.model_path, inputs)
    functions, runs = host_runs(model)
    future = host_builds.get(case.key())
    if future is not None:
        try:
            future.result()      # built ahead: run_on_host below finds the executables made
        except Exception:        # noqa: BLE001 - run_on_host below builds again and raises it in this test
            pass
    # Bit-exact, except a float32 LSTM: TFLite's gates use Eigen's sigmoid and tanh approximations, so those
    # outputs are judged against the stated bound (codegen/verify/float_bound.py); the host's glibc gives
    # TFLite's own expf and tanhf, so the other float32 layers are exact here.
    compiled = compile_model(model, Target("host", False))
    recurrent = any(layer.function in RECURRENT_KERNELS for layer in compiled.layers)
    for dsp, optimize in runs:
        ours = run_on_host(case.model_path, inputs, build_root() / "conformance-host", dsp=dsp, optimize=optimize)
        for number, (got, want) in enumerate(zip(ours, theirs)):
            for k, (g, w) in enumerate(zip(got, want)):
                if recurrent:
                    if g.tobytes() != w.tobytes():
                        WITHIN_BOUND.add(request.node.nodeid)
                    assert agrees(g, w, tolerance(compiled, w)), (
                        f"input {number}, output {k}: {int(np.sum(g != w))} of {w.size} values differ, beyond "
                        f"{RECURRENT_BOUND_ULPS} ulp of the largest ({float(np.max(np.abs(g - w)))})")
                    continue
                assert g.tobytes() == w.tobytes(), (
                    f"{'DSP' if dsp else 'plain'} layouts, optimize={optimize}, input {number}, output {k}: "
                    f"{int(np.sum(g != w))} of {w.size} values differ, largest by "
                    f"{int(np.max(np.abs(g.astype(int) - w.astype(int))))}")
    for (dsp, _), kernels in functions.items():
        KERNEL_RUNS.update((f, HOST_BUILDS[dsp]) for _, _, called in kernels for f in called)
        LAYOUT_RUNS.update((f, layout, HOST_BUILDS[dsp]) for f, layout, _ in kernels)
    RESULTS[request.node.nodeid] = True


# The host builds' names in the coverage table (test_kernel_coverage.py).
HOST_BUILDS = {False: "host C", True: "host C, DSP layouts"}
