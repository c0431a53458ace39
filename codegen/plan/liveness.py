"""Pass 2 of 4, liveness: which bytes must exist at which step, from the lowered layers alone.

Every activation tensor gets a buffer that lives from the step that writes it to the last step that reads it.
An alias operator (RESHAPE) shares its input's buffer. An operator whose kernel declared that it may work in
place (``MemoryNeeds.in_place_scratch``) writes over its data input when nothing reads that input later and
it is not a model input; otherwise it gets a buffer of its own. A kernel's scratch is a buffer that lives for
its step alone. This is the part of TFLM's ``micro_allocation_info.cc`` that a static graph needs.
"""
from __future__ import annotations

from dataclasses import dataclass

from codegen.compiler.layer import Layer
from codegen.compiler.lower import c_identifier, spec_of
from codegen.model.tflite_model import Model
from codegen.plan.place import Buffer


@dataclass
class Liveness:
    buffers: list[Buffer]
    buffer_of: dict[int, str]          # tensor index -> buffer name
    scratch_of: dict[int, str]         # layer index -> its scratch buffer's name
    in_place: set[int]                 # indices of layers whose output overwrites their data input


def analyse(model: Model, layers: list[Layer]) -> Liveness:
    buffer_of: dict[int, str] = {}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    size: dict[str, int] = {}
    end = len(model.operators)
    last_reader: dict[int, int] = {}
    for op in model.operators:
        for t in op.inputs:
            if t >= 0:
                last_reader[t] = op.index
    for t in model.outputs:
        last_reader[t] = end
    model_inputs = set(model.inputs)
    scratch_of: dict[int, str] = {}
    in_place: set[int] = set()

    def touch(name: str, step: int) -> None:
        first[name] = min(first.get(name, step), step)
        last[name] = max(last.get(name, step), step)

    def new_buffer(name: str, nbytes: int) -> str:
        while name in size:
            name += "_"
        size[name] = nbytes
        return name

    def may_overwrite(step: int, t: int) -> bool:
        name = buffer_of.get(t)
        holders = [h for h, n in buffer_of.items() if n == name]
        return (name is not None and not model_inputs.intersection(holders)
                and all(last_reader.get(h, -1) <= step for h in holders))

    for t in model.inputs:
        name = buffer_of.setdefault(t, c_identifier(model.tensors[t].name))
        size[name] = model.tensors[t].nbytes
        touch(name, -1)
    for op, layer in zip(model.operators, layers):
        for t in op.inputs:
            if t >= 0 and not model.tensors[t].is_constant and t in buffer_of:
                touch(buffer_of[t], op.index)
        needs = layer.memory
        data_input = op.inputs[spec_of(op).data_input] if op.inputs else -1
        writes_over = (needs.in_place_scratch is not None and len(op.outputs) == 1
                       and may_overwrite(op.index, data_input))
        scratch = needs.in_place_scratch if writes_over else needs.scratch
        if writes_over:
            in_place.add(layer.index)
        if scratch:
            scratch_of[layer.index] = new_buffer(f"op{op.index}_scratch", scratch)
            touch(scratch_of[layer.index], op.index)
        for t in op.outputs:
            source = op.inputs[0] if spec_of(op).alias else data_input if writes_over else None
            if source is not None and source in buffer_of:
                buffer_of[t] = buffer_of[source]
                size[buffer_of[t]] = max(size[buffer_of[t]], model.tensors[t].nbytes)
            else:
                buffer_of[t] = new_buffer(c_identifier(model.tensors[t].name), model.tensors[t].nbytes)
            touch(buffer_of[t], op.index)
    for t in model.outputs:
        touch(buffer_of[t], end)
    buffers = [Buffer(name, size[name], first[name], last[name]) for name in size]
    return Liveness(buffers=buffers, buffer_of=buffer_of, scratch_of=scratch_of, in_place=in_place)
