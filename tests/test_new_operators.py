"""The operators added for real models (MAXIMUM, MINIMUM, RESIZE_NEAREST_NEIGHBOR, REDUCE_MAX, SPACE_TO_DEPTH, TRANSPOSE_CONV,
ABS, EXP, RSQRT, SQUARED_DIFFERENCE, PRELU, RESIZE_BILINEAR,
ARG_MAX, ARG_MIN, GATHER, BATCH_MATMUL):
their conformance cases live in tests/conformance/; here are the files TFLite would not run, or that these
kernels do not cover, each refused with one line naming the operator and the reason."""
from __future__ import annotations

import numpy as np
import pytest

from codegen.errors import TinyforgeError
from codegen.model.tflite_model import load_model
from codegen.pipeline import compile_model
from tflite_builder import Op, T, build


def _why(tmp_path, tensors, ops, inputs, outputs) -> str:
    path = tmp_path / "m.tflite"
    path.write_bytes(build(tensors, ops, inputs, outputs))
    with pytest.raises(TinyforgeError) as info:
        compile_model(load_model(path))
    message = str(info.value)
    assert "\n" not in message
    return message.split(" is not supported: ", 1)[1].rsplit(". Supported: ", 1)[0]


def q8(name, shape):
    return T(name, shape, "INT8", 0.1, 0)


def q16(name, shape):
    return T(name, shape, "INT16", 0.1, 0)


def test_maximum_needs_one_type(tmp_path):
    assert _why(tmp_path, [q8("a", (1, 4)), q16("b", (1, 4)), q8("y", (1, 4))], [Op("MAXIMUM", [0, 1], [2])],
                [0, 1], [2]) == "inputs are INT8 and INT16, output INT8; TFLite needs one type"
    assert _why(tmp_path, [q8("a", (1, 4)), q8("b", (1, 3)), q8("y", (1, 4))], [Op("MINIMUM", [0, 1], [2])],
                [0, 1], [2]) == "shape [1, 3] does not broadcast to the output's [1, 1, 1, 1, 1, 4]"


def test_resize_needs_a_constant_size_and_nhwc(tmp_path):
    size = T("size", (2,), "INT32", data=np.array([4, 6], np.int32))
    assert _why(tmp_path, [q8("x", (1, 2, 3, 1)), T("size", (2,), "INT32"), q8("y", (1, 4, 6, 1))],
                [Op("RESIZE_NEAREST_NEIGHBOR", [0, 1], [2])], [0, 1], [2]) == \
        "the output size must be a constant int32 tensor"
    assert _why(tmp_path, [q8("x", (1, 2, 3, 1)), size, q8("y", (1, 4, 5, 1))],
                [Op("RESIZE_NEAREST_NEIGHBOR", [0, 1], [2])], [0], [2]) == \
        "output shape [1, 4, 5, 1], expected [1, 4, 6, 1] from the size tensor"


def test_reduce_max_keeps_the_quantization(tmp_path):
    axis = T("axis", (1,), "INT32", data=np.array([1], np.int32))
    assert _why(tmp_path, [q8("x", (1, 4, 3)), axis, T("y", (1, 3), "INT8", 0.2, 0)],
                [Op("REDUCE_MAX", [0, 1], [2])], [0], [2]) == \
        "input and output quantization differ; the maximum is taken of the stored values"


def test_space_to_depth_takes_tflites_types_and_whole_blocks(tmp_path):
    options = ("SpaceToDepthOptions", {"BlockSize": 2})
    assert _why(tmp_path, [q16("x", (1, 4, 4, 1)), q16("y", (1, 2, 2, 4))], [Op("SPACE_TO_DEPTH", [0], [1], options)],
                [0], [1]) == "tensor 'x' is INT16; TFLite's SPACE_TO_DEPTH takes float32, uint8, int8, int32 and int64"
    assert _why(tmp_path, [q8("x", (1, 4, 5, 1)), q8("y", (1, 2, 2, 4))], [Op("SPACE_TO_DEPTH", [0], [1], options)],
                [0], [1]) == "height 4 and width 5 must be divisible by the block size 2"


