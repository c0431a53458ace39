"""The compiler's passes one by one: lower leaves arena addresses symbolic, liveness decides lifetimes and
in-place writes, place packs the buffers, bind resolves every address; and the contracts around them (operator
specs, a board's DSP flag, the kernels' ABI guard)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codegen.compiler.layer import ArenaRef, Layer
from codegen.compiler.lower import lower_model
from codegen.compiler.select import HOST, Target
from codegen.errors import TinyforgeError
from codegen.model.tflite_model import load_model
from codegen.pipeline import compile_model
from codegen.plan.bind import bind
from codegen.plan.liveness import analyse
from codegen.plan.place import plan_memory
from tflite_builder import Op, T, build

ELEMENTWISE = ("RELU", "TANH", "LOGISTIC")


def graph(draw_ops, width: int = 48):
    """A random DAG: each op reads one or two earlier tensors (ADD when two), every tensor int8 [1, width]."""
    tensors = [T("x", (1, width), "INT8", 0.05, 3)]
    ops = []
    for number, (kind, first, second) in enumerate(draw_ops):
        a = first % len(tensors)
        out = len(tensors)
        tensors.append(T(f"t{number}", (1, width), "INT8", 0.05 if kind != "LOGISTIC" else 1 / 256,
                         3 if kind != "LOGISTIC" else -128))
        if kind == "ADD" and len(tensors) > 2:
            ops.append(Op("ADD", [a, second % out], [out], ("AddOptions", {})))
        else:
            ops.append(Op(kind if kind != "ADD" else "RELU", [a], [out]))
    readers = {i for op in ops for i in op.inputs}
    outputs = [i for i in range(1, len(tensors)) if i not in readers] or [len(tensors) - 1]
    return tensors, ops, outputs


def write(tmp_path, tensors, ops, outputs):
    path = tmp_path / "graph.tflite"
    path.write_bytes(build(tensors, ops, [0], outputs))
    return load_model(path)


random_graphs = st.lists(st.tuples(st.sampled_from(ELEMENTWISE + ("ADD",)), st.integers(0, 30), st.integers(0, 30)),
                         min_size=1, max_size=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(random_graphs)
def test_no_live_tensor_is_overwritten(tmp_path, draw_ops):
    """Step by step over the bound plan: the bytes an operator writes hold no tensor that is still to be read
    (a model output is read at the end), except the data input it was allowed to overwrite in place."""
    model = write(tmp_path, *graph(draw_ops))
    compiled = compile_model(model)
    span = {}
    last_read = {t: len(model.operators) for t in model.outputs}
    for op in model.operators:
        for t in op.inputs:
            last_read[t] = max(last_read.get(t, -1), op.index)
    for t in model.inputs:
        span[t] = (compiled.inputs[0].offset, model.tensors[t].nbytes)
    for op, layer in zip(model.operators, compiled.layers):
        assert isinstance(layer.output_offset, int) and all(isinstance(o, int) for o in layer.input_offsets)
        out = op.outputs[0]
        write_range = (layer.output_offset, layer.output_offset + layer.output_bytes)
        for t, (offset, nbytes) in span.items():
            alive_after = last_read.get(t, -1) > op.index
            overlaps = offset < write_range[1] and write_range[0] < offset + nbytes
            if overlaps and alive_after:
                pytest.fail(f"operator {op.index} writes [{write_range[0]}, {write_range[1]}) over tensor {t}, "
                            f"read until step {last_read.get(t)}")
            if overlaps and not layer.in_place and last_read.get(t, -1) == op.index:
                pytest.fail(f"operator {op.index} writes over its input {t} without being planned in place")
        span[out] = (layer.output_offset, layer.output_bytes)
    assert compiled.arena_size >= compiled.plan.lower_bound


def test_random_graphs_are_bit_exact_on_the_host(tmp_path):
    """A few random in-place graphs through the generated C and TFLite's reference kernels."""
    if shutil.which("gcc") is None:
        pytest.skip("host gcc not installed")
    from codegen.verify.hostrun import run_on_host
    from codegen.verify.reference import reference_outputs
    rng = np.random.default_rng(7)
    for number in range(4):
        draw = [((ELEMENTWISE + ("ADD",))[rng.integers(4)], int(rng.integers(30)), int(rng.integers(30)))
                for _ in range(8)]
        folder = tmp_path / str(number)
        folder.mkdir()
        model = write(folder, *graph(draw))
        cases = [[rng.integers(-128, 128, (1, 48), dtype=np.int8)] for _ in range(2)]
        ours = run_on_host(model.path, cases, tmp_path / "host")
        theirs = reference_outputs(model.path, cases)
        assert [[o.tobytes() for o in c] for c in ours] == [[o.tobytes() for o in c] for c in theirs]


