"""The int8 kernels and codegen/compiler/quant.py are bit-exact with TFLite's BUILTIN_REF kernels.

The judge is TensorFlow Lite itself: every case builds a one-op Keras model,
converts it to a full-integer int8 .tflite, and runs it in the interpreter
with the reference op resolver. Our side takes only what codegen will take
from the model (float scales, zero points, int8 weights, int32 biases),
derives the integer parameters with codegen.compiler.quant, runs the C kernels built
for the host through ctypes, and must reproduce the interpreter's output
bytes exactly.
"""
from __future__ import annotations

import ctypes
import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from codegen.compiler import quant
from codegen.compiler.layouts import channel_requant as _channel_requant, depthwise_pairs as _depthwise_pairs, packed as _packed, pointwise as _pointwise, row_blocks
from codegen.compiler import select

REPO = Path(__file__).resolve().parent.parent
KERNEL_DIR = REPO / "firmware" / "kernels"
INCLUDE_DIR = REPO / "firmware" / "include"
KERNEL_SOURCES = sorted(KERNEL_DIR.glob("*.c"))
SHARED = REPO.parent / "shared"
MICRO_SPEECH_MODEL = SHARED / "models" / "micro_speech_quantized.tflite"
MICRO_SPEECH_EXPECTED = SHARED / "expected" / "micro_speech_features_and_outputs.json"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")


# --------------------------------------------------------------------------
# ctypes view of firmware/include/tinyforge/kernels.h
# --------------------------------------------------------------------------

I32 = ctypes.c_int32
P_I8 = ctypes.POINTER(ctypes.c_int8)
P_I32 = ctypes.POINTER(ctypes.c_int32)


class Dims(ctypes.Structure):
    _fields_ = [("n", I32), ("h", I32), ("w", I32), ("c", I32)]


class Requant(ctypes.Structure):
    _fields_ = [("multiplier", P_I32), ("shift", P_I32), ("per_channel", I32)]


class ConvParams(ctypes.Structure):
    _fields_ = [(name, I32) for name in (
        "input_offset", "output_offset", "stride_h", "stride_w", "dilation_h",
        "dilation_w", "pad_h", "pad_w", "depth_multiplier", "act_min", "act_max")]


class FcParams(ctypes.Structure):
    _fields_ = [(name, I32) for name in (
        "input_offset", "filter_offset", "output_offset", "act_min", "act_max")]


class PackedParams(ctypes.Structure):
    _fields_ = [(name, I32) for name in (
        "input_offset", "output_offset", "stride_h", "stride_w", "dilation_h", "pad_h", "pad_w",
        "act_min", "act_max", "max_taps")]


class PointwiseParams(ctypes.Structure):
    _fields_ = [(name, I32) for name in ("pixels", "in_c", "out_c", "output_offset", "act_min", "act_max",
                                         "general_requant")]


class SoftmaxParams(ctypes.Structure):
    _fields_ = [(name, I32) for name in ("input_multiplier", "input_left_shift", "diff_min")]


def _i8(a: np.ndarray):
    return a.ctypes.data_as(P_I8)


def _i32(a: np.ndarray | None):
    return None if a is None else a.ctypes.data_as(P_I32)


