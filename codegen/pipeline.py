"""The compiler's passes, in order: what a ``.tflite`` becomes before any C is written.

1. lower (``codegen.compiler.lower``): check every operator, pick each layer's kernel
   (``codegen.compiler.select``), compute its constants; arena addresses stay symbolic.
   Then the weight budget (``codegen.compiler.budget``): with optimize=size, layers whose layout is larger
   than the .tflite's go back to its int8 layout until the weights fit what the file holds for them.
2. liveness (``codegen.plan.liveness``): buffers and their lifetimes from the lowered layers' declared memory
   needs, including which layers run in place.
3. place (``codegen.plan.place``): an offset for every buffer in one arena.
4. bind (``codegen.plan.bind``): the offsets into the layers.

Before them, fold (``codegen.compiler.fold``) evaluates shape arithmetic (SHAPE and integer operators of
constants), so the passes see the model as the firmware runs it.

The result, :class:`CompiledModel`, is everything ``codegen.emit`` needs to write ``model.c``.
"""
from __future__ import annotations

from dataclasses import dataclass

from codegen.compiler.budget import WeightBudget, fit_weight_budget
from codegen.compiler.fold import fold_constants
from codegen.compiler.layer import Layer
from codegen.compiler.lower import IO_CTYPES, lower_model
from codegen.compiler.select import HOST, Target
from codegen.model.tflite_model import Model
from codegen.plan.bind import bind
from codegen.plan.liveness import Liveness, analyse
from codegen.plan.place import Buffer, Plan, plan_memory

ARENA_ALIGNMENT = 16


@dataclass
class IoTensor:
    name: str
    shape: tuple
    nbytes: int
    offset: int
    scale: float
    zero_point: int
    dtype: str = "int8"          # numpy name: int8, int16 or float32
    ctype: str = "int8_t"        # its C type, for model.h


@dataclass
class CompiledModel:
    model: Model
    target: Target
    layers: list[Layer]
    plan: Plan
    buffers: list[Buffer]
    inputs: list[IoTensor]
    outputs: list[IoTensor]
    weight_budget: WeightBudget

    @property
    def arena_size(self) -> int:
        return self.plan.arena_size

    @property
    def weight_bytes(self) -> int:
        return sum(c.nbytes for layer in self.layers for c in layer.consts)


def _io(model: Model, index: int, plan: Plan, liveness: Liveness) -> IoTensor:
    t = model.tensors[index]
    q = t.quantization
    return IoTensor(name=t.name, shape=t.shape, nbytes=t.nbytes, offset=plan.offsets[liveness.buffer_of[index]],
                    scale=float(q.scale[0]) if q else 0.0, zero_point=int(q.zero_point[0]) if q else 0,
                    dtype=t.type.lower(), ctype=IO_CTYPES.get(t.type, "int8_t"))


def compile_model(model: Model, target: Target = HOST) -> CompiledModel:
    """``target``: the core the kernels are chosen for (``Target.of(board)``); the host build is the default,
    the kernels' plain C paths."""
    folded = fold_constants(model)
    layers = lower_model(folded, target)
    budget = fit_weight_budget(model, folded, layers, target)
    model = folded
    liveness = analyse(model, layers)
    plan = plan_memory(liveness.buffers, ARENA_ALIGNMENT)
    bind(layers, liveness, plan)
    return CompiledModel(model=model, target=target, layers=layers, plan=plan, buffers=liveness.buffers,
                         inputs=[_io(model, t, plan, liveness) for t in model.inputs],
                         outputs=[_io(model, t, plan, liveness) for t in model.outputs], weight_budget=budget)
