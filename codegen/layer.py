"""What lowering produces for one operator: the data ``templates/ops/*.c.j2`` lay out."""
from __future__ import annotations

from dataclasses import dataclass, field

C_TYPE_BYTES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "uint32_t": 4, "int64_t": 8,
                "float": 4}


@dataclass
class ConstArray:
    name: str
    ctype: str
    values: list
    comment: str = ""

    @property
    def nbytes(self) -> int:
        return len(self.values) * C_TYPE_BYTES[self.ctype]


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

    @property
    def arena_ranges(self) -> list[tuple[int, int]]:
        """(offset, bytes) of every arena range the kernel call touches: what debug builds check."""
        return [*zip(self.input_offsets, self.input_bytes), (self.output_offset, self.output_bytes),
                *self.extra_outputs]
