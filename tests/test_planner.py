"""The memory planner never lets two live tensors share bytes, and reaches the bound on chains."""
from hypothesis import given, settings, strategies as st

from codegen.plan.place import Buffer, align_up, lower_bound, plan_memory


def _check_no_overlap(buffers, plan):
    for i, a in enumerate(buffers):
        oa = plan.offsets[a.name]
        assert oa % plan.alignment == 0
        assert oa + a.size <= plan.arena_size
        for b in buffers[i + 1:]:
            if a.overlaps_in_time(b) and a.size and b.size:
                ob = plan.offsets[b.name]
                assert oa + a.size <= ob or ob + b.size <= oa, (a, b, oa, ob)


buffer_lists = st.lists(
    st.tuples(st.integers(0, 5000), st.integers(-1, 12), st.integers(0, 6)),
    min_size=1, max_size=25,
).map(lambda items: [Buffer(f"t{i}", size, first, first + span) for i, (size, first, span) in enumerate(items)])


@settings(max_examples=400, deadline=None)
@given(buffer_lists, st.sampled_from([1, 4, 16]))
def test_live_buffers_never_overlap(buffers, alignment):
    plan = plan_memory(buffers, alignment)
    _check_no_overlap(buffers, plan)
    assert plan.arena_size >= plan.lower_bound == lower_bound(buffers, alignment)


def test_chain_reaches_lower_bound():
    # input -> a -> b -> c, each op reads the previous tensor: two tensors live at a time
    sizes = [1960, 4000, 16, 16]
    chain = [Buffer(f"t{i}", s, i - 1, i) for i, s in enumerate(sizes)]
    plan = plan_memory(chain, 16)
    assert plan.lower_bound == align_up(1960, 16) + 4000
    assert plan.arena_size == plan.lower_bound
    _check_no_overlap(chain, plan)


def test_disjoint_lifetimes_share_bytes():
    a, b = Buffer("a", 100, 0, 1), Buffer("b", 100, 2, 3)
    plan = plan_memory([a, b], 4)
    assert plan.offsets["a"] == plan.offsets["b"] == 0
    assert plan.arena_size == 100


# --------------------------------------------------------------------------
# In-place operators, as compile_model plans them
# --------------------------------------------------------------------------

def _compiled(tmp_path, tensors, ops, inputs, outputs):
    from codegen.pipeline import compile_model
    from codegen.model.tflite_model import load_model
    from tflite_builder import build
    path = tmp_path / "model.tflite"
    path.write_bytes(build(tensors, ops, inputs, outputs))
    return compile_model(load_model(path))


def test_elementwise_chain_runs_in_place_but_never_over_the_model_input(tmp_path):
    from tflite_builder import Op, T
    tensors = [T(name, (1, 64), "INT8", 0.05, 3) for name in ("x", "a", "b", "c")]
    compiled = _compiled(tmp_path, tensors, [Op("RELU", [0], [1]), Op("TANH", [1], [2]), Op("RELU", [2], [3])],
                         [0], [3])
    first, second, third = compiled.layers
    assert not first.in_place                       # its input is the model's input: the caller's data
    assert second.in_place and third.in_place
    assert second.output_offset == second.input_offset == third.output_offset
    assert compiled.arena_size == compiled.plan.lower_bound == 128


def test_a_tensor_read_later_is_not_overwritten(tmp_path):
    from tflite_builder import Op, T
    tensors = [T(name, (1, 64), "INT8", 0.05, 3) for name in ("x", "a", "b", "c")]
    # a feeds TANH and, later, ADD: TANH must not write over it.
    compiled = _compiled(tmp_path, tensors, [Op("RELU", [0], [1]), Op("TANH", [1], [2]),
                                             Op("ADD", [2, 1], [3], ("AddOptions", {}))], [0], [3])
    relu, tanh, add = compiled.layers
    assert not tanh.in_place and tanh.output_offset != tanh.input_offset
    assert add.in_place                             # b dies at ADD, a is not broadcast


def test_ds_cnn_runs_its_depthwise_and_pointwise_layers_in_place():
    """MLPerf Tiny's DS-CNN: one 8,000-byte activation tensor where TFLM keeps two."""
    import pytest
    from pathlib import Path
    from codegen.pipeline import compile_model
    from codegen.model.tflite_model import load_model
    model = Path(__file__).resolve().parent.parent.parent / "shared" / "models" / "kws_ref_model.tflite"
    if not model.is_file():
        pytest.skip(f"{model} is not there")
    from codegen.compiler.select import Target
    for dsp in (False, True):   # the depthwise kernel differs on DSP cores; both work in place
        compiled = compile_model(load_model(model), Target("cortex-m33", dsp))
        separable = [layer for layer in compiled.layers if layer.function in (
            "pointwise_conv_s8", "depthwise_conv2d_3x3_s8", "depthwise_conv2d_fast_s8")]
        assert len(separable) == 8 and all(layer.in_place for layer in separable)
        assert compiled.arena_size == compiled.plan.lower_bound < 2 * 8000
