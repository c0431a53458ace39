"""Pass 4 of 4, bind: put the placed offsets into the lowered layers. Every :class:`ArenaRef` that lowering
left, in a layer's fields or anywhere in its parameters, becomes a byte offset into the arena."""
from __future__ import annotations

from dataclasses import fields

from codegen.compiler.layer import ArenaRef, Layer
from codegen.plan.liveness import Liveness
from codegen.plan.place import Plan


def _resolve(value, offset_of):
    if isinstance(value, ArenaRef):
        return offset_of(value)
    if isinstance(value, dict):
        return {k: _resolve(v, offset_of) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, offset_of) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve(v, offset_of) for v in value)
    return value


def bind(layers: list[Layer], liveness: Liveness, plan: Plan) -> None:
    def offset_of(ref: ArenaRef) -> int:
        return plan.offsets[liveness.buffer_of[ref.tensor]] + ref.delta

    for layer in layers:
        for name in ("input_offset", "output_offset", "input_offsets", "extra_outputs", "params"):
            setattr(layer, name, _resolve(getattr(layer, name), offset_of))
        layer.in_place = layer.index in liveness.in_place
        scratch = liveness.scratch_of.get(layer.index)
        if scratch is not None:
            layer.scratch_offset = plan.offsets[scratch]
            layer.scratch_bytes = next(b.size for b in liveness.buffers if b.name == scratch)
        else:
            layer.scratch_offset, layer.scratch_bytes = None, 0
        unbound = [f.name for f in fields(layer) if _contains_ref(getattr(layer, f.name))]
        if unbound:
            raise AssertionError(f"layer {layer.index}: arena references left unbound in {', '.join(unbound)}")


def _contains_ref(value) -> bool:
    if isinstance(value, ArenaRef):
        return True
    if isinstance(value, dict):
        return any(_contains_ref(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_ref(v) for v in value)
    return False