@pytest.fixture(scope="session")
def kernels(tmp_path_factory):
    """The kernel sources compiled for the host into one shared library."""
    if shutil.which("gcc") is None:
        pytest.skip("host gcc not installed")
    out = tmp_path_factory.mktemp("kernels") / "libtfkernels.so"
    cmd = ["gcc", "-shared", "-fPIC", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror",
           "-fsanitize=undefined", "-fno-sanitize-recover=all",
           f"-I{INCLUDE_DIR}", *map(str, KERNEL_SOURCES), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 and "sanitize" in proc.stderr:
        # No libubsan on this host: build without the sanitizer.
        cmd = [c for c in cmd if "sanitize" not in c]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lib = ctypes.CDLL(str(out))
    conv_args = [ctypes.POINTER(ConvParams), ctypes.POINTER(Requant), ctypes.POINTER(Dims), P_I8,
                 ctypes.POINTER(Dims), P_I8, P_I32, ctypes.POINTER(Dims), P_I8]
    lib.conv2d_s8.argtypes = conv_args
    lib.depthwise_conv2d_s8.argtypes = conv_args
    lib.fully_connected_s8.argtypes = [ctypes.POINTER(FcParams), ctypes.POINTER(Requant),
                                       I32, I32, P_I8, I32, P_I8, P_I32, P_I8]
    lib.softmax_s8.argtypes = [ctypes.POINTER(SoftmaxParams), I32, I32, P_I8, P_I8]
    lib.fully_connected_fast_s8.argtypes = lib.fully_connected_s8.argtypes
    lib.depthwise_conv2d_fast_s8.argtypes = [ctypes.POINTER(ConvParams), P_I32, ctypes.POINTER(Dims), P_I8,
                                             ctypes.POINTER(Dims), P_I8, ctypes.POINTER(Dims), P_I8, P_I8]
    lib.pointwise_conv_s8.argtypes = [ctypes.POINTER(PointwiseParams), P_I32, P_I8, P_I8, P_I8, P_I32]
    lib.pointwise_conv_s8.restype = None
    lib.conv2d_tap_pairs_s8.argtypes = [ctypes.POINTER(ConvParams), P_I32, ctypes.POINTER(Dims), P_I8,
                                        ctypes.POINTER(Dims), P_I8, ctypes.POINTER(Dims), P_I8]
    lib.conv2d_tap_pairs_s8.restype = None
    lib.conv2d_tap_pairs_two_pixels_s8.argtypes = lib.conv2d_tap_pairs_s8.argtypes
    lib.conv2d_tap_pairs_two_pixels_s8.restype = None
    lib.depthwise_conv2d_fast_s8.restype = None
    lib.depthwise_conv2d_3x3_s8.argtypes = [ctypes.POINTER(ConvParams), P_I32, ctypes.POINTER(Dims), P_I8,
                                            ctypes.POINTER(Dims), P_I32, ctypes.POINTER(Dims), P_I8, P_I8]
    lib.depthwise_conv2d_3x3_s8.restype = None
    lib.packed_conv_s8.argtypes = [ctypes.POINTER(PackedParams), ctypes.POINTER(Requant), ctypes.POINTER(Dims),
                                   P_I8, I32, I32, P_I32, P_I32, P_I32, ctypes.POINTER(Dims), P_I8]
    for fn in (lib.conv2d_s8, lib.depthwise_conv2d_s8, lib.fully_connected_s8, lib.softmax_s8,
               lib.fully_connected_fast_s8, lib.packed_conv_s8):
        fn.restype = None
    return lib


# --------------------------------------------------------------------------
# TFLite side
# --------------------------------------------------------------------------

def convert_int8(model, input_shape, seed: int, input_range: float = 1.0) -> bytes:
    """Full-integer int8 conversion with a seeded representative dataset."""
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(16):
            yield [rng.uniform(-input_range, input_range, input_shape).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


class RefModel:
    """A converted model in the BUILTIN_REF interpreter, with the accessors codegen needs."""

    def __init__(self, content: bytes):
        self.interp = tf.lite.Interpreter(
            model_content=content,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
            experimental_preserve_all_tensors=True)
        self.interp.allocate_tensors()
        self.ops = self.interp._get_ops_details()
        self.tensors = {d["index"]: d for d in self.interp.get_tensor_details()}

    def op(self, name: str) -> dict:
        found = [o for o in self.ops if o["op_name"] == name]
        assert len(found) == 1, f"expected one {name}, model has {[o['op_name'] for o in self.ops]}"
        return found[0]

    def scales(self, index: int) -> list[float]:
        return [float(s) for s in self.tensors[index]["quantization_parameters"]["scales"]]

    def scale(self, index: int) -> float:
        s = self.scales(index)
        assert len(s) == 1
        return s[0]

    def zero_point(self, index: int) -> int:
        zps = self.tensors[index]["quantization_parameters"]["zero_points"]
        assert all(z == zps[0] for z in zps)
        return int(zps[0])

    def constant(self, index: int) -> np.ndarray | None:
        if index < 0:
            return None
        return np.ascontiguousarray(self.interp.get_tensor(index))

    def run(self, x: np.ndarray) -> np.ndarray:
        inp = self.interp.get_input_details()[0]
        self.interp.set_tensor(inp["index"], x)
        self.interp.invoke()
        return self.interp.get_tensor(self.interp.get_output_details()[0]["index"])

    def value(self, index: int) -> np.ndarray:
        return np.ascontiguousarray(self.interp.get_tensor(index))


def random_int8(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, size=shape, dtype=np.int8)


def make_requant(multipliers, shifts):
    m = np.asarray(multipliers, dtype=np.int32)
    s = np.asarray(shifts, dtype=np.int32)
    return Requant(_i32(m), _i32(s), int(len(m) > 1)), (m, s)  # keep arrays alive


def _act_name(act: str | None) -> str:
    return {None: "NONE", "relu": "RELU", "relu6": "RELU6"}[act]


def run_conv_like(kernels, ref: RefModel, op_name: str, x: np.ndarray, padding: str,
                  stride: int, dilation: int, depth_multiplier: int, activation: str):
    """Compute an op's parameters as codegen will, run our kernel on x, return (ours, tflite's)."""
    op = ref.op(op_name)
    in_idx, w_idx = int(op["inputs"][0]), int(op["inputs"][1])
    b_idx = int(op["inputs"][2]) if len(op["inputs"]) > 2 else -1
    out_idx = int(op["outputs"][0])
    w = ref.constant(w_idx)
    bias = ref.constant(b_idx)
    out_shape = tuple(ref.tensors[out_idx]["shape"])
    n, ih, iw, ic = x.shape
    kh, kw = w.shape[1], w.shape[2]

    oh, pad_h = quant.conv_output_size_and_padding(padding, ih, kh, stride, dilation)
    ow, pad_w = quant.conv_output_size_and_padding(padding, iw, kw, stride, dilation)
    assert (n, oh, ow) == out_shape[:3]

    out_scale, out_zp = ref.scale(out_idx), ref.zero_point(out_idx)
    mults, shifts = quant.conv_requant(ref.scale(in_idx), ref.scales(w_idx), out_scale)
    act_min, act_max = quant.activation_range(activation, out_scale, out_zp)
    params = ConvParams(-ref.zero_point(in_idx), out_zp, stride, stride, dilation, dilation,
                        pad_h, pad_w, depth_multiplier, act_min, act_max)
    requant, _keep = make_requant(mults, shifts)

    expected = ref.run(x)
    out = np.zeros(out_shape, dtype=np.int8)
    fn = kernels.conv2d_s8 if op_name == "CONV_2D" else kernels.depthwise_conv2d_s8
    fn(ctypes.byref(params), ctypes.byref(requant),
       ctypes.byref(Dims(*x.shape)), _i8(x),
       ctypes.byref(Dims(*w.shape)), _i8(w), _i32(bias),
       ctypes.byref(Dims(*out_shape)), _i8(out))
    # Every tuned kernel whose layout can hold this layer (the selector's own predicates decide, for a DSP
    # core, since that is where every kernel is eligible) must give the reference kernel's bytes.
    g = select.ConvGeometry(op_name == "DEPTHWISE_CONV_2D", n, ih, iw, ic, kh, kw, oh, ow, out_shape[3],
                            stride, stride, dilation, dilation, pad_h, pad_w, depth_multiplier)
    dsp_core = select.Target("host", dsp=True)
    if select.fits_packed(g):
        TUNED_RUNS.add("packed_conv_s8")
        filter_ohwi = select.filter_ohwi(g, w)
        for max_taps in (None, 7):   # 7: split the lanes mid-row too
            assert_bytes_equal(run_packed(kernels, x, filter_ohwi, bias, params, requant, out_shape, max_taps), out)
        table = _channel_requant.conv_table(filter_ohwi.reshape(filter_ohwi.shape[0], -1), bias, mults, shifts,
                                            params.input_offset, fold_offset=False)
        if table is not None:
            assert_bytes_equal(run_packed(kernels, x, filter_ohwi, bias, params, requant, out_shape,
                                          table=table), out)
    if select.fits_tap_pairs(g, dsp_core):
        tap_pairs = run_tap_pairs(kernels, x, select.filter_ohwi(g, w), bias, params, mults, shifts, out_shape)
        if tap_pairs is not None:
            TUNED_RUNS.add("conv2d_tap_pairs_s8")
            assert_bytes_equal(tap_pairs, out)
    if select.fits_two_pixel_lanes(g, w, select.Target("cortex-m3", dsp=False)):
        two_pixels = run_tap_pairs(kernels, x, select.filter_ohwi(g, w), bias, params, mults, shifts, out_shape,
                                   kernels.conv2d_tap_pairs_two_pixels_s8)
        if two_pixels is not None:
            TUNED_RUNS.add("conv2d_tap_pairs_two_pixels_s8")
            assert_bytes_equal(two_pixels, out)
    if select.is_pointwise(g, w):
        TUNED_RUNS.add("pointwise_conv_s8")
        # TFLite's own output stage takes every layer; the fast one only those whose numbers allow it.
        assert_bytes_equal(run_pointwise(kernels, x, w, bias, params, mults, shifts, out_shape, general=True), out)
        pointwise = run_pointwise(kernels, x, w, bias, params, mults, shifts, out_shape)
        if pointwise is not None:
            assert_bytes_equal(pointwise, out)
    if select.fits_depthwise_ring(g):
        table = _channel_requant.conv_table(w.reshape(-1, w.shape[3]).T, bias, mults, shifts, params.input_offset,
                                            fold_offset=True)
        if table is not None:
            # depthwise_conv2d_fast_s8 everywhere but 3x3 on DSP cores, which take depthwise_conv2d_3x3_s8
            # (its plain C path here).
            kernels_to_run = [(kernels.depthwise_conv2d_fast_s8, w)]
            if select.has_3x3_dsp_depthwise(g, dsp_core):
                kernels_to_run.append((kernels.depthwise_conv2d_3x3_s8,
                                       np.asarray(_depthwise_pairs.pair_words(w), dtype=np.int32)))
            # Converted models fuse activations whose range covers all of int8, so the kernels' clamping
            # output stage also runs with a narrower range: TFLite's clamp then is np.clip of its output.
            lo, hi = max(params.act_min, -100), min(params.act_max, 90)
            narrow = ConvParams(*(getattr(params, name) for name, _ in ConvParams._fields_))
            narrow.act_min, narrow.act_max = lo, hi
            for kernel, filt in kernels_to_run:
                TUNED_RUNS.add(kernel.__name__)
                in_place_too = stride == 1 and out_shape == x.shape
                for in_place in (False, True) if in_place_too else (False,):
                    assert_bytes_equal(run_ring_depthwise(kernel, x, w.shape, filt, table, params, out_shape,
                                                          in_place), out)
                assert_bytes_equal(run_ring_depthwise(kernel, x, w.shape, filt, table, narrow, out_shape, False),
                                   np.clip(out, lo, hi))
    return out, expected


def run_ring_depthwise(kernel, x, w_shape, filt, table, params, out_shape, in_place):
    """A depthwise kernel that reads a ring of input rows (depthwise_conv2d_fast_s8 or _3x3_s8) with codegen's
    channel table and the kernel's filter layout, writing over its input when in_place (as the planner runs
    it)."""
    channels = np.asarray(table, dtype=np.int32)
    ring = np.zeros(select.ring_bytes_of(w_shape[1], w_shape[2], out_shape[2], params.stride_w, x.shape[3]),
                    dtype=np.int8)
    arena = np.ascontiguousarray(x.copy())
    out = arena if in_place else np.zeros(out_shape, dtype=np.int8)
    pointer = _i32 if filt.dtype == np.int32 else _i8
    kernel(ctypes.byref(params), _i32(channels), ctypes.byref(Dims(*x.shape)), _i8(arena),
           ctypes.byref(Dims(*w_shape)), pointer(filt), ctypes.byref(Dims(*out_shape)), _i8(out), _i8(ring))
    return out


def run_pointwise(kernels, x, w, bias, params, mults, shifts, out_shape, general=False):
    """pointwise_conv_s8 with codegen's layout and channel table, in place when the shapes allow (as the
    planner runs it); None when the fast output stage cannot take the layer's numbers (a multiplier of 1/2
    or more). ``general``: with TFLite's own output stage (general_requant), which takes any numbers."""
    out_c, in_c = w.shape[0], w.shape[3]
    w_oi = w.reshape(out_c, in_c)
    table = _channel_requant.conv_table(w_oi, bias, mults, shifts, params.input_offset, fold_offset=True,
                                        general=general)
    if table is None:
        return None
    channels = np.asarray(table, dtype=np.int32)
    filt = np.asarray(_pointwise.interleave(w_oi), dtype=np.int8)
    pixels = int(np.prod(x.shape[:3]))
    p = PointwiseParams(pixels, in_c, out_c, params.output_offset, params.act_min, params.act_max, int(general))
    scratch = np.zeros(_pointwise.scratch_words(in_c), dtype=np.int32)
    in_place = out_c <= in_c
    arena = np.zeros(max(x.size, pixels * out_c), dtype=np.int8)
    arena[:x.size] = x.ravel()
    out = arena if in_place else np.zeros(pixels * out_c, dtype=np.int8)
    kernels.pointwise_conv_s8(ctypes.byref(p), _i32(channels), _i8(filt), _i8(arena), _i8(out), _i32(scratch))
    return out[:pixels * out_c].reshape(out_shape)


def run_tap_pairs(kernels, x, filter_ohwi, bias, params, mults, shifts, out_shape, kernel=None):
    """conv2d_tap_pairs_s8 (or ``kernel``, conv2d_tap_pairs_two_pixels_s8; their plain C paths here) with
    codegen's layout and channel table; None when codegen would not choose it."""
    out_c = filter_ohwi.shape[0]
    w_ot = filter_ohwi.reshape(out_c, -1)
    table = _channel_requant.conv_table(w_ot, bias, mults, shifts, params.input_offset, fold_offset=True)
    if table is None:
        return None
    filt = np.asarray(_pointwise.interleave(w_ot), dtype=np.int8)
    out = np.zeros(out_shape, dtype=np.int8)
    (kernel or kernels.conv2d_tap_pairs_s8)(ctypes.byref(params), _i32(np.asarray(table, dtype=np.int32)),
                                ctypes.byref(Dims(*x.shape)), _i8(x), ctypes.byref(Dims(*filter_ohwi.shape)),
                                _i8(filt), ctypes.byref(Dims(*out_shape)), _i8(out))
    return out


def run_packed(kernels, x, filter_ohwi, bias, params, requant, out_shape,
               max_taps: int | None = None, table=None):
    """packed_conv_s8 with codegen's packing; max_taps overrides codegen's bound (to force lane splits);
    with a channel table, the tf_mbqm_fast_halves output stage codegen gives convolutions that allow it."""
    words = _packed.pack_filter(filter_ohwi)
    assert words is not None
    packed = np.asarray(words, dtype=np.int32)
    bound = _packed.max_taps(filter_ohwi, params.input_offset)
    p = PackedParams(params.input_offset, params.output_offset, getattr(params, "stride_h", 1),
                     getattr(params, "stride_w", 1), getattr(params, "dilation_h", 1), getattr(params, "pad_h", 0),
                     getattr(params, "pad_w", 0), params.act_min, params.act_max,
                     bound if max_taps is None else max_taps)
    out = np.zeros(out_shape, dtype=np.int8)
    x = np.ascontiguousarray(x)
    channels = None if table is None else np.asarray(table, dtype=np.int32)
    kernels.packed_conv_s8(ctypes.byref(p), ctypes.byref(requant), ctypes.byref(Dims(*x.shape)), _i8(x),
                           filter_ohwi.shape[1], filter_ohwi.shape[2], _i32(packed), _i32(bias), _i32(channels),
                           ctypes.byref(Dims(*out_shape)), _i8(out))
    return out


def assert_bytes_equal(ours: np.ndarray, expected: np.ndarray):
    assert ours.shape == expected.shape
    if ours.tobytes() != expected.tobytes():
        diff = ours.astype(int) - expected.astype(int)
        bad = np.argwhere(diff != 0)
        pytest.fail(f"{len(bad)}/{diff.size} outputs differ, max |diff| {np.abs(diff).max()}, "
                    f"first at {bad[0].tolist()}: ours {ours[tuple(bad[0])]} "
                    f"tflite {expected[tuple(bad[0])]}")


# The tuned convolution kernels that ran bit-exact in this session (run_conv_like adds them).
TUNED_RUNS: set[str] = set()
TUNED_CONV_KERNELS = {"packed_conv_s8", "conv2d_tap_pairs_s8", "conv2d_tap_pairs_two_pixels_s8", "pointwise_conv_s8",
                      "depthwise_conv2d_fast_s8", "depthwise_conv2d_3x3_s8"}


# --------------------------------------------------------------------------
# CONV_2D
# --------------------------------------------------------------------------

def _conv_cases():
    cases = []
    kernel_sizes = [(1, 1), (3, 3), (10, 8)]
    for i, (k, stride, padding, dilation) in enumerate(
            itertools.product(kernel_sizes, (1, 2), ("same", "valid"), (1, 2))):
        if stride > 1 and dilation > 1:
            continue  # Keras (and TF's Conv2D) reject strides > 1 with dilation > 1
        in_hw = (21, 17) if k == (10, 8) else (9, 11)
        cases.append(pytest.param(
            dict(kernel=k, stride=stride, padding=padding, dilation=dilation, in_hw=in_hw,
                 in_c=(1, 3, 5)[i % 3], out_c=(3, 7, 4, 1)[i % 4], bias=i % 2 == 0,
                 activation=(None, "relu", "relu6")[i % 3], batch=2 if i % 5 == 0 else 1,
                 per_tensor=i % 7 == 3, seed=100 + i),
            id=f"k{k[0]}x{k[1]}-s{stride}-{padding}-d{dilation}-{i}"))
    # Filter rows of whole words, the shapes conv2d_tap_pairs_s8 takes on cores with SMLAD: DS-CNN's first
    # layer, micro_speech's with a clamped activation, and multi-channel rows, over borders on every side.
    for j, (k, stride, padding, in_c, out_c, activation) in enumerate([
            ((10, 4), 2, "same", 1, 9, "relu"), ((10, 8), 2, "same", 1, 8, "relu6"),
            ((3, 3), 1, "same", 4, 6, None), ((2, 2), 1, "valid", 2, 5, "relu"), ((5, 1), 2, "same", 4, 3, None)]):
        cases.append(pytest.param(
            dict(kernel=k, stride=stride, padding=padding, dilation=1, in_hw=(13, 12), in_c=in_c, out_c=out_c,
                 bias=j % 2 == 0, activation=activation, batch=1, per_tensor=j == 4, seed=300 + j),
            id=f"tap-pairs-k{k[0]}x{k[1]}-c{in_c}-s{stride}-{padding}"))
    return cases


@pytest.mark.parametrize("case", _conv_cases())
def test_conv2d_matches_tflite(kernels, case):
    c = case
    tf.keras.utils.set_random_seed(c["seed"])
    shape = (c["batch"], *c["in_hw"], c["in_c"])
    inp = tf.keras.Input(shape=shape[1:], batch_size=c["batch"])
    out = tf.keras.layers.Conv2D(c["out_c"], c["kernel"], strides=c["stride"], padding=c["padding"],
                                 dilation_rate=c["dilation"], use_bias=c["bias"],
                                 bias_initializer="random_normal",
                                 activation=c["activation"])(inp)
    model = tf.keras.Model(inp, out)
    if c["per_tensor"]:
        content = _convert_per_tensor(model, shape, c["seed"])
    else:
        content = convert_int8(model, shape, c["seed"])
    ref = RefModel(content)
    assert [o["op_name"] for o in ref.ops] == ["CONV_2D"]
    if c["per_tensor"]:
        assert len(ref.scales(int(ref.op("CONV_2D")["inputs"][1]))) == 1
    for trial in range(2):
        x = random_int8(shape, c["seed"] * 10 + trial)
        ours, expected = run_conv_like(kernels, ref, "CONV_2D", x, c["padding"].upper(),
                                       c["stride"], c["dilation"], 1,
                                       _act_name(c["activation"]))
        assert_bytes_equal(ours, expected)


def _convert_per_tensor(model, shape, seed):
    """Per-tensor weight scales (the converter's private switch), to exercise per_channel=0."""
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(16):
            yield [rng.uniform(-1, 1, shape).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    conv._experimental_disable_per_channel = True
    return conv.convert()


# --------------------------------------------------------------------------
# DEPTHWISE_CONV_2D
# --------------------------------------------------------------------------

def _depthwise_cases():
    cases = []
    kernel_sizes = [(3, 3), (10, 8), (1, 1)]
    for i, (k, stride, padding, dm, dilation) in enumerate(
            itertools.product(kernel_sizes, (1, 2), ("same", "valid"), (1, 2), (1, 2))):
        if stride > 1 and dilation > 1:
            continue
        if k == (1, 1) and (dilation > 1 or padding == "valid"):
            continue  # dilation and padding mean nothing for 1x1; keep the run short
        in_hw = (21, 17) if k == (10, 8) else (8, 9)
        cases.append(pytest.param(
            dict(kernel=k, stride=stride, padding=padding, dm=dm, dilation=dilation,
                 in_hw=in_hw, in_c=(2, 3, 5)[i % 3], bias=i % 2 == 1,
                 activation=(None, "relu", "relu6")[i % 3], batch=2 if i % 4 == 0 else 1,
                 per_tensor=i % 7 == 3, seed=500 + i),
            id=f"k{k[0]}x{k[1]}-s{stride}-{padding}-dm{dm}-d{dilation}-{i}"))
    # Channel counts that are a multiple of 4 take depthwise_conv2d_fast_s8, and 3x3 filters on DSP cores
    # depthwise_conv2d_3x3_s8 (DS-CNN's shape among them).
    for j, (stride, padding, activation) in enumerate(((1, "same", "relu"), (2, "valid", "relu"),
                                                       (2, "same", "relu"), (1, "same", "relu6"),
                                                       (1, "valid", None))):
        cases.append(pytest.param(
            dict(kernel=(3, 3), stride=stride, padding=padding, dm=1, dilation=1, in_hw=(25, 5),
                 in_c=8 * (j % 3 + 1), bias=True, activation=activation, batch=1 + j % 2, per_tensor=j == 1,
                 seed=700 + j),
            id=f"fast-k3x3-s{stride}-{padding}-c{8 * (j % 3 + 1)}-{activation}"))
    # Other filter sizes keep depthwise_conv2d_fast_s8 on every core.
    cases.append(pytest.param(
        dict(kernel=(5, 3), stride=1, padding="same", dm=1, dilation=1, in_hw=(12, 7), in_c=12, bias=True,
             activation="relu6", batch=1, per_tensor=False, seed=720),
        id="fast-k5x3-s1-same-c12-relu6"))
    return cases


@pytest.mark.parametrize("case", _depthwise_cases())
def test_depthwise_conv2d_matches_tflite(kernels, case):
    c = case
    tf.keras.utils.set_random_seed(c["seed"])
    shape = (c["batch"], *c["in_hw"], c["in_c"])
    inp = tf.keras.Input(shape=shape[1:], batch_size=c["batch"])
    out = tf.keras.layers.DepthwiseConv2D(c["kernel"], strides=c["stride"], padding=c["padding"],
                                          depth_multiplier=c["dm"], dilation_rate=c["dilation"],
                                          use_bias=c["bias"], bias_initializer="random_normal",
                                          activation=c["activation"])(inp)
    convert = _convert_per_tensor if c["per_tensor"] else convert_int8
    ref = RefModel(convert(tf.keras.Model(inp, out), shape, c["seed"]))
    assert [o["op_name"] for o in ref.ops] == ["DEPTHWISE_CONV_2D"]
    if c["per_tensor"]:
        assert len(ref.scales(int(ref.op("DEPTHWISE_CONV_2D")["inputs"][1]))) == 1
    for trial in range(2):
        x = random_int8(shape, c["seed"] * 10 + trial)
        ours, expected = run_conv_like(kernels, ref, "DEPTHWISE_CONV_2D", x,
                                       c["padding"].upper(), c["stride"], c["dilation"], c["dm"],
                                       _act_name(c["activation"]))
        assert_bytes_equal(ours, expected)


# --------------------------------------------------------------------------
# FULLY_CONNECTED
# --------------------------------------------------------------------------

def run_fc(kernels, ref: RefModel, op: dict, x: np.ndarray, activation: str) -> np.ndarray:
    in_idx, w_idx = int(op["inputs"][0]), int(op["inputs"][1])
    b_idx = int(op["inputs"][2]) if len(op["inputs"]) > 2 else -1
    out_idx = int(op["outputs"][0])
    w, bias = ref.constant(w_idx), ref.constant(b_idx)
    out_depth, in_depth = w.shape
    batches = x.size // in_depth
    out_scale, out_zp = ref.scale(out_idx), ref.zero_point(out_idx)
    mults, shifts = quant.fully_connected_requant(ref.scale(in_idx), ref.scales(w_idx), out_scale)
    act_min, act_max = quant.activation_range(activation, out_scale, out_zp)
    params = FcParams(-ref.zero_point(in_idx), -ref.zero_point(w_idx), out_zp, act_min, act_max)
    requant, _keep = make_requant(mults, shifts)
    x = np.ascontiguousarray(x)
    out = np.zeros((batches, out_depth), dtype=np.int8)
    kernels.fully_connected_s8(ctypes.byref(params), ctypes.byref(requant), batches, in_depth,
                               _i8(x), out_depth, _i8(w), _i32(bias), _i8(out))
    # The tuned path codegen may choose must agree with the reference kernel byte for byte.
    fast = np.zeros_like(out)
    blocks = row_blocks.interleave(w)   # the tuned kernel's filter layout
    kernels.fully_connected_fast_s8(ctypes.byref(params), ctypes.byref(requant), batches, in_depth,
                                    _i8(x), out_depth, _i8(blocks), _i32(bias), _i8(fast))
    assert_bytes_equal(fast, out)
    return out


def test_fast_requantization_forms_equal_tflites_on_every_shift(tmp_path):
    """requantize.h's tf_mbqm_fast_form (the LSTM's gate requantization) against tf_mbqm, TFLite's double
    rounding, for shifts -31..30, sums on both sides of 2^30 and the int32 ends, and a pseudo-random sweep."""
    if shutil.which("gcc") is None:
        pytest.skip("host gcc not installed")
    exe = tmp_path / "requant_forms"
    subprocess.run(["gcc", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined",
                    "-fno-sanitize-recover=all", f"-I{INCLUDE_DIR}", f"-I{INCLUDE_DIR.parent / 'kernels'}",
                    str(Path(__file__).parent / "firmware" / "requant_forms.c"), "-o", str(exe)], check=True)
    proc = subprocess.run([str(exe)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == f"{62 * 7 * (21 + 2000) * 2} agree"


def test_exp_computed_equals_the_tables_optimize_speed_stores(tmp_path):
    """fixedpoint_s16.h's exp, logistic and tanh with exp's Taylor part computed (the LSTM under the weight
    budget) against the same functions over codegen's tables (optimize=speed), for every int16 input."""
    if shutil.which("gcc") is None:
        pytest.skip("host gcc not installed")
    from codegen.compiler.fixedpoint import exp_quarter_table
    exe = tmp_path / "exp_forms"
    subprocess.run(["gcc", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined",
                    "-fno-sanitize-recover=all", f"-I{INCLUDE_DIR.parent / 'kernels'}",
                    str(Path(__file__).parent / "firmware" / "exp_quarter_forms.c"), "-o", str(exe)], check=True)
    tables = "".join(f"{bits} {len(t)} {' '.join(map(str, t))}\n"
                     for bits in range(8) for t in [exp_quarter_table(bits)])
    proc = subprocess.run([str(exe)], input=tables, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # 8 formats: exp of the 32,769 inputs <= 0, logistic of all 65,536; tanh of all 65,536 in 7 of them
    assert proc.stdout.strip() == f"{8 * (32769 + 65536) + 7 * 65536} agree"


@pytest.mark.parametrize("in_depth, out_depth", [(1, 12), (3, 12), (8, 1)],
                         ids=["one-input-rows", "short-rows", "one-output"])
@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_tuned_fully_connected_requantizes_as_the_reference_across_its_short_forms_limits(kernels, per_channel,
                                                                                         in_depth, out_depth):
    """fully_connected_fast_s8 rescales a sum in [-2^30, 2^30) by a multiplier below 1 with one SMLAL and takes
    the general single-rounding form otherwise: sums just inside and outside that range, and shifts from a
    multiplier above 1 down to TFLite's smallest, must all give fully_connected_s8's bytes (under UBSan), in
    each of its paths for small layers (rows of one input, of three, and a single output row)."""
    rng = np.random.default_rng(2026)
    w = rng.integers(-128, 128, (out_depth, in_depth), dtype=np.int8)
    x = rng.integers(-128, 128, (1, in_depth), dtype=np.int8)
    params = FcParams(0, 0, 3, -128, 127)
    blocks = row_blocks.interleave(w)
    for shift in (2, 1, 0, -1, -7, -31, -32):
        for base in (0, 2**30 - 300, 2**30 + 300, -2**30 + 300, -2**30 - 300, 2**31 - 10**5, -2**31 + 10**5):
            bias = (base + rng.integers(-200, 200, out_depth)).astype(np.int32)
            count = out_depth if per_channel else 1
            multipliers = rng.integers(1 << 30, (1 << 31) - 1, count)
            shifts = rng.choice([shift, shift, min(shift + 1, 2), max(shift - 1, -32)], count) if per_channel \
                else [shift]
            requant, _keep = make_requant(multipliers, shifts)
            expected, fast = np.zeros((1, out_depth), np.int8), np.zeros((1, out_depth), np.int8)
            kernels.fully_connected_s8(ctypes.byref(params), ctypes.byref(requant), 1, in_depth, _i8(x), out_depth,
                                       _i8(w), _i32(bias), _i8(expected))
            kernels.fully_connected_fast_s8(ctypes.byref(params), ctypes.byref(requant), 1, in_depth, _i8(x),
                                            out_depth, _i8(blocks), _i32(bias), _i8(fast))
            assert fast.tobytes() == expected.tobytes(), f"shift {shift}, sums near {base}"


def test_every_tuned_conv_kernel_ran(request):
    """The conv and depthwise cases above reach every tuned kernel: a kernel whose predicates no case meets
    fails here instead of going untested."""
    selected = {item.originalname for item in request.session.items if hasattr(item, "originalname")}
    if not {"test_conv2d_matches_tflite", "test_depthwise_conv2d_matches_tflite"} <= selected:
        pytest.skip("needs the conv and depthwise cases of this file in the same session")
    assert TUNED_RUNS == TUNED_CONV_KERNELS, f"never ran: {sorted(TUNED_CONV_KERNELS - TUNED_RUNS)}"


def _dense_cases():
    cases = []
    for i, (batch, in_depth, units, act) in enumerate(
            itertools.product((1, 3), (1, 3, 5, 16, 33), (1, 10), (None, "relu"))):
        cases.append(pytest.param(
            dict(batch=batch, in_depth=in_depth, units=units, activation=act,
                 bias=i % 3 != 2, seed=900 + i),
            id=f"b{batch}-in{in_depth}-out{units}-{_act_name(act)}-{i}"))
    return cases


@pytest.mark.parametrize("case", _dense_cases())
def test_fully_connected_matches_tflite(kernels, case):
    c = case
    tf.keras.utils.set_random_seed(c["seed"])
    shape = (c["batch"], c["in_depth"])
    inp = tf.keras.Input(shape=shape[1:], batch_size=c["batch"])
    out = tf.keras.layers.Dense(c["units"], activation=c["activation"], use_bias=c["bias"],
                                bias_initializer="random_normal")(inp)
    ref = RefModel(convert_int8(tf.keras.Model(inp, out), shape, c["seed"]))
    assert [o["op_name"] for o in ref.ops] == ["FULLY_CONNECTED"]
    op = ref.op("FULLY_CONNECTED")
    for trial in range(3):
        x = random_int8(shape, c["seed"] * 10 + trial)
        expected = ref.run(x)
        ours = run_fc(kernels, ref, op, x, _act_name(c["activation"]))
        assert_bytes_equal(ours.reshape(expected.shape), expected)


# --------------------------------------------------------------------------
# SOFTMAX
# --------------------------------------------------------------------------

def run_softmax(kernels, ref: RefModel, op: dict, x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    in_idx, out_idx = int(op["inputs"][0]), int(op["outputs"][0])
    assert (ref.scale(out_idx), ref.zero_point(out_idx)) == (1.0 / 256, -128)
    mult, shift, diff_min = quant.softmax_params(beta, ref.scale(in_idx))
    params = SoftmaxParams(mult, shift, diff_min)
    x = np.ascontiguousarray(x)
    depth = x.shape[-1]
    out = np.zeros(x.shape, dtype=np.int8)
    kernels.softmax_s8(ctypes.byref(params), x.size // depth, depth, _i8(x), _i8(out))
    return out


def _softmax_cases():
    cases = []
    for i, (width, logit_scale) in enumerate(itertools.product((2, 4, 10, 37, 100),
                                                               (0.05, 1.0, 8.0))):
        cases.append(pytest.param(dict(width=width, logit_scale=logit_scale, rows=1 + i % 3,
                                       seed=1300 + i),
                                  id=f"w{width}-scale{logit_scale}-{i}"))
    return cases


@pytest.mark.parametrize("case", _softmax_cases())
def test_softmax_matches_tflite(kernels, case):
    """Dense -> Softmax, so the softmax input is quantized with a calibrated scale.

    logit_scale spreads the Dense outputs, which moves the softmax input scale
    from fine (most differences inside diff_min) to coarse (where diff_min
    cuts off tails and outputs saturate at 127)."""
    c = case
    tf.keras.utils.set_random_seed(c["seed"])
    in_depth = 6
    shape = (c["rows"], in_depth)
    inp = tf.keras.Input(shape=(in_depth,), batch_size=c["rows"])
    logits = tf.keras.layers.Dense(
        c["width"], kernel_initializer=tf.keras.initializers.RandomNormal(stddev=c["logit_scale"]),
        bias_initializer="random_normal")(inp)
    out = tf.keras.layers.Softmax()(logits)
    ref = RefModel(convert_int8(tf.keras.Model(inp, out), shape, c["seed"]))
    assert [o["op_name"] for o in ref.ops] == ["FULLY_CONNECTED", "SOFTMAX"]
    fc, sm = ref.op("FULLY_CONNECTED"), ref.op("SOFTMAX")
    for trial in range(3):
        x = random_int8(shape, c["seed"] * 10 + trial)
        expected = ref.run(x)
        sm_in = ref.value(int(sm["inputs"][0]))
        # Our FC must agree with TFLite's on the logits, and our softmax on the probabilities.
        assert_bytes_equal(run_fc(kernels, ref, fc, x, "NONE").reshape(sm_in.shape), sm_in)
        assert_bytes_equal(run_softmax(kernels, ref, sm, sm_in), expected)


# --------------------------------------------------------------------------
# codegen.compiler.quant against hand-checked values from TFLite's definitions
# --------------------------------------------------------------------------

def test_quantize_multiplier_edges():
    assert quant.quantize_multiplier(0.0) == (0, 0)
    assert quant.quantize_multiplier(0.5) == (1 << 30, 0)
    assert quant.quantize_multiplier(1.0) == (1 << 30, 1)
    # Just below a power of two rounds up to 2^31 and is renormalised.
    assert quant.quantize_multiplier(1.0 - 2.0 ** -40) == (1 << 30, 1)
    # Below 2^-32 the shift would be < -31: TFLite flushes to zero.
    assert quant.quantize_multiplier(2.0 ** -33) == (0, 0)
    # Ties go away from zero (std::round), not to even: q * 2^31 = 2^30 + 0.5.
    assert quant.quantize_multiplier((2.0 ** 30 + 0.5) / 2.0 ** 31) == ((1 << 30) + 1, 0)


def _srdhm(a: int, b: int) -> int:
    ab = a * b
    v = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    q = abs(v) >> 31
    return q if v >= 0 else -q


def _rdbpot(x: int, e: int) -> int:
    mask = (1 << e) - 1
    return (x >> e) + (1 if (x & mask) > (mask >> 1) + (1 if x < 0 else 0) else 0)


def mbqm_double(x: int, m: int, s: int) -> int:
    """Python model of the conv kernels' requantization (gemmlowp double rounding)."""
    return _rdbpot(_srdhm(x * (1 << max(s, 0)), m), max(-s, 0))


def mbqm_single(x: int, m: int, s: int) -> int:
    """Python model of the FC kernel's requantization (TFLITE_SINGLE_ROUNDING form)."""
    total = 31 - s
    return (x * m + (1 << (total - 1))) >> total


def _boundary_accumulator(rounding, m_a, s_a, m_b, s_b, rng) -> int:
    """An int32 accumulator whose requantized value, in the int8 range, differs
    between multiplier (m_a, s_a) and (m_b, s_b)."""
    lo = min(m_a, m_b)
    total = 31 - s_a
    for k in rng.permutation(np.arange(-100, 100)):
        boundary = (2 * int(k) + 1) << (total - 1)  # (k + 0.5) * 2^total
        base = boundary // lo
        for acc in range(base - 3, base + 4):
            if abs(acc) < 2 ** 31 and rounding(acc, m_a, s_a) != rounding(acc, m_b, s_b):
                return acc
    raise AssertionError("no discriminating accumulator")


def _crafted_scales(rng, n):
    """(input, [filter]*n, output) float32 scales, with a tiny real multiplier
    (so int32 accumulators are fine-grained), where each channel's float32-product
    and double-product multipliers differ."""
    a = float(np.float32(rng.uniform(0.005, 0.02)))
    c = float(np.float32(rng.uniform(5.0, 20.0)))
    bs = []
    while len(bs) < n:
        b = float(np.float32(rng.uniform(5e-5, 2e-4)))
        if (quant.conv_requant(a, [b], c)
                != quant.fully_connected_requant_float32_product(a, [b], c)):
            bs.append(b)
    return a, bs, c


def _craft(content: bytes, op_name: str, scales, per_channel: bool, rounding, rng):
    """Rewrite a one-op model: zero weights, chosen scales, and biases placed on
    the rounding boundary between the double- and float32-product multipliers, so
    that acc == bias and the op's output reveals which multiplier TFLite used."""
    from tensorflow.lite.tools import flatbuffer_utils

    a, bs, c = scales
    ref = RefModel(content)
    op = ref.op(op_name)
    in_idx, w_idx, b_idx = (int(i) for i in op["inputs"])
    out_idx = int(op["outputs"][0])
    assert b_idx >= 0
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    tensors = model.subgraphs[0].tensors
    n_out = int(tensors[b_idx].shape[0])
    chan_scales = bs if per_channel else bs * n_out
    biases, alt = [], []
    for ch in range(n_out):
        ours = quant.conv_requant(a, [chan_scales[ch]], c)
        other = quant.fully_connected_requant_float32_product(a, [chan_scales[ch]], c)
        acc = _boundary_accumulator(rounding, ours[0][0], ours[1][0],
                                    other[0][0], other[1][0], rng)
        biases.append(acc)
        alt.append(rounding(acc, other[0][0], other[1][0]))
    for idx, sc in ((in_idx, [a]), (out_idx, [c]), (w_idx, bs),
                    (b_idx, [np.float32(a) * np.float32(b) for b in bs])):
        tensors[idx].quantization.scale = np.asarray(sc, dtype=np.float32)
        tensors[idx].quantization.zeroPoint = np.zeros(len(sc), dtype=np.int64)
    w_buf = model.buffers[tensors[w_idx].buffer]
    w_buf.data = np.zeros_like(w_buf.data)
    model.buffers[tensors[b_idx].buffer].data = np.asarray(biases, "<i4").view(np.uint8)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), np.asarray(alt)


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_fully_connected_multiplier_is_double_product(kernels, per_channel):
    """Which multiplier does TF 2.21's int8 FC use: float32 input*filter product
    (GetQuantizedConvolutionMultipler) or double (PopulateConvolutionQuantizationParams)?
    Every crafted output tells them apart; ours must match and the other must not."""
    rng = np.random.default_rng(11 + per_channel)
    tf.keras.utils.set_random_seed(11)
    units, depth = 8, 4
    inp = tf.keras.Input(shape=(depth,), batch_size=1)
    out = tf.keras.layers.Dense(units, bias_initializer="random_normal")(inp)
    rep_rng = np.random.default_rng(0)

    def representative():
        for _ in range(4):
            yield [rep_rng.uniform(-1, 1, (1, depth)).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, out))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    conv._experimental_disable_per_channel_quantization_for_dense_layers = not per_channel
    scales = _crafted_scales(rng, units if per_channel else 1)
    content, alt = _craft(conv.convert(), "FULLY_CONNECTED", scales, per_channel,
                          mbqm_single, rng)
    ref = RefModel(content)
    x = np.zeros((1, depth), dtype=np.int8)
    expected = ref.run(x).reshape(-1)
    assert np.all(alt != expected), "float32-product multiplier should miss every output"
    ours = run_fc(kernels, ref, ref.op("FULLY_CONNECTED"), x, "NONE").reshape(-1)
    assert_bytes_equal(ours, expected)


def test_conv_multiplier_is_double_product(kernels):
    """The same boundary trick for CONV_2D's per-channel multipliers."""
    rng = np.random.default_rng(21)
    tf.keras.utils.set_random_seed(21)
    out_c = 6
    shape = (1, 1, 1, 2)
    inp = tf.keras.Input(shape=shape[1:], batch_size=1)
    out = tf.keras.layers.Conv2D(out_c, 1, bias_initializer="random_normal")(inp)
    scales = _crafted_scales(rng, out_c)
    content, alt = _craft(convert_int8(tf.keras.Model(inp, out), shape, 21), "CONV_2D", scales,
                          True, mbqm_double, rng)
    ref = RefModel(content)
    x = np.zeros(shape, dtype=np.int8)
    ours, expected = run_conv_like(kernels, ref, "CONV_2D", x, "VALID", 1, 1, 1, "NONE")
    assert np.all(alt != expected.reshape(-1))
    assert_bytes_equal(ours, expected)


def test_activation_range():
    assert quant.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert quant.activation_range("RELU", 0.1, -20) == (-20, 127)
    assert quant.activation_range("RELU6", 0.05, -128) == (-128, -8)
    assert quant.activation_range("RELU6", 0.01, -128) == (-128, 127)
    assert quant.activation_range("RELU_N1_TO_1", 1 / 64, 0) == (-64, 64)


def test_softmax_params_examples():
    # beta * scale * 2^26 = 2^22 exactly: multiplier 2^30, shift 23,
    # radius floor(31 * 2^26 / 2^23) = 248.
    assert quant.softmax_params(1.0, 1 / 16) == (1 << 30, 23, -248)


def test_output_size_and_padding():
    assert quant.conv_output_size_and_padding("SAME", 10, 3, 2, 1) == (5, 0)
    assert quant.conv_output_size_and_padding("SAME", 9, 3, 2, 1) == (5, 1)
    assert quant.conv_output_size_and_padding("SAME", 9, 4, 1, 1) == (9, 1)  # odd pixel after
    assert quant.conv_output_size_and_padding("VALID", 21, 10, 1, 2) == (3, 0)
    assert quant.conv_output_size_and_padding("SAME", 49, 10, 2, 1) == (25, 4)


# --------------------------------------------------------------------------
# Cross-compilation and a real model
# --------------------------------------------------------------------------

def test_kernels_compile_for_cortex_m3(tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed; cannot check the Cortex-M3 build")
    for src in KERNEL_SOURCES:
        cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-Os", "-Wall", "-Wextra",
               "-Werror", "-std=c99", f"-I{INCLUDE_DIR}", "-c", str(src),
               "-o", str(tmp_path / (src.stem + ".o"))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name}:\n{proc.stderr}"


_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6"}
_PADDINGS = {0: "SAME", 1: "VALID"}


def test_micro_speech_chain_reproduces_reference(kernels):
    """RESHAPE -> DEPTHWISE_CONV_2D -> FULLY_CONNECTED -> SOFTMAX of the micro_speech
    model, chained through our kernels on its own weights, gives the recorded
    BUILTIN_REF outputs for every sample."""
    if not (MICRO_SPEECH_MODEL.exists() and MICRO_SPEECH_EXPECTED.exists()):
        pytest.skip(f"shared micro_speech model/expectations not found under {SHARED}")
    from tensorflow.lite.tools import flatbuffer_utils

    content = MICRO_SPEECH_MODEL.read_bytes()
    fb = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    ref = RefModel(content)
    assert [o["op_name"] for o in ref.ops] == ["RESHAPE", "DEPTHWISE_CONV_2D",
                                               "FULLY_CONNECTED", "SOFTMAX"]
    fb_ops = fb.subgraphs[0].operators
    dw_opts = fb_ops[1].builtinOptions
    fc_opts = fb_ops[2].builtinOptions
    sm_opts = fb_ops[3].builtinOptions
    expected_all = json.loads(MICRO_SPEECH_EXPECTED.read_text())
    samples = expected_all["samples"]
    assert samples

    dw, fc, sm = ref.op("DEPTHWISE_CONV_2D"), ref.op("FULLY_CONNECTED"), ref.op("SOFTMAX")
    dw_in, dw_w, dw_b, dw_out = (int(i) for i in (*dw["inputs"], dw["outputs"][0]))
    w, bias = ref.constant(dw_w), ref.constant(dw_b)
    in_shape = tuple(ref.tensors[dw_in]["shape"])
    out_shape = tuple(ref.tensors[dw_out]["shape"])
    assert dw_opts.dilationHFactor == dw_opts.dilationWFactor == 1
    assert dw_opts.strideH == dw_opts.strideW
    padding = _PADDINGS[dw_opts.padding]
    stride = dw_opts.strideH
    oh, pad_h = quant.conv_output_size_and_padding(padding, in_shape[1], w.shape[1], stride, 1)
    ow, pad_w = quant.conv_output_size_and_padding(padding, in_shape[2], w.shape[2], stride, 1)
    assert (oh, ow) == out_shape[1:3]
    out_scale, out_zp = ref.scale(dw_out), ref.zero_point(dw_out)
    mults, shifts = quant.conv_requant(ref.scale(dw_in), ref.scales(dw_w), out_scale)
    act_min, act_max = quant.activation_range(_ACTIVATIONS[dw_opts.fusedActivationFunction],
                                              out_scale, out_zp)
    dw_params = ConvParams(-ref.zero_point(dw_in), out_zp, stride, stride, 1, 1, pad_h, pad_w,
                           dw_opts.depthMultiplier, act_min, act_max)
    dw_requant, _keep = make_requant(mults, shifts)

    for name, sample in samples.items():
        features = np.asarray(sample["features_int8"], dtype=np.int8)
        want = sample["outputs"]["micro_speech_quantized.tflite"]
        # RESHAPE is a no-op on NHWC bytes.
        x = np.ascontiguousarray(features.reshape(in_shape))
        act = np.zeros(out_shape, dtype=np.int8)
        kernels.depthwise_conv2d_s8(ctypes.byref(dw_params), ctypes.byref(dw_requant),
                                    ctypes.byref(Dims(*in_shape)), _i8(x),
                                    ctypes.byref(Dims(*w.shape)), _i8(w), _i32(bias),
                                    ctypes.byref(Dims(*out_shape)), _i8(act))
        logits = run_fc(kernels, ref, fc, act.reshape(1, -1),
                        _ACTIVATIONS[fc_opts.fusedActivationFunction])
        probs = run_softmax(kernels, ref, sm, logits, beta=float(sm_opts.beta))

        # Step-by-step against the interpreter first, so a failure names the layer.
        tflite_out = ref.run(features.reshape(tuple(ref.interp.get_input_details()[0]["shape"])))
        assert_bytes_equal(act, ref.value(dw_out))
        assert_bytes_equal(logits.reshape(ref.value(int(fc["outputs"][0])).shape),
                           ref.value(int(fc["outputs"][0])))
        assert_bytes_equal(probs.reshape(tflite_out.shape), tflite_out)
        assert probs.reshape(-1).tolist() == list(want), name
