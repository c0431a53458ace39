"""Hostile and broken input: each problem stops with one exact line naming it (issue 7).

Models are damaged copies of the project's own default model, patched at field positions found
through the flatbuffer bindings, so the tests need nothing from ../shared.
"""
from __future__ import annotations

import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import tflite

from codegen.target.boards import load_board
from codegen.target.host_tools import require_packages, require_writable_dir
from codegen.errors import TinyforgeError
from codegen.verify.cases import resolve_cases
from codegen.pipeline import compile_model
from codegen.model.tflite_model import load_model
from codegen.wav import read_wav

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "kws_yes_no.tflite"
SOX = "(convert with e.g. `sox in.wav -r 16000 -c 1 -b 16 out.wav`)"


def error_of(call, *args) -> str:
    message = message_of(call, *args)
    assert "\n" not in message
    return message


def message_of(call, *args) -> str:
    """The error; unsupported operators are listed one per line, so that message may have several."""
    with pytest.raises(TinyforgeError) as info:
        call(*args)
    return str(info.value)


# ----------------------------------------------------------------------------------------- models

def _tensor(buf: bytes, index: int):
    return tflite.Model.GetRootAsModel(buf, 0).Subgraphs(0).Tensors(index)


def _field_pos(table, slot: int) -> int:
    return table._tab.Pos + table._tab.Offset(slot)


def _vector_start(table, slot: int) -> int:
    return table._tab.Vector(table._tab.Offset(slot))


INTACT = load_model(MODEL)
INPUT = INTACT.tensors[INTACT.inputs[0]]                     # the model's (quantized int8) input
FC_WEIGHTS = next(INTACT.tensors[op.inputs[1]] for op in INTACT.operators if op.opcode == "FULLY_CONNECTED")


def damaged(tmp_path: Path, name: str, patch) -> Path:
    data = bytearray(MODEL.read_bytes())
    patch(data)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(bytes(data))
    return path


def test_truncated_model(tmp_path):
    buf = MODEL.read_bytes()
    path = tmp_path / "truncated.tflite"
    path.write_bytes(buf[:20])
    root = struct.unpack_from("<I", buf, 0)[0]
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: corrupt flatbuffer: root table offset "
                                          f"runs past the end of the file (20 bytes) at byte {root}")
    half = len(buf) // 2
    path.write_bytes(buf[:half])
    codes = _vector_start(tflite.Model.GetRootAsModel(buf, 0), 6) - 4
    assert codes > half
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: corrupt flatbuffer: "
                                          f"Model.OperatorCodes runs past the end of the file ({half} bytes) "
                                          f"at byte {codes}")
    path.write_bytes(buf[:5])
    assert error_of(load_model, path) == f"{path}: not a valid TFLite model: missing the 'TFL3' file identifier"
    path.write_bytes(b"")
    assert error_of(load_model, path) == f"{path}: not a valid TFLite model: missing the 'TFL3' file identifier"


def test_wrong_magic(tmp_path):
    path = damaged(tmp_path, "magic", lambda d: d.__setitem__(slice(4, 8), b"TFL2"))
    assert error_of(load_model, path) == f"{path}: not a valid TFLite model: missing the 'TFL3' file identifier"


def test_missing_model_file(tmp_path):
    path = tmp_path / "absent.tflite"
    assert error_of(load_model, path) == f"{path}: cannot read model: No such file or directory"


def test_vector_length_past_the_end(tmp_path):
    buf = MODEL.read_bytes()
    shape = _vector_start(_tensor(buf, INPUT.index), 4)
    path = damaged(tmp_path, "length", lambda d: struct.pack_into("<I", d, shape - 4, 0x7FFFFFF0))
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: corrupt flatbuffer: "
                                          f"Tensor.Shape claims {0x7FFFFFF0} elements at byte {shape - 4}")


