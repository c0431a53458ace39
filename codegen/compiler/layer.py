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
    """What a lowered operator asks of the memory planner (from its kernel choice, or its spec's ``memory``).

    ``scratch``: bytes of working memory the kernel needs during its own step.
    ``in_place_scratch``: None if the output may not overwrite the data input; otherwise the scratch the
    kernel needs when it does (e.g. a depthwise line buffer). The liveness pass writes the output over the
    input when the input dies at this step and is not a model input or output."""
    scratch: int = 0
    in_place_scratch: int | None = None


@dataclass(frozen=True)
class ArenaRef:
    """An arena address before placement: the start of tensor ``tensor``'s buffer plus ``delta`` bytes.

    Lowering writes these wherever a kernel argument is an arena address (operands of ADD, the slices of
    SPLIT); the bind pass replaces every one with the placed offset, so lowering never sees the plan."""
    tensor: int
    delta: int = 0

    def __add__(self, other: int) -> "ArenaRef":
        return ArenaRef(self.tensor, self.delta + int(other))

    __radd__ = __add__


@dataclass
class Layer:
    """One operator as the lowering pass leaves it, and as the bind pass completes it with arena offsets."""
    index: int                 # operator index in the model's graph
    opcode: str
    template: str              # templates/ops/<template>.c.j2
    function: str | None       # the C function the layer calls (None: no call, e.g. RESHAPE)
    symbol: str                # C identifier prefix for this layer's constants
    inputs: list[str]          # activation tensor names, for comments
    output: str
    output_bytes: int
    input_shape: tuple
    output_shape: tuple
    target: object = None      # codegen.compiler.select.Target: the core the kernels are chosen for
    macs: int = 0
    consts: list[ConstArray] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    memory: MemoryNeeds = field(default_factory=MemoryNeeds)
    choice_reason: str = ""    # the selector predicate that picked the function ("" when the spec's default)
    weight_layout: str = ""
    # Arena addresses: ArenaRef during lowering, byte offsets after the bind pass.
    input_offset: object = None          # the data input
    output_offset: object = None
    input_offsets: list = field(default_factory=list)   # every activation input, in op order
    input_bytes: list[int] = field(default_factory=list)     # their sizes, same order
    extra_outputs: list = field(default_factory=list)  # (offset, bytes) of outputs 1.. (SPLIT)
    scratch_offset: int | None = None   # arena offset of the kernel's working memory, if it asked for some
    scratch_bytes: int = 0
    in_place: bool = False              # the output overwrites the data input

    def apply(self, choice) -> None:
        """Take a :class:`codegen.compiler.select.KernelChoice`: its function, template and memory needs."""
        self.function = choice.function
        self.template = choice.template
        self.weight_layout = choice.weight_layout
        self.choice_reason = choice.reason
        self.memory = MemoryNeeds(choice.scratch, choice.in_place_scratch)

    @property
    def arena_ranges(self) -> list[tuple[int, int]]:
        """(offset, bytes) of every arena range the kernel call touches: what debug builds check."""
        scratch = [(self.scratch_offset, self.scratch_bytes)] if self.scratch_bytes else []
        return [*zip(self.input_offsets, self.input_bytes), (self.output_offset, self.output_bytes),
                *self.extra_outputs, *scratch]
