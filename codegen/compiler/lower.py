"""Lower a ``Model`` to kernel calls with precomputed parameters and a memory plan.

The result, ``CompiledModel``, is everything ``model.c.j2`` needs. Each operator is
lowered by its module in ``codegen/compiler/ops/`` and laid out by ``templates/ops/<kind>.c.j2``;
together they give
for every operator the kernel to call, its parameter values, the constant
arrays it reads (weights, bias, requantization tables) and the arena offsets
of its input and output. All arithmetic on quantization parameters happens
here, in Python, with ``codegen.compiler.quant`` mirroring TFLite's Prepare functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from codegen.errors import TinyforgeError
from codegen.compiler.layer import ConstArray, Layer, MemoryNeeds  # noqa: F401  (re-exported for callers)
from codegen.compiler.ops import REGISTRY, SUPPORTED_OPS, unsupported
from codegen.plan.place import Buffer, Plan, plan_memory
from codegen.model.tflite_model import Model, Operator

ARENA_ALIGNMENT = 16
# Model input/output types the generated API and the test path carry (QUANTIZE/DEQUANTIZE at the edges).
IO_CTYPES = {"INT8": "int8_t", "INT16": "int16_t", "FLOAT32": "float"}
SHAPE_PRESERVING_OPS = frozenset({"SOFTMAX", "LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU",
                                  "HARD_SWISH", "QUANTIZE", "DEQUANTIZE", "ELU", "PRELU", "LOG_SOFTMAX"})
ALIAS_OPS = {opcode for opcode, module in REGISTRY.items() if getattr(module, "ALIAS", False)}


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
    layers: list[Layer]
    plan: Plan
    buffers: list[Buffer]
    inputs: list[IoTensor]
    outputs: list[IoTensor]

    @property
    def arena_size(self) -> int:
        return self.plan.arena_size

    @property
    def weight_bytes(self) -> int:
        return sum(c.nbytes for layer in self.layers for c in layer.consts)


def c_identifier(text: str) -> str:
    ident = re.sub(r"[^0-9A-Za-z_]", "_", text)
    return ident if ident and not ident[0].isdigit() else f"_{ident}"


# Operators that run other subgraphs (the converter's loops and conditionals).
CONTROL_FLOW_OPS = ("WHILE", "IF", "CALL_ONCE", "CALL")


def check_supported(model: Model, op: Operator) -> None:
    """Raise a one-line ``Unsupported`` error when codegen cannot lower ``op``."""
    module = REGISTRY.get(op.opcode)
    if op.opcode in CONTROL_FLOW_OPS:
        called = sorted({v for k, v in op.options.items() if k.endswith("subgraph_index")})
        raise unsupported(op, f"control flow into subgraph(s) {', '.join(map(str, called)) or '?'}; "
                              "only single-subgraph models compile (unroll loops, e.g. Keras RNNs with unroll=True)")
    if module is None:
        raise unsupported(op, "no kernel for this operator")
    if len(op.outputs) != 1 and not getattr(module, "MULTIPLE_OUTPUTS", False):
        raise unsupported(op, f"{len(op.outputs)} outputs")
    # SPLIT takes its axis first: DATA_INPUT names the position of the tensor the operator transforms.
    data_input = getattr(module, "DATA_INPUT", 0)
    first = model.tensor(op.inputs[data_input]) if len(op.inputs) > data_input else None
    if (first is None or first.is_constant) and not getattr(module, "CONSTANT_OPERANDS", False):
        raise unsupported(op, "its first input must be an activation tensor")
    out = model.op_outputs(op)[0]
    # TFLite's Prepare resizes these outputs to the input's shape whatever the file declares; the firmware
    # uses the declared shape, so the two must agree.
    if op.opcode in SHAPE_PRESERVING_OPS and out.shape != first.shape:
        raise unsupported(op, f"output shape {list(out.shape)} differs from input shape {list(first.shape)}")
    module.check(model, op)


def _memory_needs(model: Model, op: Operator) -> MemoryNeeds:
    memory = getattr(REGISTRY[op.opcode], "memory", None)
    return memory(model, op) if memory is not None else MemoryNeeds()


def _plan(model: Model) -> tuple[Plan, list[Buffer], dict[int, str], dict[int, tuple[str | None, int, bool]]]:
    """Give every activation tensor a buffer; alias ops share their input's buffer, and an operator that
    can work in place writes over its data input when nothing reads that input later.

    Also returns, per operator index, the buffer and bytes of its scratch (None, 0 without) and whether it runs
    in place."""
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
    kernel_memory: dict[int, tuple[str | None, int, bool]] = {}

    def touch(name: str, step: int) -> None:
        first[name] = min(first.get(name, step), step)
        last[name] = max(last.get(name, step), step)

    def new_buffer(name: str, nbytes: int) -> str:
        while name in size:
            name += "_"
        size[name] = nbytes
        return name

    def may_overwrite(op: Operator, t: int) -> bool:
        name = buffer_of.get(t)
        holders = [h for h, n in buffer_of.items() if n == name]
        return (name is not None and not model_inputs.intersection(holders)
                and all(last_reader.get(h, -1) <= op.index for h in holders))

    for t in model.inputs:
        name = buffer_of.setdefault(t, c_identifier(model.tensors[t].name))
        size[name] = model.tensors[t].nbytes
        touch(name, -1)
    for op in model.operators:
        for t in op.inputs:
            if t >= 0 and not model.tensors[t].is_constant and t in buffer_of:
                touch(buffer_of[t], op.index)
        needs = _memory_needs(model, op)
        data_input = op.inputs[getattr(REGISTRY[op.opcode], "DATA_INPUT", 0)] if op.inputs else -1
        in_place = needs.in_place_scratch is not None and len(op.outputs) == 1 and may_overwrite(op, data_input)
        scratch = needs.in_place_scratch if in_place else needs.scratch
        scratch_buffer = new_buffer(f"op{op.index}_scratch", scratch) if scratch else None
        if scratch_buffer:
            touch(scratch_buffer, op.index)
        kernel_memory[op.index] = (scratch_buffer, scratch, in_place)
        for t in op.outputs:
            source = op.inputs[0] if op.opcode in ALIAS_OPS else data_input if in_place else None
            if source is not None and source in buffer_of:
                buffer_of[t] = buffer_of[source]
                size[buffer_of[t]] = max(size[buffer_of[t]], model.tensors[t].nbytes)
            else:
                buffer_of[t] = new_buffer(c_identifier(model.tensors[t].name), model.tensors[t].nbytes)
            touch(buffer_of[t], op.index)
    for t in model.outputs:
        touch(buffer_of[t], end)
    buffers = [Buffer(name, size[name], first[name], last[name]) for name in size]
    return plan_memory(buffers, ARENA_ALIGNMENT), buffers, buffer_of, kernel_memory


def _io(model: Model, index: int, plan: Plan, buffer_of: dict[int, str]) -> IoTensor:
    t = model.tensors[index]
    q = t.quantization
    return IoTensor(name=t.name, shape=t.shape, nbytes=t.nbytes, offset=plan.offsets[buffer_of[index]],
                    scale=float(q.scale[0]) if q else 0.0, zero_point=int(q.zero_point[0]) if q else 0,
                    dtype=t.type.lower(), ctype=IO_CTYPES.get(t.type, "int8_t"))


def compile_model(model: Model, dsp: bool = False) -> CompiledModel:
    """``dsp``: the target core has the DSP extension (``Board.dsp``), so operators may choose kernels and
    weight layouts built for SMLAD; the host and Cortex-M3 builds take the default."""
    # Operators first: a model has several subgraphs because of a WHILE or IF, and naming it says more.
    for op in model.operators:
        check_supported(model, op)
    if model.subgraph_count != 1:
        raise TinyforgeError(f"{model.path}: {model.subgraph_count} subgraphs; only single-subgraph models "
                             "are supported (control flow such as WHILE/IF is not)")
    for t in model.inputs + model.outputs:
        if model.tensors[t].type not in IO_CTYPES:
            raise TinyforgeError(f"{model.path}: model input/output '{model.tensors[t].name}' is "
                                 f"{model.tensors[t].type}; inputs and outputs can be "
                                 f"{', '.join(t.lower() for t in IO_CTYPES)}")
    plan, buffers, buffer_of, kernel_memory = _plan(model)
    layers = []
    for op in model.operators:
        module = REGISTRY[op.opcode]
        out = model.op_outputs(op)[0]
        # Variable tensors (LSTM/SVDF state) live in their operator's own static buffers, not the arena.
        activations = [t for t in op.inputs
                       if t >= 0 and not model.tensors[t].is_constant and not model.tensors[t].is_variable]
        data_input = op.inputs[getattr(module, "DATA_INPUT", 0)]
        if data_input not in buffer_of and activations:
            data_input = activations[0]   # e.g. ADD(constant, activation): the arena operand is the second
        inp = model.tensors[data_input]
        layer = Layer(index=op.index, opcode=op.opcode, kind=module.KIND, symbol=f"op{op.index}_{module.KIND}",
                      inputs=[model.tensors[t].name for t in activations], output=out.name,
                      input_offset=plan.offsets[buffer_of[data_input]],
                      output_offset=plan.offsets[buffer_of[op.outputs[0]]],
                      output_bytes=out.nbytes, input_shape=inp.shape, output_shape=out.shape,
                      input_offsets=[plan.offsets[buffer_of[t]] for t in activations],
                      input_bytes=[model.tensors[t].nbytes for t in activations],
                      extra_outputs=[(plan.offsets[buffer_of[t]], model.tensors[t].nbytes) for t in op.outputs[1:]])
        layer.core_dsp = dsp
        scratch_buffer, layer.scratch_bytes, layer.in_place = kernel_memory[op.index]
        if scratch_buffer:
            layer.scratch_offset = plan.offsets[scratch_buffer]
        module.lower(model, op, layer)
        layers.append(layer)
    return CompiledModel(model=model, layers=layers, plan=plan, buffers=buffers,
                         inputs=[_io(model, t, plan, buffer_of) for t in model.inputs],
                         outputs=[_io(model, t, plan, buffer_of) for t in model.outputs])