def test_vtable_offset_outside_the_file(tmp_path):
    """A negative soffset would make the Python bindings wrap around to the end of the buffer."""
    buf = MODEL.read_bytes()
    pos = _tensor(buf, FC_WEIGHTS.index)._tab.Pos
    path = damaged(tmp_path, "vtable", lambda d: struct.pack_into("<i", d, pos, -0x100000))
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: corrupt flatbuffer: Tensor vtable "
                                          f"runs past the end of the file ({len(buf)} bytes) at byte {pos + 0x100000}")


def test_buffer_index_out_of_range(tmp_path):
    buf = MODEL.read_bytes()
    at = _field_pos(_tensor(buf, FC_WEIGHTS.index), 8)
    path = damaged(tmp_path, "buffer", lambda d: struct.pack_into("<I", d, at, 1000))
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: tensor {FC_WEIGHTS.index} "
                                          f"('{FC_WEIGHTS.name}') refers to buffer 1000")


def test_tensor_index_out_of_range(tmp_path):
    buf = MODEL.read_bytes()
    op = tflite.Model.GetRootAsModel(buf, 0).Subgraphs(0).Operators(0)
    at = _vector_start(op, 6)
    count = len(INTACT.tensors)
    path = damaged(tmp_path, "tensor", lambda d: struct.pack_into("<i", d, at, count))
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: operator 0 input refers to "
                                          f"tensor {count}")


def test_shape_that_overflows(tmp_path):
    buf = MODEL.read_bytes()
    shape = _vector_start(_tensor(buf, INPUT.index), 4)
    path = damaged(tmp_path, "overflow", lambda d: [struct.pack_into("<i", d, shape + 4 * k, 0x7FFFFFFF)
                                                     for k in range(1, 4)])
    big = 0x7FFFFFFF ** 3
    assert error_of(load_model, path) == (
        f"{path}: not a valid TFLite model: tensor {INPUT.index} ('{INPUT.name}') has shape "
        f"[1, 2147483647, 2147483647, 2147483647], {big} bytes, more than 2147483647")
    path = damaged(tmp_path, "negative", lambda d: struct.pack_into("<i", d, shape + 4, -49))
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: tensor {INPUT.index} "
                                          f"('{INPUT.name}') has shape [1, -49, {', '.join(map(str, INPUT.shape[2:]))}]")


def test_zero_scale(tmp_path):
    buf = MODEL.read_bytes()
    scale = _vector_start(_tensor(buf, INPUT.index).Quantization(), 8)
    path = damaged(tmp_path, "zero_scale", lambda d: struct.pack_into("<f", d, scale, 0.0))
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: tensor {INPUT.index} "
                                          f"('{INPUT.name}') has quantization scale 0.0; scales must be positive")


def test_missing_quantization(tmp_path):
    buf = MODEL.read_bytes()
    from codegen.compiler.ops import SUPPORTED_OPS

    scale = _vector_start(_tensor(buf, INPUT.index).Quantization(), 8)
    path = damaged(tmp_path, "no_quant", lambda d: struct.pack_into("<I", d, scale - 4, 0))
    model = load_model(path)
    first = next(op for op in INTACT.operators if INPUT.index in op.inputs)
    assert error_of(compile_model, model) == (
        f"operator {first.index} ({first.opcode}) is not supported: tensor '{INPUT.name}' has no quantization "
        f"parameters. Supported: {', '.join(SUPPORTED_OPS)}")


def test_zero_points_must_match_scales(tmp_path):
    buf = MODEL.read_bytes()
    zero_points = _vector_start(_tensor(buf, INPUT.index).Quantization(), 10)
    path = damaged(tmp_path, "zero_points", lambda d: struct.pack_into("<I", d, zero_points - 4, 0))
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: tensor {INPUT.index} "
                                          f"('{INPUT.name}') has 1 quantization scales and 0 zero points")


# ----------------------------------------------------------------------- models we cannot compile
# Each stops in compile_model, before any C exists (the build calls it first), with one line naming the
# operator, its index and what is supported; ``inspect`` marks the operator. tests/test_end_to_end.py
# checks the same through ``scons`` for a converter-made EXP model.

def _supported() -> str:
    from codegen.compiler.ops import SUPPORTED_OPS
    return ", ".join(SUPPORTED_OPS)


