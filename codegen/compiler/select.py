"""The kernel selector: for one layer, which C function runs it, how its weights are laid out, and what
memory it needs. CMSIS-NN's ``arm_convolve_wrapper_s8`` and its ``_get_buffer_size`` twin are the model, with
one difference: here one function answers both questions, so the planner and the code can never disagree.

Every fact downstream reads the :class:`KernelChoice`: the lowering pass builds the layer's constants in
``choice.weight_layout``, the liveness pass takes ``choice.scratch`` and ``choice.in_place_scratch``, the
templates call ``layer.function`` and ``profile.json`` reports it.

The choice is made from named predicates over the layer's geometry, its real weights (a layout may only hold
some value ranges) and the :class:`Target`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from codegen.compiler.layouts import channel_requant, depthwise_pairs, packed, pointwise, row_blocks

# The ring-reading depthwise kernels keep a window's row pointers in a small array: TF_DW_MAX_KERNEL_H in
# firmware/include/tinyforge/kernels.h, which a static assertion in the generated model.c checks against this.
FAST_DEPTHWISE_MAX_KERNEL_H = 16
# conv2d_tap_pairs_s8 copies a border pixel's receptive field into a stack patch of TF_TAP_PAIRS_MAX_TAPS
# bytes (firmware/include/tinyforge/kernels.h), likewise checked in model.c.
TAP_PAIRS_MAX_TAPS = 576
# add_elementwise_s8 costs two tables of 256 int32 in flash: worth it from 512 elements (at most 4 bytes of
# table per element; a ResNet block's ADD has 4,096 to 16,384), not for a 64-element ADD.
ADD_TABLE_MIN_ELEMENTS = 512


OPTIMIZE_CHOICES = ("size", "speed")


@dataclass(frozen=True)
class Target:
    """What the selector may assume of the core the layer runs on. The host build is a core without DSP
    (the kernels' plain C paths); ``dsp`` must match the compiler flags, which ``Board.cflags`` ensures.

    ``optimize``: "size" keeps the model's weights and parameters within the bytes the .tflite holds for them
    (codegen.compiler.budget chooses which layers give up a larger, faster layout); "speed" lets every layer
    take its fastest layout. ``grow_weights``: whether this layer may take a layout larger than the .tflite's
    int8 (packed_conv_s8's doubled filter, the int16 pairs of depthwise_conv2d_3x3_s8, ADD's tables); the
    budget pass clears it for the layers it gives up."""
    core: str
    dsp: bool
    board: str = ""     # the board file it came from, for messages ("" for the host)
    optimize: str = "size"
    grow_weights: bool = True

    @classmethod
    def of(cls, board, optimize: str = "size") -> "Target":
        return cls(core=board.core, dsp=board.dsp, board=board.name, optimize=optimize)

    def describe(self) -> str:
        if self.core == "host":
            return f"a host build (plain C kernels{', DSP weight layouts' if self.dsp else ''})"
        board = f" (board {self.board})" if self.board else ""
        return f"{self.core} {'with' if self.dsp else 'without'} the DSP extension{board}"


HOST = Target(core="host", dsp=False)


@dataclass(frozen=True)
class KernelChoice:
    function: str                 # the C function the layer calls
    template: str                 # templates/ops/<template>.c.j2 lays out its arguments
    weight_layout: str            # how the filter is stored, for the size report and the generated comment
    scratch: int = 0              # arena bytes the kernel works in during its own step
    in_place_scratch: int | None = None   # scratch when the output overwrites the input; None: not allowed
    reason: str = ""              # the predicate that chose it, for inspect and profile
    # Numbers the predicates already computed and the lowering reuses (not part of the decision's identity).
    channels: list | None = field(default=None, compare=False)     # (bias, multiplier, shift - 1) per channel
    packed_filter: list | None = field(default=None, compare=False)
    # pointwise_conv_s8 with TFLite's own output stage, for multipliers tf_mbqm_fast_halves cannot take
    general_requant: bool = False
    # derived constants the .tflite does not hold (the LSTM's recurrent biases and exp tables) stored in flash;
    # False: the device computes them (the biases once into RAM at reset, exp for each value)
    precomputed: bool = True
    # the tap-pairs kernels' filter width with zero columns added so that its rows are whole words (0: none)
    padded_width: int = 0


@dataclass(frozen=True)
class ConvGeometry:
    depthwise: bool
    n: int
    in_h: int
    in_w: int
    in_c: int
    f_h: int
    f_w: int
    out_h: int
    out_w: int
    out_c: int
    stride_h: int
    stride_w: int
    dil_h: int
    dil_w: int
    pad_h: int
    pad_w: int
    depth_multiplier: int


@dataclass(frozen=True)
class ConvNumbers:
    """The quantized numbers a conv layout depends on: weights as stored ([out, kh, kw, in] for CONV_2D,
    [1, kh, kw, out] for DEPTHWISE_CONV_2D), the bias (or None), per-channel multipliers and shifts."""
    weights: np.ndarray
    bias: np.ndarray | None
    multipliers: list
    shifts: list
    input_offset: int             # -input zero point


# ---- named predicates --------------------------------------------------------------------------------

def is_pointwise(g: ConvGeometry, weights: np.ndarray) -> bool:
    """A 1x1 stride-1 CONV_2D whose weights keep pointwise_conv_s8's low int16 lane from overflowing."""
    return not g.depthwise and pointwise.eligible(g.f_h, g.f_w, g.stride_h, g.stride_w, weights)


def fits_depthwise_ring(g: ConvGeometry) -> bool:
    """A depthwise layer the ring kernels take: multiplier 1, channels in fours, no dilation, and a window
    short enough for the ring's row-pointer array."""
    return (g.depthwise and g.depth_multiplier == 1 and g.in_c % 4 == 0 and g.dil_h == g.dil_w == 1
            and g.f_h <= FAST_DEPTHWISE_MAX_KERNEL_H)


def has_3x3_dsp_depthwise(g: ConvGeometry, target: Target) -> bool:
    """depthwise_conv2d_3x3_s8: a 3x3 filter on a core with SMLABB (on top of ``fits_depthwise_ring``)."""
    return depthwise_pairs.eligible(target.dsp, g.f_h, g.f_w)


# Cores without MLA (ARMv6-M): packed_conv_s8's two products per multiply still need an ADD each, and its
# lanes their own shifts, so the tap-pairs kernel's plain C path is faster there as well as half the size
# (micro_speech 2.58 M instructions against 3.16 M, ResNet-8 97.9 M against 114.8 M on the rpi_pico).
TAP_PAIRS_PLAIN_C_FASTEST = ("cortex-m0plus",)


def fits_tap_pairs(g: ConvGeometry, target: Target) -> bool:
    """conv2d_tap_pairs_s8: filter rows of whole words, a receptive field that fits the border patch, a
    depthwise layer only over one input channel; on cores with SMLAD, on the M0+ (TAP_PAIRS_PLAIN_C_FASTEST),
    or on any core for a layer the weight budget keeps in the .tflite's int8 (its plain C path: 3.7
    instructions per MAC in micro_speech's layer on the M3, where packed_conv_s8's doubled filter takes 2.3 and
    the reference kernel 30; fits_two_pixel_lanes takes most such layers there first)."""
    chosen_here = target.dsp or target.core in TAP_PAIRS_PLAIN_C_FASTEST or not target.grow_weights
    return chosen_here and tap_pairs_shape(g)


def tap_pairs_shape(g: ConvGeometry) -> bool:
    """The layer shapes conv2d_tap_pairs_s8 takes on any core."""
    run = g.f_w * g.in_c
    return ((not g.depthwise or g.in_c == 1) and g.dil_w == 1
            and run % 4 == 0 and g.f_h * run <= TAP_PAIRS_MAX_TAPS)


# Cores with SMLAL (32 x 32 -> 64-bit multiply-accumulate) but, as the board file says, no SMLAD: there
# conv2d_tap_pairs_two_pixels_s8 takes two output pixels per multiply.
TWO_PIXEL_CORES = ("cortex-m3", "cortex-m33", "cortex-m35p")
# The low lane of the two-pixel sum holds one pixel's sum, which must stay within [-2^22, 2^22).
TWO_PIXEL_LOW_LANE_LIMIT = (1 << 22) - 1


def fits_two_pixel_lanes(g: ConvGeometry, weights: np.ndarray, target: Target) -> bool:
    """conv2d_tap_pairs_two_pixels_s8: a tap-pairs shape on a core of TWO_PIXEL_CORES without the DSP
    extension, where for every output channel any int8 input keeps one pixel's sum in the low lane:
    128 * sum |w| < 2^22. Its filter is the .tflite's int8, so the weight budget never gives it up; on the M3 it
    takes micro_speech's layer in 1.5 instructions per MAC where packed_conv_s8 takes 2.3."""
    if target.dsp or target.core not in TWO_PIXEL_CORES or not tap_pairs_shape(g):
        return False
    per_channel = np.abs(_per_channel_weights(g, weights).astype(np.int64)).sum(axis=1)
    return bool(per_channel.size) and int(per_channel.max()) * 128 <= TWO_PIXEL_LOW_LANE_LIMIT


def padded_tap_width(g: ConvGeometry) -> int:
    """The narrowest filter width from g.f_w up whose rows (width x input channels) are whole words: a 3x3
    filter over 3 channels reads rows of 4 columns, 12 bytes, with a zero weight for the fourth."""
    return next(w for w in range(g.f_w, g.f_w + 4) if w * g.in_c % 4 == 0)


def fits_packed(g: ConvGeometry) -> bool:
    """packed_conv_s8: a filter row is one run of input bytes (no width dilation); a depthwise layer is a
    convolution only over one input channel."""
    return (not g.depthwise or g.in_c == 1) and g.dil_w == 1


def ring_bytes(g: ConvGeometry) -> int:
    """The ring kernels' scratch: k_h input rows, each as wide as the outputs read, padded (the same sum as
    tf_dw_ring_init's padded_bytes in firmware/kernels/depthwise_ring.h)."""
    return ring_bytes_of(g.f_h, g.f_w, g.out_w, g.stride_w, g.in_c)


def ring_bytes_of(f_h: int, f_w: int, out_w: int, stride_w: int, channels: int) -> int:
    return f_h * ((out_w - 1) * stride_w + f_w) * channels


def same_shape_stride_1(g: ConvGeometry) -> bool:
    return g.stride_h == g.stride_w == 1 and (g.out_h, g.out_w) == (g.in_h, g.in_w)


def _per_channel_weights(g: ConvGeometry, weights: np.ndarray) -> np.ndarray:
    return weights.reshape(-1, g.out_c).T if g.depthwise else weights.reshape(g.out_c, -1)


def channel_table(g: ConvGeometry, q: ConvNumbers, fold_offset: bool, general: bool = False) -> list | None:
    """The tuned kernels' (bias, multiplier, right shift - 1) per output channel, or None when the layer's
    numbers do not allow tf_mbqm_fast_halves. ``fold_offset``: the input offset times the channel's weight
    sum goes into the bias (kernels that read zero-point-padded input). ``general``: for an output stage
    that is TFLite's own requantization, which takes any numbers."""
    return channel_requant.conv_table(_per_channel_weights(g, q.weights), q.bias, q.multipliers, q.shifts,
                                       q.input_offset, fold_offset, general)


def filter_ohwi(g: ConvGeometry, weights: np.ndarray) -> np.ndarray:
    """A depthwise filter over one input channel as the equivalent convolution's [out, kh, kw, 1]."""
    return weights.transpose(3, 1, 2, 0) if g.depthwise else weights


# ---- the selectors ---------------------------------------------------------------------------------

def select_conv(g: ConvGeometry, q: ConvNumbers, target: Target) -> KernelChoice:
    """CONV_2D and DEPTHWISE_CONV_2D, fastest first; the reference kernels take whatever nothing else does."""
    if is_pointwise(g, q.weights):
        # The output stage is once per output, not per MAC: a layer whose numbers tf_mbqm_fast_halves cannot
        # take (a channel's real multiplier of 1/2 or more) keeps the fast loop with TFLite's own stage.
        table = channel_table(g, q, fold_offset=True)
        general = table is None
        if general:
            table = channel_table(g, q, fold_offset=True, general=True)
        scratch = 4 * pointwise.scratch_words(g.in_c)
        return KernelChoice("pointwise_conv_s8", "pointwise_conv", "four output channels by four input channels per block",
                            scratch=scratch, in_place_scratch=scratch if g.out_c <= g.in_c else None,
                            reason="is_pointwise, general requantization" if general else "is_pointwise",
                            channels=table, general_requant=general)
    if fits_depthwise_ring(g):
        table = channel_table(g, q, fold_offset=True)
        if table is not None:
            ring = ring_bytes(g)
            in_place = ring if same_shape_stride_1(g) else None
            if has_3x3_dsp_depthwise(g, target) and target.grow_weights:
                return KernelChoice("depthwise_conv2d_3x3_s8", "depthwise_conv2d_3x3",
                                    "int16 pairs (c0, c2) (c1, c3) per tap", scratch=ring,
                                    in_place_scratch=in_place, reason="fits_depthwise_ring, has_3x3_dsp_depthwise",
                                    channels=table)
            return KernelChoice("depthwise_conv2d_fast_s8", "depthwise_conv2d_fast", "int8 [1, kh, kw, c]",
                                scratch=ring, in_place_scratch=in_place, reason="fits_depthwise_ring",
                                channels=table)
    two_pixels = fits_two_pixel_lanes(g, q.weights, target)
    if two_pixels or fits_tap_pairs(g, target):
        table = channel_table(g, q, fold_offset=True)
        if table is not None:
            if two_pixels:
                return KernelChoice("conv2d_tap_pairs_two_pixels_s8", "conv2d_tap_pairs",
                                    "four output channels by four taps per block", reason="fits_two_pixel_lanes",
                                    channels=table)
            return KernelChoice("conv2d_tap_pairs_s8", "conv2d_tap_pairs", "four output channels by four taps per block",
                                reason="fits_tap_pairs", channels=table)
    wide = padded_tap_width(g)
    if wide != g.f_w and target.grow_weights:
        # Rows that are not whole words (a first layer over 3 channels): the tap-pairs kernels with zero columns
        # added, a few bytes more than the .tflite's int8 where packed_conv_s8 doubles the filter.
        padded = replace(g, f_w=wide)
        two_pixels = fits_two_pixel_lanes(padded, q.weights, target)
        if two_pixels or fits_tap_pairs(padded, target):
            table = channel_table(g, q, fold_offset=True)
            if table is not None:
                layout = f"four output channels by four taps per block, rows padded to {wide} columns"
                if two_pixels:
                    return KernelChoice("conv2d_tap_pairs_two_pixels_s8", "conv2d_tap_pairs", layout,
                                        reason="fits_two_pixel_lanes with rows padded", channels=table,
                                        padded_width=wide)
                return KernelChoice("conv2d_tap_pairs_s8", "conv2d_tap_pairs", layout,
                                    reason="fits_tap_pairs with rows padded", channels=table, padded_width=wide)
    if fits_packed(g) and target.grow_weights:
        words = packed.pack_filter(filter_ohwi(g, q.weights))
        if words is not None:
            return KernelChoice("packed_conv_s8", "packed_conv", "two output channels per word",
                                reason="fits_packed", channels=channel_table(g, q, fold_offset=False),
                                packed_filter=words)
    name = "depthwise_conv2d" if g.depthwise else "conv2d"
    return KernelChoice(f"{name}_s8", "conv2d", "int8 as in the .tflite", reason="reference")


def select_add(activation_type: str, same_shapes: bool, table_sums_fit: bool, elements: int,
               grow_weights: bool = True) -> KernelChoice:
    """ADD and SUB: int8 operands of the output's shape whose rescaled values codegen can tabulate and whose
    sum tf_mbqm_fast_halves can requantize take the elementwise kernel, when the layer is large enough to
    repay its two 1 KB tables (ADD_TABLE_MIN_ELEMENTS) and may grow the weights by them; the rest the
    broadcasting one."""
    if activation_type == "INT16":
        return KernelChoice("add_s16", "add", "-", reason="int16 activations")
    if same_shapes and table_sums_fit and elements >= ADD_TABLE_MIN_ELEMENTS and grow_weights:
        return KernelChoice("add_elementwise_s8", "add_elementwise", "-",
                            reason="same shapes, rescaled inputs tabulated")
    return KernelChoice("add_s8", "add", "-", reason="broadcast" if not same_shapes else "reference")


def select_lstm(target: Target, n_time: int, step_batch: int, n_input: int) -> KernelChoice:
    """The int8 LSTM: on a DSP core, a sequence of two steps or more takes its input-to-gate products two steps
    at a time, each widened weight word then serving both (unidirectional_sequence_lstm_s8.c). It needs one
    sequence per step. (Its gates live in a static buffer beside the layer's state, not in the arena:
    lstm_scratch_count sizes it.)

    Its recurrent biases (a zero point times row sums) and exp tables are derived data the .tflite does not
    hold: with ``grow_weights`` they are stored in flash; without, the device computes the biases into RAM at
    reset, as TFLM does when it prepares the model, and exp's Taylor part for each value, as TFLite does."""
    extra = ", recurrent biases and exp tables in flash" if target.grow_weights \
        else ", recurrent biases computed into RAM, exp computed"
    if target.dsp and n_time >= 2 and step_batch == 1 and n_input >= 4:
        return KernelChoice("unidirectional_sequence_lstm_paired_s8", "lstm", "int8 [cell, input]" + extra,
                            reason="DSP, input products of two steps at once", precomputed=target.grow_weights)
    return KernelChoice("unidirectional_sequence_lstm_s8", "lstm", "int8 [cell, input]" + extra, reason="reference",
                        precomputed=target.grow_weights)


def lstm_scratch_count(choice: KernelChoice, step_batch: int, n_input: int, n_cell: int) -> int:
    """int16 elements of the LSTM's gate buffer: one step's four gates, or for the paired kernel two steps'
    gates, then the two steps' widened inputs (8 int16 per four inputs) or, in the same place once those are
    used, one step's widened state (4 int16 per four of its n_cell values), plus 2 to align them to a word."""
    if choice.function == "unidirectional_sequence_lstm_paired_s8":
        return 8 * n_cell + max(8 * (n_input // 4), 4 * (n_cell // 4)) + 2
    return 4 * step_batch * n_cell


def select_fully_connected(activation_type: str, weight_zero_point: int) -> KernelChoice:
    if activation_type == "INT16":
        return KernelChoice("fully_connected_s16", "fully_connected_s16", "int8 [out, in]", reason="int16 activations")
    # The blocked kernel assumes symmetric weights (TFLite's int8 weights always are).
    if weight_zero_point == 0:
        return KernelChoice("fully_connected_fast_s8", "fully_connected", row_blocks.DESCRIPTION,
                            reason="symmetric weights")
    return KernelChoice("fully_connected_s8", "fully_connected", "int8 [out, in]", reason="reference")
