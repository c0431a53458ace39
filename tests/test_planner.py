"""The memory planner never lets two live tensors share bytes, and reaches the bound on chains."""
from hypothesis import given, settings, strategies as st

from codegen.planner import Buffer, align_up, lower_bound, plan_memory


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
