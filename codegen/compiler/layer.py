"""What lowering produces for one operator: the data ``templates/ops/*.c.j2`` lay out."""
from __future__ import annotations

from dataclasses import dataclass, field

C_TYPE_BYTES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "uint32_t": 4, "int64_t": 8,
                "float": 4,
                "tf_channel_requant": 12}   # (bias, multiplier, right shift) per output channel


@dataclass
class ConstArray:
    name: str
    ctype: str
    values: list
    comment: str = ""
    align: int = 0        # bytes, when a kernel reads the array with wider loads than its type (0: the type's)

    @property
    def nbytes(self) -> int:
        return len(self.values) * C_TYPE_BYTES[self.ctype]


@dataclass(frozen=True)
class MemoryNeeds:
    """What an operator asks of the memory planner (an operator module's optional ``memory(model, op)``).

    ``scratch``: bytes of working memory the kernel needs during its own step.
    ``in_place_scratch``: None if the output may not overwrite the data input; otherwise the scratch the
    kernel needs when it does (e.g. a depthwise line buffer). The planner writes the output over the
    input when the input dies at this step and is not a model input or output."""
    scratch: int = 0
    in_place_scratch: int | None = None


@dataclass
class Layer:
    index: int                 # operator index in the model's graph
    opcode: str
    kind: str                  # template name under templates/ops/
    symbol: str                # C identifier prefix for this layer's constants
    inputs: list[str]          # activation tensor names, for comments
    output: str
    input_offset: int          # arena offsets of the first activation input and the output
    output_offset: int
    output_bytes: int
    input_shape: tuple
    output_shape: tuple
    macs: int = 0
    consts: list[ConstArray] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    input_offsets: list[int] = field(default_factory=list)   # every activation input, in op order
    input_bytes: list[int] = field(default_factory=list)     # their sizes, same order
    extra_outputs: list[tuple[int, int]] = field(default_factory=list)  # (offset, bytes) of outputs 1.. (SPLIT)
    scratch_offset: int | None = None   # arena offset of the kernel's working memory, if it asked for some
    scratch_bytes: int = 0
    in_place: bool = False              # the output overwrites the data input
    core_dsp: bool = False              # the target core has the DSP extension (the board's cpu.dsp)

    @property
    def arena_ranges(self) -> list[tuple[int, int]]:
        """(offset, bytes) of every arena range the kernel call touches: what debug builds check."""
        scratch = [(self.scratch_offset, self.scratch_bytes)] if self.scratch_bytes else []
        return [*zip(self.input_offsets, self.input_bytes), (self.output_offset, self.output_bytes),
                *self.extra_outputs, *scratch]