def test_lowering_leaves_addresses_symbolic_and_bind_resolves_them(tmp_path):
    tensors = [T(name, (1, 64), "INT8", 0.05, 3) for name in ("x", "a", "b")]
    model = write(tmp_path, tensors, [Op("RELU", [0], [1]), Op("ADD", [1, 0], [2], ("AddOptions", {}))], [2])
    layers = lower_model(model, HOST)
    assert layers[0].input_offset == ArenaRef(0) and layers[0].output_offset == ArenaRef(1)
    assert layers[1].input_offsets == [ArenaRef(1), ArenaRef(0)]
    liveness = analyse(model, layers)
    plan = plan_memory(liveness.buffers, 16)
    bind(layers, liveness, plan)
    assert layers[1].input_offsets == [plan.offsets[liveness.buffer_of[1]], plan.offsets[liveness.buffer_of[0]]]
    assert layers[1].in_place                 # a dies at ADD and is neither a model input nor broadcast
    assert not layers[0].in_place             # x is the caller's data


def test_bind_resolves_nested_references_with_their_deltas():
    layer = Layer(index=0, opcode="SPLIT", template="strided_copy", function="strided_copy_s8", symbol="op0",
                  inputs=[], output="o", output_bytes=8, input_shape=(8,), output_shape=(4,),
                  input_offset=ArenaRef(0), output_offset=ArenaRef(1), input_offsets=[ArenaRef(0)],
                  input_bytes=[8], extra_outputs=[(ArenaRef(2), 4)],
                  params=dict(copies=[dict(src=ArenaRef(0) + 4, dst=ArenaRef(2))], pair=(ArenaRef(1) + 1, 3)))

    class Live:
        buffer_of = {0: "a", 1: "b", 2: "c"}
        scratch_of: dict = {}
        in_place: set = set()
        buffers: list = []

    class Plan:
        offsets = {"a": 0, "b": 32, "c": 64}

    bind([layer], Live(), Plan())
    assert layer.params == dict(copies=[dict(src=4, dst=64)], pair=(33, 3))
    assert layer.extra_outputs == [(64, 4)] and layer.output_offset == 32


# --------------------------------------------------------------------------
# Operator specs
# --------------------------------------------------------------------------

def _discover(tmp_path, source: str, name: str = "broken_op"):
    from codegen.compiler.ops import discover
    package = tmp_path / "specpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(tmp_path))
    try:
        return discover([str(package)], "specpkg")
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.startswith("specpkg")]:
            del sys.modules[module]


def test_every_operator_module_has_a_checked_spec():
    from codegen.compiler.ops import REGISTRY, OperatorSpec
    assert REGISTRY and all(isinstance(spec, OperatorSpec) for spec in REGISTRY.values())
    assert REGISTRY["SOFTMAX"].shape_preserving and not REGISTRY["CONV_2D"].shape_preserving
    assert REGISTRY["RESHAPE"].alias and REGISTRY["RESHAPE"].function is None


@pytest.mark.parametrize("source, message", [
    ("OPCODES = ('FOO',)\n", "codegen/compiler/ops/broken_op.py: SPEC must be an OperatorSpec (every public "
                             "operator module defines one)"),
    ("from codegen.compiler.ops import OperatorSpec\n"
     "SPEC = OperatorSpec(opcodes=('FOO',), template='no_such_template', function='foo_s8', check=print, "
     "lower=print)\n", "codegen/compiler/ops/broken_op.py: SPEC.template 'no_such_template' has no "
                       "templates/ops/no_such_template.c.j2"),
    ("from codegen.compiler.ops import OperatorSpec\n"
     "SPEC = OperatorSpec(opcodes=('FOO',), template='add', function=None, check=print, lower=print)\n",
     "codegen/compiler/ops/broken_op.py: SPEC.function is None but the operator is not an alias"),
    ("from codegen.compiler.ops import OperatorSpec\n"
     "SPEC = OperatorSpec(opcodes=('FOO',), template='add', function='foo_s8', check=None, lower=print)\n",
     "codegen/compiler/ops/broken_op.py: SPEC.check is not callable"),
])
def test_a_malformed_operator_module_is_named_in_one_line(tmp_path, source, message):
    with pytest.raises(TinyforgeError) as error:
        _discover(tmp_path, source)
    assert str(error.value) == message