def _written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    return path


def _unsupported_models(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name: (model, the error compile_model must raise)."""
    from tflite_builder import Op, T, build
    int8 = lambda name, shape=(1, 8): T(name, shape, "INT8", 0.1, 0)  # noqa: E731
    return {
        # What the converter makes without quantization: float activations and weights. FULLY_CONNECTED runs
        # as float32; MAXIMUM has no float32 kernel.
        "float32": (_written(tmp_path, "float32", build(
            [T("x", (1, 8), "FLOAT32"), T("w", (3, 8), "FLOAT32", data=np.ones((3, 8), np.float32)),
             T("h", (1, 3), "FLOAT32"), T("y", (1, 3), "FLOAT32")],
            [Op("FULLY_CONNECTED", [0, 1, -1], [2]), Op("MAXIMUM", [2, 2], [3])], [0], [3])),
            "1 operator is not supported:\n"
            "  operator 1 (MAXIMUM): tensor 'h' is FLOAT32; int8 and int16 are implemented\n"
            "this is a float32 model: its ADD, ARG_MAX, ARG_MIN, AVERAGE_POOL_2D, CAST, CONCATENATION, CONV_2D, "
            "DEPTH_TO_SPACE, DEPTHWISE_CONV_2D, DIV, FULLY_CONNECTED, GATHER, LOGISTIC, MAX_POOL_2D, MUL, PAD, "
            "PADV2, RELU, RELU6, RELU_N1_TO_1, RESHAPE, SOFTMAX, SPACE_TO_DEPTH, STRIDED_SLICE, SUB, TANH, TRANSPOSE, "
            "UNIDIRECTIONAL_SEQUENCE_LSTM layers run as "
            "float32; for the other "
            "operators, and for int8 speed and size, reconvert it with "
            "converter.optimizations = [tf.lite.Optimize.DEFAULT], a representative_dataset, "
            "converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8] and "
            "converter.inference_input_type = converter.inference_output_type = tf.int8\n"
            f"supported operators: {_supported()}"),
        "sin": (_written(tmp_path, "sin", build([int8("x"), int8("y")], [Op("SIN", [0], [1])], [0], [1])),
                f"operator 0 (SIN) is not supported: no kernel for this operator. Supported: {_supported()}"),
        # Two int4 values a byte; the converter has no public option for int4 weights, so it is written here.
        "int4_weights": (_written(tmp_path, "int4", build(
            [int8("x"), T("w", (3, 8), "INT4", 0.05, 0, np.zeros(12, np.uint8)), int8("y", (1, 3))],
            [Op("FULLY_CONNECTED", [0, 1, -1], [2])], [0], [2])),
            "operator 0 (FULLY_CONNECTED) is not supported: weights 'w' are INT4, only int8 weights are "
            f"implemented. Supported: {_supported()}"),
        # A loop, as Keras RNNs without unroll=True convert: the operator is named, not just the subgraphs.
        "while_loop": (_written(tmp_path, "while", build(
            [int8("x"), int8("y")],
            [Op("WHILE", [0], [1], ("WhileOptions", {"CondSubgraphIndex": 1, "BodySubgraphIndex": 2}))],
            [0], [1], subgraphs=3)),
            "operator 0 (WHILE) is not supported: control flow into subgraph(s) 1, 2; only single-subgraph "
            f"models compile (unroll loops, e.g. Keras RNNs with unroll=True). Supported: {_supported()}"),
    }


@pytest.mark.parametrize("name", ["float32", "sin", "int4_weights", "while_loop"])
def test_unsupported_model_is_one_line_naming_the_operator(tmp_path, capsys, name):
    from codegen.__main__ import main
    path, message = _unsupported_models(tmp_path)[name]
    assert message_of(compile_model, load_model(path)) == message
    assert main(["inspect", str(path)]) == 0
    first = message.splitlines()[1].split()[1] if "\n" in message else "0"   # the operator refused first
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(f"  {first:>3} "))
    why = (message.splitlines()[1].split(": ", 1)[1] if "\n" in message
           else message.split(": ", 1)[1].rsplit(". Supported: ", 1)[0])
    assert line.endswith("UNSUPPORTED: " + why)


def test_every_unsupported_operator_is_named_at_once(tmp_path):
    from tflite_builder import Op, T, build
    int8 = lambda name: T(name, (1, 8), "INT8", 0.1, 0)  # noqa: E731
    path = _written(tmp_path, "many", build(
        [int8("x"), int8("a"), int8("b"), int8("c"), int8("d")],
        [Op("SIN", [0], [1]), Op("RELU", [1], [2]), Op("COS", [2], [3]), Op("SIN", [3], [4])], [0], [4]))
    assert message_of(compile_model, load_model(path)) == (
        "3 operators are not supported:\n"
        "  operators 0, 3 (SIN): no kernel for this operator\n"
        "  operator 2 (COS): no kernel for this operator\n"
        f"supported operators: {_supported()}")
    proc = subprocess.run([sys.executable, "-m", "codegen", "model2c", str(path), "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True)
    assert "Traceback" not in proc.stderr


def test_uint8_and_dynamic_range_models_are_told_to_reconvert(tmp_path):
    from tflite_builder import Op, T, build
    uint8 = build([T("x", (1, 8), "UINT8", 0.1, 128), T("w", (3, 8), "UINT8", 0.05, 128, np.zeros((3, 8), np.uint8)),
                   T("y", (1, 3), "UINT8", 0.2, 128)], [Op("FULLY_CONNECTED", [0, 1, -1], [2])], [0], [2])
    dynamic = build([T("x", (1, 8), "FLOAT32"), T("w", (3, 8), "INT8", 0.05, 0, np.zeros((3, 8), np.int8)),
                     T("y", (1, 3), "FLOAT32")], [Op("FULLY_CONNECTED", [0, 1, -1], [2])], [0], [2])
    for name, data, advice in (
            ("uint8", uint8, "this model is uint8-quantized (TFLite's legacy scheme); tinyforge runs int8: "
                             "reconvert it from the float model as int8 with converter.optimizations"),
            ("dynamic", dynamic, "this is a dynamic-range model (int8 weights, float activations); tinyforge "
                                 "needs full-integer quantization: reconvert it with converter.optimizations")):
        with pytest.raises(TinyforgeError) as info:
            compile_model(load_model(_written(tmp_path, name, data)))
        assert advice in str(info.value), str(info.value)


def test_two_subgraphs_without_control_flow(tmp_path):
    """Every operator of subgraph 0 is supported; the other subgraph alone is the problem."""
    from tflite_builder import Op, T, build
    path = _written(tmp_path, "two", build([T("x", (1, 8), "INT8", 0.1, 0), T("y", (1, 8), "INT8", 0.1, 0)],
                                           [Op("RELU", [0], [1])], [0], [1], subgraphs=2))
    assert error_of(compile_model, load_model(path)) == (
        f"{path}: 2 subgraphs; only single-subgraph models are supported (control flow such as WHILE/IF is not)")
    proc = subprocess.run([sys.executable, "-m", "codegen", "inspect", str(path)], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"error: {path}: 2 subgraphs; only single-subgraph models are "
                                                "supported (control flow such as WHILE/IF is not)"]


# ------------------------------------------------------------------------------------------ audio

def _wav(path: Path, rate=16000, channels=1, width=2, frames=160) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\0" * (frames * channels * width))
    return path


def test_wav_wrong_rate(tmp_path):
    path = _wav(tmp_path / "a.wav", rate=44100)
    assert error_of(read_wav, path) == f"{path}: sample rate 44100 Hz; expected 16 kHz mono 16-bit PCM {SOX}"


def test_wav_stereo(tmp_path):
    path = _wav(tmp_path / "a.wav", channels=2)
    assert error_of(read_wav, path) == f"{path}: 2 channels; expected 16 kHz mono 16-bit PCM {SOX}"


def test_wav_8_bit(tmp_path):
    path = _wav(tmp_path / "a.wav", width=1)
    assert error_of(read_wav, path) == f"{path}: 8-bit samples; expected 16 kHz mono 16-bit PCM {SOX}"


def test_wav_everything_wrong_at_once(tmp_path):
    path = _wav(tmp_path / "a.wav", rate=8000, channels=2, width=1)
    assert error_of(read_wav, path) == (f"{path}: sample rate 8000 Hz, 2 channels, 8-bit samples; "
                                        f"expected 16 kHz mono 16-bit PCM {SOX}")


def test_wav_float(tmp_path):
    data = np.zeros(160, np.float32).tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)   # WAVE_FORMAT_IEEE_FLOAT
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path = tmp_path / "float.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert error_of(read_wav, path) == f"{path}: WAV holds 32-bit float (IEEE) samples; expected 16 kHz mono 16-bit PCM"


def test_wav_empty_and_truncated(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert error_of(read_wav, empty) == f"{empty}: file is empty, expected 16 kHz mono 16-bit PCM WAV"
    full = _wav(tmp_path / "full.wav").read_bytes()
    header = tmp_path / "header.wav"
    header.write_bytes(full[:30])
    assert error_of(read_wav, header) == f"{header}: WAV header is truncated; expected 16 kHz mono 16-bit PCM"
    short = tmp_path / "short.wav"
    short.write_bytes(full[:44 + 100])
    assert error_of(read_wav, short) == f"{short}: WAV is truncated: header promises 160 samples, file holds 50"
    silent = _wav(tmp_path / "silent.wav", frames=0)
    assert error_of(read_wav, silent) == f"{silent}: WAV has no samples; expected 16 kHz mono 16-bit PCM audio"
    text = tmp_path / "text.wav"
    text.write_text("hello, this is a text file and not audio\n")
    assert error_of(read_wav, text) == (f"{text}: not a WAV file (file does not start with RIFF id); "
                                        "expected 16 kHz mono 16-bit PCM")


# ------------------------------------------------------------------------------------------- .npy

def test_npy_wrong_dtype_shape_and_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = load_model(MODEL)
    name, shape = INPUT.name, INPUT.shape
    np.save("f32.npy", np.zeros(shape, np.float32))
    assert error_of(resolve_cases, model, ["f32.npy"]) == (f"f32.npy: dtype float32, expected int8 "
                                                          f"(the model's input '{name}')")
    np.save("shape.npy", np.zeros((3, 4), np.int8))
    assert error_of(resolve_cases, model, ["shape.npy"]) == (f"shape.npy: 12 values ([3, 4]), the model's input "
                                                            f"{list(shape)} needs {INPUT.size}")
    Path("junk.npy").write_bytes(b"not numpy")
    assert error_of(resolve_cases, model, ["junk.npy"]) == ("junk.npy: not a .npy file (no NumPy header; "
                                                           "save the tensor with numpy.save)")
    assert error_of(resolve_cases, model, ["absent.npy"]) == "absent.npy: no such file"
    # Documented conversion: a flat tensor of the right size is reshaped to the model's input.
    np.save("flat.npy", np.arange(INPUT.size).astype(np.int8))
    assert resolve_cases(model, ["flat.npy"])[0].tensors[0].shape == shape


# ----------------------------------------------------------------------------------------- boards

BLUEPILL = (REPO / "boards" / "bluepill.toml").read_text()


def _board(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "myboard.toml"
    path.write_text(text)
    return path


def test_unknown_board_lists_known_ones():
    from codegen.target.boards import known_boards
    assert error_of(load_board, "nosuchboard") == (f"unknown board 'nosuchboard': known boards are "
                                                   f"{', '.join(known_boards())}")


def test_board_missing_field(tmp_path):
    path = _board(tmp_path, BLUEPILL.replace("baud = 115200\n", ""))
    assert error_of(load_board, path) == f"{path}: missing field 'baud' in [console]"
    path = _board(tmp_path, BLUEPILL.replace("[stack]\nreserve = 2048\n", ""))
    assert error_of(load_board, path) == f"{path}: missing section [stack]"


def test_board_field_of_wrong_type(tmp_path):
    path = _board(tmp_path, BLUEPILL.replace("length = 0x5000", 'length = "20K"'))
    assert error_of(load_board, path) == f"{path}: field 'length' in [memory.ram] must be an integer, got '20K'"
    path = _board(tmp_path, BLUEPILL.replace('core = "cortex-m3"', "core = 3"))
    assert error_of(load_board, path) == f"{path}: field 'core' in [cpu] must be a string, got 3"
    path = _board(tmp_path, BLUEPILL.replace('name = "APB1/APB2/AHB"\n', ""))
    assert error_of(load_board, path) == f"{path}: missing field 'name' in [[peripherals]] entry 1"


def test_board_overlapping_regions(tmp_path):
    path = _board(tmp_path, BLUEPILL.replace("origin = 0x20000000", "origin = 0x0800C000"))
    assert error_of(load_board, path) == (f"{path}: memory regions 'flash' and 'ram' overlap "
                                          "(0x08000000-0x08010000 and 0x0800c000-0x08011000)")


def test_board_not_toml(tmp_path):
    path = _board(tmp_path, "[board\nname = 1")
    assert error_of(load_board, path).startswith(f"{path}: cannot read board file: ")


# ------------------------------------------------------------------------------------ environment

def test_missing_python_package_names_bootstrap():
    code = ("import sys; sys.modules['jinja2'] = None; sys.modules['unicorn'] = None\n"
            "from codegen.target.host_tools import require_packages\n"
            "from codegen.errors import TinyforgeError\n"
            "try:\n    require_packages()\nexcept TinyforgeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO).stdout.strip()
    assert out == ("missing Python packages Jinja2, unicorn: run scripts/bootstrap (it installs "
                   "requirements.txt into .venv) and use .venv/bin/scons")
    require_packages()   # and this environment has them all


def test_missing_python_package_through_the_cli():
    code = "import sys; sys.modules['elftools'] = None; from codegen.__main__ import main; sys.exit(main(['inspect', 'x']))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2
    assert proc.stderr == ("error: missing Python package pyelftools: run scripts/bootstrap (it installs "
                           "requirements.txt into .venv) and use .venv/bin/scons\n")


def test_build_dir_not_writable(tmp_path):
    blocker = tmp_path / "build"
    blocker.write_text("a file where the build directory should be")
    target = blocker / "bluepill" / "model"
    assert error_of(require_writable_dir, target) == (
        f"cannot write to the build directory {target}: Not a directory; make it writable (or remove it) "
        "and build again")
    require_writable_dir(tmp_path / "fine")
    assert (tmp_path / "fine").is_dir() and not list((tmp_path / "fine").iterdir())


def test_missing_cross_compiler_through_scons(tmp_path):
    """scons with a PATH that has no arm-none-eabi-gcc stops before building anything (-n: nothing written)."""
    scons = Path(sys.executable).parent / "scons"
    if not scons.exists():
        pytest.skip("scons not installed")
    proc = subprocess.run([str(scons), "-Q", "-n", "board=bluepill", "vectors=1"], cwd=REPO, capture_output=True,
                          text=True, env={"PATH": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: arm-none-eabi-gcc not found: run scripts/bootstrap "
        "(Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")


def test_options_of_the_wrong_type(tmp_path):
    from tflite.BuiltinOptions import BuiltinOptions

    buf = MODEL.read_bytes()
    conv = next(op for op in INTACT.operators if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"))
    table = tflite.Model.GetRootAsModel(buf, 0).Subgraphs(0).Operators(conv.index)
    at = _field_pos(table, 10)     # Operator.builtin_options_type; AbsOptions has no fields to misread
    path = damaged(tmp_path, "options", lambda d: d.__setitem__(at, BuiltinOptions.AbsOptions))
    wanted = "Conv2DOptions" if conv.opcode == "CONV_2D" else "DepthwiseConv2DOptions"
    assert error_of(load_model, path) == (f"{path}: not a valid TFLite model: operator {conv.index} "
                                          f"({conv.opcode}) carries AbsOptions, its kernel reads {wanted}")