def test_depth_to_space_needs_whole_blocks_of_channels(tmp_path):
    options = ("DepthToSpaceOptions", {"BlockSize": 2})
    assert _why(tmp_path, [q8("x", (1, 2, 2, 6)), q8("y", (1, 4, 4, 1))], [Op("DEPTH_TO_SPACE", [0], [1], options)],
                [0], [1]) == "6 channels must be divisible by the block size squared (4)"
    assert _why(tmp_path, [q8("x", (1, 2, 2, 8)), q8("y", (1, 4, 2, 2))], [Op("DEPTH_TO_SPACE", [0], [1], options)],
                [0], [1]) == "output shape [1, 4, 2, 2], expected [1, 4, 4, 2]"
    assert _why(tmp_path, [q8("x", (1, 2, 2, 4)), T("y", (1, 4, 4, 1), "INT32")],
                [Op("DEPTH_TO_SPACE", [0], [1], options)], [0], [1]) == \
        "input 'x' is INT8, output INT32; TFLite needs one type"


@pytest.mark.parametrize("opcode", ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH"])
@pytest.mark.parametrize("type_name", ["INT8", "INT32", "FLOAT32"])
def test_space_depth_rearrangements_are_bit_exact_for_every_type(tmp_path, opcode, type_name):
    """Bytes are moved whole: one kernel per operator serves int8, int32 and float32, as TFLite's do."""
    from codegen.verify.hostrun import run_on_host
    from codegen.verify.reference import reference_outputs
    deep, wide = (2, 3, 3, 3 * 3 * 2), (2, 9, 9, 2)     # block 3, 2 batches, 2 channels per output pixel
    shapes = (deep, wide) if opcode == "DEPTH_TO_SPACE" else (wide, deep)
    quantization = () if type_name != "INT8" else (0.1, -3)
    path = tmp_path / "m.tflite"
    path.write_bytes(build([T("x", shapes[0], type_name, *quantization),
                            T("y", shapes[1], type_name, *quantization)],
                           [Op(opcode, [0], [1], (opcode.title().replace("_", "") + "Options", {"BlockSize": 3}))],
                           [0], [1]))
    rng = np.random.default_rng(3)
    dtype = {"INT8": np.int8, "INT32": np.int32, "FLOAT32": np.float32}[type_name]
    cases = [[(rng.standard_normal(shapes[0]) * 1000).astype(dtype)] for _ in range(2)]
    ours, theirs = run_on_host(path, cases, tmp_path / "host"), reference_outputs(path, cases)
    assert [o[0].tobytes() for o in ours] == [t[0].tobytes() for t in theirs]


def test_a_vela_model_is_told_it_needs_the_npu(tmp_path):
    """Vela's output: one ethos-u operator reading a command stream, weights and scratch the NPU writes."""
    from codegen.model.tflite_model import load_model
    stream = T("command_stream", (16,), "UINT8", data=np.zeros(16, np.uint8))
    scratch = T("scratch", (64,), "UINT8")
    path = tmp_path / "person_detect_vela.tflite"
    path.write_bytes(build([T("input", (1, 4, 4, 1), "INT8", 0.1, 0), stream, scratch, T("out", (1, 2), "INT8", 0.1, 0)],
                           [Op("CUSTOM:ethos-u", [1, 2, 0], [3])], [0], [3]))
    with pytest.raises(TinyforgeError) as info:
        load_model(path)
    assert str(info.value) == (
        f"{path}: operator 0 is an Arm Ethos-U custom operator ('ethos-u'): Vela compiled this model for an "
        "Ethos-U NPU, which runs its command stream; a Cortex-M without that NPU cannot. Give tinyforge the "
        ".tflite from before Vela")


def test_int16_pad_and_slice_keep_one_type(tmp_path):
    paddings = T("pad", (2, 2), "INT32", data=np.array([[0, 0], [1, 1]], np.int32))
    # PADV2's constant must be the output's type: the converter's float32 constant, which TFLite refuses
    assert _why(tmp_path, [q16("x", (1, 4)), paddings, T("c", (), "FLOAT32", data=np.array(0.5, np.float32)),
                           q16("y", (1, 6))], [Op("PADV2", [0, 1, 2], [3])], [0], [3]) == \
        "the pad value must be one constant int16, as the output is"
    begin, end, stride = (T(n, (2,), "INT32", data=np.array(v, np.int32))
                          for n, v in (("b", [0, 1]), ("e", [1, 3]), ("s", [1, 1])))
    assert _why(tmp_path, [q16("x", (1, 4)), begin, end, stride, q8("y", (1, 2))],
                [Op("STRIDED_SLICE", [0, 1, 2, 3], [4])], [0], [4]) == \
        "tensor 'y' is INT8, only int8, int16 or float32 (one type throughout) are implemented for it"


def test_int16_leaky_relu_is_int16_throughout(tmp_path):
    # (a non-zero int16 zero point is refused earlier, by the model reader, as TFLite refuses it)
    assert _why(tmp_path, [q16("x", (1, 4)), q8("y", (1, 4))], [Op("LEAKY_RELU", [0], [1])],
                [0], [1]) == "tensor 'y' must be int16 with zero point 0 (16x8 quantization)"


def test_int16_add_refuses_the_power_of_two_path(tmp_path):
    pot = lambda name: T(name, (1, 4), "INT16", 2.0 ** -10, 0)  # noqa: E731
    assert _why(tmp_path, [pot("a"), pot("b"), pot("y")],
                [Op("ADD", [0, 1], [2], ("AddOptions", {"PotScaleInt16": True}))], [0, 1], [2]) == (
        "int16 with pot_scale_int16 and power-of-two scales takes TFLite's shift-only path, which is not "
        "implemented (the converter's 16x8 models use the general one)")
    assert _why(tmp_path, [q16("a", (1, 4)), q8("b", (1, 4)), q16("y", (1, 4))], [Op("MUL", [0, 1], [2])],
                [0, 1], [2]) == ("tensor 'b' is INT8; only quantized int8, or int16 (16x8), operands of one type "
                                 "are implemented")


def test_int16_convolution_is_int16_throughout(tmp_path):
    w = T("w", (2, 1, 1, 3), "INT8", 0.05, 0, np.ones((2, 1, 1, 3), np.int8))
    options = ("DepthwiseConv2DOptions", {"StrideW": 1, "StrideH": 1, "DepthMultiplier": 1})
    dw = T("w", (1, 1, 1, 4), "INT8", 0.05, 0, np.ones((1, 1, 1, 4), np.int8))
    assert _why(tmp_path, [q16("x", (1, 2, 2, 3)), dw, q16("y", (1, 2, 2, 4))],
                [Op("DEPTHWISE_CONV_2D", [0, 1], [2], options)], [0], [2]) == \
        "4 output channels is not a multiple of 3 input channels"
    conv = ("Conv2DOptions", {"StrideW": 1, "StrideH": 1})
    assert _why(tmp_path, [q16("x", (1, 2, 2, 3)), w, q8("y", (1, 2, 2, 2))],
                [Op("CONV_2D", [0, 1, -1], [2], conv)], [0], [2]) == \
        "tensor 'y' must be int16 with zero point 0 (16x8 quantization)"


def _transpose_conv(tmp_path, shape_tensor, output_shape, input_type="INT8", filter_depth=3):
    weights = T("w", (4, 3, 3, filter_depth), "INT8", [0.01] * 4, 0,
                data=np.ones((4, 3, 3, filter_depth), np.int8), quantized_dimension=0)
    make = q8 if input_type == "INT8" else q16
    options = ("TransposeConvOptions", {"Padding": 0, "StrideW": 2, "StrideH": 2})
    return _why(tmp_path, [shape_tensor, weights, make("x", (1, 4, 5, 3)), make("y", output_shape)],
                [Op("TRANSPOSE_CONV", [0, 1, 2], [3], options)], [2] if shape_tensor.data is not None else [0, 2], [3])


def test_transpose_conv_output_shape_matches(tmp_path):
    constant = T("shape", (4,), "INT32", data=np.array([1, 8, 10, 4], np.int32))
    assert _transpose_conv(tmp_path, constant, (1, 8, 9, 4)) == \
        "output shape [1, 8, 9, 4] differs from the output-shape tensor's [1, 8, 10, 4]"
    assert _transpose_conv(tmp_path, constant, (1, 8, 10, 4), filter_depth=2) == \
        "filter depth 2 differs from input depth 3"


def test_transpose_conv_activations_are_int8_or_int16(tmp_path):
    constant = T("shape", (4,), "INT32", data=np.array([1, 8, 10, 4], np.int32))
    shape_tensor = T("x", (1, 4, 5, 3), "INT32")
    assert _why(tmp_path, [constant, T("w", (4, 3, 3, 3), "INT8", [0.01] * 4, 0, data=np.ones((4, 3, 3, 3), np.int8)),
                           shape_tensor, T("y", (1, 8, 10, 4), "INT32")],
                [Op("TRANSPOSE_CONV", [0, 1, 2], [3], ("TransposeConvOptions", {"StrideW": 2, "StrideH": 2}))],
                [2], [3]) == \
        "input 'x' is INT32, output INT32; int8 or int16 (16x8) activations of one type are implemented"


@pytest.mark.parametrize("opcode", ["ABS", "EXP", "RSQRT"])
def test_unary_16x8_is_int16_throughout(tmp_path, opcode):
    assert _why(tmp_path, [q16("x", (1, 4)), q8("y", (1, 4))], [Op(opcode, [0], [1])], [0], [1]) == \
        "tensor 'y' must be int16 with zero point 0 (16x8 quantization)"
    assert _why(tmp_path, [T("x", (1, 4), "INT32", 0.1, 0), T("y", (1, 4), "INT32", 0.1, 0)], [Op(opcode, [0], [1])],
                [0], [1]) == "tensor 'x' is INT32, only int8 activations are implemented for it"


def test_rsqrt_below_the_zero_point_holds_the_largest_output():
    from codegen.compiler.ops.rsqrt import rsqrt_table
    table = rsqrt_table(0.01, 10, 0.05, -128)
    # TFLite stops on inputs below the zero point; the table answers them as it answers the zero point itself.
    assert table[:128 + 11] == [127] * (128 + 11)
    assert table[128 + 11] < 127 and table == sorted(table, reverse=True)


def test_squared_difference_is_int8_and_broadcasts_over_four_dimensions(tmp_path):
    assert _why(tmp_path, [q16("a", (1, 4)), q16("b", (1, 4)), q16("y", (1, 4))],
                [Op("SQUARED_DIFFERENCE", [0, 1], [2])], [0, 1], [2]) == \
        "tensor 'a' is INT16; TFLite's SQUARED_DIFFERENCE runs float32, int32 and int8 only"
    assert _why(tmp_path, [q8("a", (1, 2, 3, 4, 5)), q8("b", (1, 5)), q8("y", (1, 2, 3, 4, 5))],
                [Op("SQUARED_DIFFERENCE", [0, 1], [2])], [0, 1], [2]) == \
        "broadcasting over 5 dimensions; TFLite broadcasts this operator over at most 4"


def test_prelu_alpha_has_one_scale(tmp_path):
    alpha = T("alpha", (1, 3), "INT8", [0.1, 0.2, 0.3], 0, data=np.ones((1, 3), np.int8), quantized_dimension=1)
    assert _why(tmp_path, [q8("x", (2, 3)), alpha, q8("y", (2, 3))], [Op("PRELU", [0, 1], [2])], [0], [2]) == \
        "alpha 'alpha' is quantized per channel; TFLite reads one scale"


def test_resize_bilinear_takes_one_centre_rule(tmp_path):
    size = T("size", (2,), "INT32", data=np.array([4, 6], np.int32))
    options = ("ResizeBilinearOptions", {"AlignCorners": True, "HalfPixelCenters": True})
    assert _why(tmp_path, [q8("x", (1, 2, 3, 1)), size, q8("y", (1, 4, 6, 1))],
                [Op("RESIZE_BILINEAR", [0, 1], [2], options)], [0], [2]) == \
        "align_corners and half_pixel_centers together; TFLite allows one of them"


def test_arg_max_needs_one_constant_axis_and_integer_indices(tmp_path):
    axis = T("axis", (1,), "INT32", data=np.array([2], np.int32))
    assert _why(tmp_path, [q8("x", (1, 4)), axis, T("y", (1,), "INT32")], [Op("ARG_MAX", [0, 1], [2])], [0], [2]) == \
        "axis 2 outside a rank-2 input"
    axis = T("axis", (1,), "INT32", data=np.array([1], np.int32))
    assert _why(tmp_path, [q8("x", (1, 4)), axis, q8("y", (1,))], [Op("ARG_MIN", [0, 1], [2])], [0], [2]) == \
        "output 'y' is INT8; TFLite writes int32 or int64 indices"


def test_gather_checks_constant_indices(tmp_path):
    indices = T("i", (2,), "INT32", data=np.array([1, 4], np.int32))
    assert _why(tmp_path, [q8("x", (1, 4)), indices, q8("y", (1, 2))], [Op("GATHER", [0, 1], [2],
                ("GatherOptions", {"Axis": 1}))], [0], [2]) == "index 4 outside 0..3; TFLite refuses it too"


def test_gather_with_indices_computed_at_run_time_is_bit_exact(tmp_path):
    """An embedding lookup: constant int8 params, int32 indices as the model input."""
    from codegen.verify.hostrun import run_on_host
    from codegen.verify.reference import reference_outputs
    table = np.arange(-60, 60, 8, dtype=np.int8).reshape(5, 3)
    path = tmp_path / "embedding.tflite"
    path.write_bytes(build([T("table", (5, 3), "INT8", 0.1, 0, data=table), T("ids", (4,), "INT32"),
                           T("y", (4, 3), "INT8", 0.1, 0)],
                          [Op("GATHER", [0, 1], [2], ("GatherOptions", {"Axis": 0}))], [1], [2]))
    cases = [[np.array([4, 0, 2, 2], np.int32)], [np.array([1, 3, 0, 4], np.int32)]]
    ours, theirs = run_on_host(path, cases, tmp_path / "host"), reference_outputs(path, cases)
    assert [o[0].tobytes() for o in ours] == [t[0].tobytes() for t in theirs]
    assert ours[0][0].tolist() == table[[4, 0, 2, 2]].tolist()


def test_quantized_div_has_no_tflite_reference(tmp_path):
    assert _why(tmp_path, [q8("a", (1, 4)), q8("b", (1, 4)), q8("y", (1, 4))], [Op("DIV", [0, 1], [2])], [0, 1], [2]) \
        == ("INT8 inputs; TFLite's DIV runs float32, int32 and uint8 only (keep the division in float32, or fold it "
            "into a constant multiplier)")


@pytest.mark.parametrize("source, target", [("INT16", "INT32"), ("INT32", "INT16"), ("INT32", "INT8")])
def test_quantize_to_and_from_int32_is_bit_exact(tmp_path, source, target):
    """SEANet's requantizations around int32 (TFLM's integration tests quantize0 and quantize1)."""
    from codegen.verify.hostrun import run_on_host
    from codegen.verify.reference import reference_outputs
    scales = {"INT8": 0.05, "INT16": 0.0009, "INT32": 1.49e-07}
    path = tmp_path / "requantize.tflite"
    path.write_bytes(build([T("x", (2, 40), source, scales[source], 0), T("y", (2, 40), target, scales[target], 0)],
                           [Op("QUANTIZE", [0], [1])], [0], [1]))
    rng = np.random.default_rng(7)
    span = {"INT16": 32768, "INT32": 1 << 28}[source]
    cases = [[rng.integers(-span, span, (2, 40)).astype(source.lower())] for _ in range(3)]
    ours, theirs = run_on_host(path, cases, tmp_path / "host"), reference_outputs(path, cases)
    assert [o[0].tobytes() for o in ours] == [t[0].tobytes() for t in theirs]


def test_quantize_to_int32_only_from_int16(tmp_path):
    assert _why(tmp_path, [T("x", (1, 4), "FLOAT32"), T("y", (1, 4), "INT32", 0.1, 0)], [Op("QUANTIZE", [0], [1])],
                [0], [1]) == "float32 input to int32 output; TFLite requantizes to int32 only from int16"


def test_transpose_conv_takes_its_output_shape_as_a_model_input(tmp_path):
    """SEANet's form (TFLM's integration tests): the firmware is built for the declared output shape, and test
    vectors give that input the same shape, so TFLite resizes to it."""
    from codegen.verify.cases import random_cases
    from codegen.verify.hostrun import run_on_host
    from codegen.verify.reference import reference_outputs
    weights = T("w", (4, 3, 3, 3), "INT8", [0.01] * 4, 0, data=np.arange(108, dtype=np.int8).reshape(4, 3, 3, 3) - 50,
                quantized_dimension=0)
    options = ("TransposeConvOptions", {"Padding": 0, "StrideW": 2, "StrideH": 2})
    path = tmp_path / "dynamic.tflite"
    path.write_bytes(build([T("shape", (4,), "INT32"), weights, q8("x", (1, 4, 5, 3)), q8("y", (1, 8, 10, 4))],
                           [Op("TRANSPOSE_CONV", [0, 1, 2], [3], options)], [0, 2], [3]))
    cases = [c.tensors for c in random_cases(load_model(path), 2)]
    assert cases[0][0].tolist() == [1, 8, 10, 4]
    ours, theirs = run_on_host(path, cases, tmp_path / "host"), reference_outputs(path, cases)
    assert [o[0].tobytes() for o in ours] == [t[0].tobytes() for t in theirs]


def test_batch_matmul_needs_a_shared_summed_dimension(tmp_path):
    assert _why(tmp_path, [q8("a", (1, 3, 4)), q8("b", (1, 5, 6)), q8("y", (1, 3, 6))],
                [Op("BATCH_MATMUL", [0, 1], [2])], [0, 1], [2]) == \
        "lhs [1, 3, 4] and rhs [1, 5, 6] do not share the summed dimension"


def test_int16_softmax_output_is_in_steps_of_1_over_32768(tmp_path):
    assert _why(tmp_path, [q16("x", (1, 8)), T("y", (1, 8), "INT16", 1 / 256, 0)], [Op("SOFTMAX", [0], [1])],
                [0], [1]) == "int16 softmax output must have scale 1/32768, has 0.00390625"


def test_int16_arg_max_is_refused_as_tflite_refuses_it(tmp_path):
    axis = T("axis", (1,), "INT32", data=np.array([1], np.int32))
    assert _why(tmp_path, [q16("x", (3, 7)), axis, T("y", (3,), "INT64")], [Op("ARG_MAX", [0, 1], [2])], [0], [2]) \
        == "input 'x' is INT16; TFLite's ARG_MAX/ARG_MIN take no int16 input"


CAST_TYPES = {"INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "FLOAT32": np.float32}


def _cast_inputs(type_name, target, rng):
    if type_name != "FLOAT32":
        info = np.iinfo(CAST_TYPES[type_name])
        return rng.integers(info.min, info.max, 64, endpoint=True).astype(CAST_TYPES[type_name])
    # Fractions of both signs up to the target's edges, where TFLite's static_cast truncates toward zero. For
    # int32, also values beyond its range, infinities and NaN: TFLite saturates those wherever they sit.
    top = 2.0 ** 31 if target in ("INT32", "FLOAT32") else float(np.iinfo(CAST_TYPES[target]).max) + 1
    edges = [0.5, -0.5, -1.75, top - 0.75 if top < 2 ** 24 else top - 128, -top - 0.5 if top < 2 ** 24 else -top]
    if target in ("INT32", "FLOAT32"):
        edges += [2.0 ** 31, 3e9, -3e9, 1e20, np.inf, -np.inf, np.nan]
    return np.array(edges + list(rng.uniform(-top, top, 64 - len(edges))), np.float32)


def test_cast_is_bit_exact_between_every_pair_of_types(tmp_path):
    """Activations cast at run time, all 16 pairs in one model: integers wrap, floats truncate, int32 saturates
    as TFLite does."""
    from codegen.verify.hostrun import run_on_host
    from codegen.verify.reference import reference_outputs
    pairs = [(source, target) for source in CAST_TYPES for target in CAST_TYPES]
    tensors = ([T(f"x_{source}_{target}", (64,), source) for source, target in pairs]
               + [T(f"y_{source}_{target}", (64,), target) for source, target in pairs])
    path = tmp_path / "cast.tflite"
    path.write_bytes(build(tensors, [Op("CAST", [k], [len(pairs) + k]) for k in range(len(pairs))],
                           list(range(len(pairs))), list(range(len(pairs), 2 * len(pairs)))))
    rng = np.random.default_rng(11)
    cases = [[_cast_inputs(source, target, rng) for source, target in pairs] for _ in range(2)]
    ours, theirs = run_on_host(path, cases, tmp_path / "host"), reference_outputs(path, cases)
    for case_ours, case_theirs in zip(ours, theirs):
        for (source, target), mine, tflite in zip(pairs, case_ours, case_theirs):
            assert mine.tobytes() == tflite.tobytes(), f"{source} -> {target}"


@pytest.mark.parametrize("target, expected", [
    ("INT8", [127, -128, 127, -128, 127, -128, 0, 100]),
    ("INT16", [32767, -32768, 32767, -32768, 32767, -32768, 0, 100])])
def test_cast_saturates_floats_beyond_a_narrow_type_wherever_they_sit(tmp_path, target, expected):
    """C++ leaves these undefined, and TFLite's results depend on the element's place (its vectorized loop
    saturates, its scalar remainder keeps low bits): the kernel saturates them all, NaN gives 0."""
    from codegen.verify.hostrun import run_on_host
    path = tmp_path / "cast.tflite"
    path.write_bytes(build([T("x", (8,), "FLOAT32"), T("y", (8,), target)], [Op("CAST", [0], [1])], [0], [1]))
    values = np.array([40000.5, -40000.5, 3e9, -3e9, np.inf, -np.inf, np.nan, 100.9], np.float32)
    assert run_on_host(path, [[values]], tmp_path / "host")[0][0].tolist() == expected


def test_cast_takes_the_types_it_implements(tmp_path):
    assert _why(tmp_path, [T("x", (4,), "INT8"), T("y", (4,), "INT64")], [Op("CAST", [0], [1])], [0], [1]) == \
        "tensor 'y' is INT64; int8, int16, int32 and float32 are implemented"


def test_batch_matmul_16x8_is_int16_throughout(tmp_path):
    """(A nonzero int16 zero point is refused when the model loads, for every operator.)"""
    weights = T("w", (1, 4, 3), "INT8", 0.01, 0, data=np.ones((1, 4, 3), np.int8))
    assert _why(tmp_path, [q16("a", (1, 2, 4)), weights, q16("y", (1, 2, 3))], [Op("BATCH_MATMUL", [0, 1], [2])],
                [0], [2]) == "tensor 'w' is INT8; per-tensor int8, or int16 throughout, is implemented"


def test_int16_prelu_and_squared_difference_say_why_they_are_int8_only(tmp_path):
    alpha = T("alpha", (4,), "INT16", 0.01, 0, data=np.arange(4, dtype=np.int16))
    assert _why(tmp_path, [q16("x", (1, 4)), alpha, q16("y", (1, 4))], [Op("PRELU", [0, 1], [2])], [0], [2]) == \
        ("tensor 'x' is INT16; TFLite's converter makes no 16x8 PRELU (\"Quantization to 16x8-bit not yet supported "
         "for op: 'PRELU'\"), so only int8 is implemented")
    assert _why(tmp_path, [q16("a", (1, 4)), q16("b", (1, 4)), q16("y", (1, 4))],
                [Op("SQUARED_DIFFERENCE", [0, 1], [2])], [0, 1], [2]) == \
        "tensor 'a' is INT16; TFLite's SQUARED_DIFFERENCE runs float32, int32 and int8 only"


def test_a_custom_operator_is_named_and_tflms_signal_ops_say_where_features_come_from(tmp_path):
    assert _why(tmp_path, [q8("x", (1, 4)), q8("y", (1, 4))], [Op("CUSTOM:SignalWindow", [0], [1])], [0], [1]) == (
        "custom operator 'SignalWindow' (TFLM's signal library: TFLite's interpreter has no kernel for it either; "
        "compute these features on the host, or with tinyforge's frontend=device)")
    assert _why(tmp_path, [q8("x", (1, 4)), q8("y", (1, 4))], [Op("CUSTOM:MyOp", [0], [1])], [0], [1]) == \
        "custom operator 'MyOp'"


def _float_lstm(state_size=3, cell_clip=0.0):
    n = 3
    tensors = [T("x", (1, 2, 2), "FLOAT32")]
    tensors += [T(f"w{g}", (n, 2), "FLOAT32", data=np.ones((n, 2), np.float32)) for g in range(4)]
    tensors += [T(f"r{g}", (n, n), "FLOAT32", data=np.ones((n, n), np.float32)) for g in range(4)]
    tensors += [T(f"b{g}", (n,), "FLOAT32", data=np.zeros(n, np.float32)) for g in range(4)]
    tensors += [T("h", (1, state_size), "FLOAT32", variable=True), T("c", (1, n), "FLOAT32", variable=True),
                T("y", (1, 2, n), "FLOAT32")]
    inputs = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, 9, 10, 11, 12, -1, -1, 13, 14, -1, -1, -1, -1]
    options = ("UnidirectionalSequenceLSTMOptions", {"FusedActivationFunction": 4, "CellClip": cell_clip})
    return tensors, [Op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [15], options)], [0], [15]


