"""Pass 1b, the weight budget: with ``optimize=size`` (the default) the model's weights and parameters in flash
stay within the bytes the .tflite holds for them; ``optimize=speed`` lets every layer keep its fastest layout
and the size report says what that costs.

What the .tflite holds for a constant tensor is its data and its quantization parameters: the flatbuffer stores
a float32 scale and an int64 zero point per channel (``QuantizationParameters``). TFLite computes each channel's
multiplier and shift from those scales when it prepares the model; the firmware stores them instead, 12 bytes a
channel with the bias (``tf_channel_requant``), which is why a per-channel layer costs no more than the file.

Some layouts are larger than the file's int8 (``Target.grow_weights``): packed_conv_s8's filter with two
output channels per word, depthwise_conv2d_3x3_s8's int16 pairs, add_elementwise_s8's two tables. When the
model as lowered is over its budget, this pass lowers each such layer again without them and gives up the
layers that buy the least work per byte first (MACs, or elements for ADD, per byte saved), until the model
fits its budget or no layer can shrink further. The LSTM keeps its kernel and leaves out derived constants the
file does not hold: its recurrent biases are computed into RAM at reset and exp's Taylor part for each value
(``KernelChoice.precomputed``). What stays over is reported, not hidden.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from codegen.compiler.layer import Layer
from codegen.compiler.lower import lower_operator
from codegen.compiler.select import Target
from codegen.model.tflite_model import Model, Tensor

SCALE_BYTES = 4          # float32 per channel
ZERO_POINT_BYTES = 8     # int64 per channel


def tflite_bytes(tensor: Tensor) -> int:
    """The bytes the .tflite stores for one constant tensor: its data and its quantization parameters."""
    q = tensor.quantization
    params = 0 if q is None else SCALE_BYTES * len(q.scale) + ZERO_POINT_BYTES * len(q.zero_point)
    return tensor.nbytes + params


def weight_budget(model: Model) -> int:
    """The bytes the .tflite holds for all its constant tensors (the model as read, before folding)."""
    return sum(tflite_bytes(t) for t in model.tensors if t.is_constant)


def layer_budget(model: Model, layer: Layer) -> int:
    """The bytes the .tflite holds for the constant inputs of ``layer``'s operator."""
    op = next(op for op in model.operators if op.index == layer.index)   # indices survive folding, positions not
    return sum(tflite_bytes(model.tensors[t]) for t in dict.fromkeys(op.inputs)
               if t >= 0 and model.tensors[t].is_constant)


def layer_weight_bytes(layer: Layer) -> int:
    return sum(c.nbytes for c in layer.consts)


@dataclass(frozen=True)
class Growth:
    """One layer whose weights and parameters take more bytes than the .tflite holds for them."""
    index: int
    opcode: str
    function: str
    extra_bytes: int

    def describe(self) -> str:
        return f"#{self.index} {self.opcode} {self.function} +{self.extra_bytes:,}"


@dataclass
class WeightBudget:
    optimize: str
    budget: int                  # what the .tflite holds for its constants
    weights: int = 0             # what the firmware stores, after this pass
    # layers this pass lowered again in the .tflite's int8 layouts: (index, opcode, from kernel, to kernel, saved)
    given_up: list[tuple[int, str, str, str, int]] = field(default_factory=list)
    growth: list[Growth] = field(default_factory=list)   # layers still larger than the file's, largest first

    @property
    def over(self) -> int:
        return max(0, self.weights - self.budget)

    def summary(self) -> str:
        """One line for the size report and inspect."""
        ratio = f"{self.weights / self.budget:.2f} x " if self.budget else ""
        head = (f"weights and parameters {self.weights:,} bytes = {ratio}the {self.budget:,} bytes the .tflite holds "
                f"for its constants (data and quantization parameters); optimize={self.optimize}")
        if self.given_up:
            head += (f", {len(self.given_up)} layer{'s' if len(self.given_up) > 1 else ''} in the .tflite's int8 "
                     f"layout to fit it ({', '.join(f'#{i} {op} {a} -> {b}' for i, op, a, b, _ in self.given_up[:4])}"
                     f"{', ...' if len(self.given_up) > 4 else ''})")
        if self.over:
            growing = ", ".join(g.describe() for g in self.growth[:4]) + (", ..." if len(self.growth) > 4 else "")
            why = ("faster layouts kept by optimize=speed" if self.optimize == "speed"
                   else "layouts with no smaller kernel")
            head += f"; over it by {self.over:,} bytes: {why} ({growing})"
        return head


def fit_weight_budget(model: Model, folded: Model, layers: list[Layer], target: Target) -> WeightBudget:
    """Pass 1b: ``layers`` (lowered from ``folded``, the model after constant folding) within ``model``'s
    weight budget when ``target.optimize`` is "size"; replaces layers in ``layers`` and reports."""
    result = WeightBudget(optimize=target.optimize, budget=weight_budget(model))
    total = sum(map(layer_weight_bytes, layers))
    if target.optimize == "size" and total > result.budget:
        compact = replace(target, grow_weights=False)
        operators = {op.index: op for op in folded.operators}
        candidates = []
        for position, layer in enumerate(layers):
            if not layer.consts:
                continue
            smaller = lower_operator(folded, operators[layer.index], compact)
            saved = layer_weight_bytes(layer) - layer_weight_bytes(smaller)
            if saved > 0:
                candidates.append((max(layer.macs, 1) / saved, position, smaller, saved))
        for _, position, smaller, saved in sorted(candidates, key=lambda c: (c[0], c[1])):
            if total <= result.budget:
                break
            before = layers[position]
            smaller.choice_reason = f"{smaller.choice_reason}; the weight budget (optimize=size)"
            # the same function over a smaller layout (the LSTM) is named with that layout
            to = smaller.function if smaller.function != before.function \
                else f"{smaller.function} ({smaller.weight_layout})"
            result.given_up.append((before.index, before.opcode, before.function, to, saved))
            layers[position] = smaller
            total -= saved
        result.given_up.sort()
    result.weights = total
    growth = [Growth(layer.index, layer.opcode, layer.function or "-",
                     layer_weight_bytes(layer) - layer_budget(folded, layer)) for layer in layers]
    result.growth = sorted((g for g in growth if g.extra_bytes > 0), key=lambda g: -g.extra_bytes)
    return result