# --------------------------------------------------------------------------
# A board's DSP flag and its compiler flags
# --------------------------------------------------------------------------

def _board_with(tmp_path, core: str, dsp: str | None, base: str = "efr32mg24"):
    from codegen.target.boards import BOARDS_DIR, load_board
    text = (BOARDS_DIR / f"{base}.toml").read_text()
    text = re.sub(r'core = "[^"]+"', f'core = "{core}"', text, count=1)
    text = re.sub(r"\ndsp = \w+[^\n]*", "" if dsp is None else f"\ndsp = {dsp}", text, count=1)
    path = tmp_path / f"{core}.toml"
    path.write_text(text)
    return path, load_board


def test_dsp_off_on_a_core_where_it_is_optional_reaches_the_compiler(tmp_path):
    path, load_board = _board_with(tmp_path, "cortex-m33", "false")
    board = load_board(path)
    assert not board.dsp and "-mcpu=cortex-m33+nodsp" in board.cflags
    assert Target.of(board) == Target("cortex-m33", False, "efr32mg24")
    path, _ = _board_with(tmp_path, "cortex-m33", None)
    assert load_board(path).dsp and "-mcpu=cortex-m33" in load_board(path).cflags


@pytest.mark.parametrize("core, dsp, message", [
    ("cortex-m3", "true", "[cpu] dsp = true, but cortex-m3 has no DSP extension; remove the line"),
    ("cortex-m4", "false", "[cpu] dsp = false, but cortex-m4 always has the DSP extension and the compiler "
                           "cannot turn it off; remove the line"),
    ("cortex-m99", "true", "core 'cortex-m99' in [cpu] is not one tinyforge builds for; known cores are "
                           "cortex-m0, cortex-m0plus, cortex-m1, cortex-m3, cortex-m23, cortex-m4, cortex-m7, "
                           "cortex-m33, cortex-m35p, cortex-m55"),
])
def test_a_dsp_flag_the_core_cannot_honour_is_refused(tmp_path, core, dsp, message):
    path, load_board = _board_with(tmp_path, core, dsp)
    with pytest.raises(TinyforgeError) as error:
        load_board(path)
    assert str(error.value) == f"{path}: {message}"


# --------------------------------------------------------------------------
# The ABI guard between model.c and the kernels
# --------------------------------------------------------------------------

def test_generator_and_kernels_agree_on_the_abi_and_limits():
    from codegen.compiler import select
    from codegen.emit.generate import KERNELS_ABI_VERSION
    from codegen.paths import FIRMWARE_DIR
    header = (FIRMWARE_DIR / "include" / "tinyforge" / "kernels.h").read_text()
    define = dict(re.findall(r"^#define (TF_\w+) (\d+)", header, re.M))
    assert int(define["TF_KERNELS_ABI_VERSION"]) == KERNELS_ABI_VERSION
    assert int(define["TF_DW_MAX_KERNEL_H"]) == select.FAST_DEPTHWISE_MAX_KERNEL_H
    assert int(define["TF_TAP_PAIRS_MAX_TAPS"]) == select.TAP_PAIRS_MAX_TAPS


def test_model_c_for_another_abi_says_regenerate(tmp_path, monkeypatch):
    if shutil.which("gcc") is None:
        pytest.skip("host gcc not installed")
    from codegen.emit import generate
    from codegen.paths import FIRMWARE_DIR
    tensors = [T(name, (1, 16), "INT8", 0.05, 3) for name in ("x", "y")]
    model = write(tmp_path, tensors, [Op("RELU", [0], [1])], [1])
    monkeypatch.setattr(generate, "KERNELS_ABI_VERSION", generate.KERNELS_ABI_VERSION + 1)
    _, model_c = generate.generate_model_sources(compile_model(model), tmp_path / "gen", [model.path])
    proc = subprocess.run(["gcc", "-std=c99", "-c", str(model_c), f"-I{tmp_path / 'gen'}",
                           f"-I{FIRMWARE_DIR / 'include'}", "-o", str(tmp_path / "model.o")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert (f"#error \"Regenerate model.c: it was generated for kernel ABI {generate.KERNELS_ABI_VERSION}, and "
            "tinyforge/kernels.h is another version\"") in proc.stderr