def test_a_float_lstm_needs_a_state_row_per_batch(tmp_path):
    path = tmp_path / "lstm.tflite"
    path.write_bytes(build(*_float_lstm(state_size=4)))
    with pytest.raises(TinyforgeError) as info:
        compile_model(load_model(path))
    assert str(info.value).splitlines()[1] == ("  operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): output state must be a "
                                               "float32 variable tensor of 3 values")


def test_a_float_lstm_with_a_cell_clip_is_within_the_stated_bound_on_the_host(tmp_path):
    from codegen.pipeline import compile_model as compile_
    from codegen.verify.float_bound import agrees, tolerance
    from codegen.verify.hostrun import run_on_host
    from codegen.verify.reference import reference_outputs
    path = tmp_path / "lstm.tflite"
    path.write_bytes(build(*_float_lstm(cell_clip=0.5)))
    cases = [[np.random.default_rng(s).uniform(-2, 2, (1, 2, 2)).astype(np.float32)] for s in (1, 2)]
    ours, theirs = run_on_host(path, cases, tmp_path / "host"), reference_outputs(path, cases)
    compiled = compile_(load_model(path))
    assert all(agrees(o[0], t[0], tolerance(compiled, t[0])) for o, t in zip(ours, theirs))


def test_int8_svdf_time_weights_are_refused_as_tflite_cannot_check_them(tmp_path):
    """TFLM's keyword_scrambled_8bit.tflite: TFLite's SVDF reads its int8 time weights as int16."""
    rng = np.random.default_rng(1)
    tensors = [q8("input", (1, 8)), T("weights_feature", (4, 8), "INT8", 0.01, 0, rng.integers(-9, 9, (4, 8)).astype(np.int8)),
               T("weights_time", (4, 5), "INT8", 0.01, 0, rng.integers(-9, 9, (4, 5)).astype(np.int8)),
               T("state", (1, 20), "INT16", 0.01, 0, None, True), q8("output", (1, 4))]
    assert _why(tmp_path, tensors, [Op("SVDF", [0, 1, 2, -1, 3], [4], ("SVDFOptions", {"Rank": 1}))], [0], [4]) == (
        "time weights 'weights_time' are int8 (TFLM's variant); TFLite's integer SVDF takes int16 time weights and "
        "fails on int8 ones, so there is nothing to check it against: quantize the time weights to int16, as "
        "TFLite's converter does")
