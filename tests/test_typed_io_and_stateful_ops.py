"""QUANTIZE/DEQUANTIZE (float32 and int16 model inputs and outputs, requantization), FULLY_CONNECTED,
LOGISTIC and TANH with int16 activations, UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF: every output
byte-identical to TFLite's BUILTIN_REF, on the host build (codegen.verify.hostrun) for the many cases and in
the emulator on Cortex-M3 (bluepill) for one model of each family.

The elementwise int8 activations and the Keras-made LSTMs have generated cases in
tests/conformance/cases_activations_recurrent.py. Operators the converter does not emit from Keras (SVDF,
int8->int8 and int16 QUANTIZE) are written directly with tests/tflite_builder.py.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.errors import TinyforgeError
from codegen.emit.generate import generate_model_sources
from codegen.verify.hostrun import INCLUDE_DIR, KERNEL_DIR, run_on_host
from codegen.verify.cases import random_cases
from codegen.pipeline import compile_model
from codegen.verify.reference import reference_outputs
from codegen.model.tflite_model import load_model
from tflite_builder import Op, T, build
from codegen.paths import build_root

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCONS = Path(sys.executable).with_name("scons")
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc not installed")
needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")


def convert(model, path: Path, input_shape, io_type=None, int16_activations=False, value_range=3.0) -> Path:
    """Full-integer conversion with a seeded representative set; ``io_type`` None keeps float32 I/O."""
    import tensorflow as tf
    rng = np.random.default_rng(0)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.uniform(-value_range, value_range, (1, *input_shape))
                                                 .astype(np.float32)] for _ in range(32))
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if int16_activations
        else tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io_type is not None:
        converter.inference_input_type = converter.inference_output_type = io_type
    path.write_bytes(converter.convert())
    return path


def assert_host_bit_exact(path: Path, work: Path, cases=None, count: int = 6) -> list:
    model = load_model(path)
    cases = cases if cases is not None else [c.tensors for c in random_cases(model, count)]
    ours = run_on_host(path, cases, work)
    theirs = reference_outputs(path, cases)
    for number, (got, want) in enumerate(zip(ours, theirs)):
        for k, (g, w) in enumerate(zip(got, want)):
            assert g.dtype == w.dtype
            assert g.tobytes() == w.tobytes(), f"case {number}, output {k}: {g.ravel()[:8]} != {w.ravel()[:8]}"
    return theirs


# ---- float32 and int16 model I/O, 16x8 FULLY_CONNECTED ----------------------------------------------

IO_VARIANTS = {
    # name: (inference input/output type, 16x8 quantization)
    "float32_io": (None, False),
    "int16_io_16x8": ("int16", True),
    "float32_io_16x8": (None, True),
}


@needs_gcc
@pytest.mark.parametrize("variant", sorted(IO_VARIANTS))
@pytest.mark.parametrize("units, activation", [(10, "relu"), (7, None), (33, "relu6")])
def test_typed_io_and_16x8_fully_connected(tmp_path, variant, units, activation):
    import tensorflow as tf
    import tf_keras
    io_type, int16 = IO_VARIANTS[variant]
    tf_keras.utils.set_random_seed(units)
    model = tf_keras.Sequential([tf_keras.Input((24,)), tf_keras.layers.Dense(units, activation=activation),
                                 tf_keras.layers.Dense(5)])
    path = convert(model, tmp_path / "m.tflite", (24,), getattr(tf, io_type) if io_type else None, int16)
    compiled = load_model(path)
    opcodes = [op.opcode for op in compiled.operators]
    if io_type is None:
        assert opcodes[0] == "QUANTIZE" and opcodes[-1] == "DEQUANTIZE"
    io = {compiled.tensors[t].type for t in compiled.inputs + compiled.outputs}
    assert io == ({"INT16"} if io_type == "int16" else {"FLOAT32"})
    assert_host_bit_exact(path, tmp_path / "host")


def quantize_model(in_type, in_scale, in_zero, out_type, out_scale, out_zero, size=300) -> bytes:
    return build([T("x", (1, size), in_type, in_scale, in_zero), T("y", (1, size), out_type, out_scale, out_zero)],
                 [Op("QUANTIZE", [0], [1])], [0], [1])


@needs_gcc
@pytest.mark.parametrize("in_type, in_q, out_type, out_q", [
    ("INT8", (0.05, 3), "INT8", (0.031, -7)),
    ("INT8", (0.02, -128), "INT8", (0.5, 100)),
    ("INT8", (0.3, 0), "INT8", (0.001, 0)),       # saturates most values
    ("INT16", (0.0004, 0), "INT8", (0.02, 5)),
    ("INT16", (0.0004, 0), "INT16", (0.00011, 0)),
    ("INT16", (0.00011, 0), "INT16", (0.0004, 0)),
])
def test_requantize_bit_exact(tmp_path, in_type, in_q, out_type, out_q):
    path = tmp_path / "requantize.tflite"
    path.write_bytes(quantize_model(in_type, *in_q, out_type, *out_q))
    assert_host_bit_exact(path, tmp_path / "host")


def test_quantize_int8_to_int16_is_refused_as_tflite_does(tmp_path):
    path = tmp_path / "requantize.tflite"
    path.write_bytes(quantize_model("INT8", 0.05, 3, "INT16", 0.0003, 0))
    with pytest.raises(TinyforgeError, match=r"^operator 0 \(QUANTIZE\) is not supported: int8 input to int16 "
                                              r"output; TFLite requantizes int8 only to int8\. Supported: "):
        compile_model(load_model(path))


# ---- LOGISTIC and TANH, int16 -------------------------------------------------------------------------

def sigmoid_s16_model(opcode: str, input_scale: float, output_scale: float = 1 / 32768) -> bytes:
    """Every int16 value once: the (1, 65536) input is fed np.arange(-32768, 32768)."""
    return build([T("x", (1, 65536), "INT16", input_scale, 0), T("y", (1, 65536), "INT16", output_scale, 0)],
                 [Op(opcode, [0], [1])], [0], [1])


ALL_INT16 = [np.arange(-32768, 32768, dtype=np.int16).reshape(1, -1)]


def test_sigmoid_table_is_the_reference_interpreters(tmp_path):
    """Read TFLite's table back: at input scale 16384.5 / (3 * 4096 * 2**13) TanhPrepare gives multiplier
    16384 and shift 13, so the rescaled input is exactly 2x and TANH(128 k) = table[k] - 32768. The last
    entry only enters interpolations: TANH(32767) = table[254] + (254 * (table[255] - table[254]) + 128) // 256
    - 32768."""
    from codegen.compiler.ops._sigmoid_s16 import SIGMOID_TABLE_UINT16
    from codegen.compiler.quant import sigmoid_s16_multiplier
    scale = 16384.5 / (3 * 4096 * 2 ** 13)
    assert sigmoid_s16_multiplier(scale, 1) == (16384, 13)
    path = tmp_path / "tanh.tflite"
    path.write_bytes(sigmoid_s16_model("TANH", scale))
    out = reference_outputs(path, [ALL_INT16])[0][0].ravel().astype(int) + 32768
    table = [int(out[32768 + 128 * k]) for k in range(255)]
    step = int(out[32768 + 32767]) - table[254]
    assert step in (0, 1)   # the table's last steps are 0 or 1, where the formula above inverts exactly
    assert SIGMOID_TABLE_UINT16 == table + [table[254] + step]


# Input scales: the power-of-two path of both operators (2**-12, and 8 / 32767, which CheckedLog2 calls
# 2**-12), TANH's second power of two (2**-11, LOGISTIC's general path), and general multipliers.
SIGMOID_S16_SCALES = [2 ** -12, 8 / 32767, 2 ** -11, 2 ** -10, 1.5e-5, 9.15e-5, 0.003, 1.0]


@needs_gcc
@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
@pytest.mark.parametrize("scale", SIGMOID_S16_SCALES)
def test_int16_logistic_and_tanh_bit_exact_on_every_input(tmp_path, opcode, scale):
    path = tmp_path / "m.tflite"
    path.write_bytes(sigmoid_s16_model(opcode, scale))
    assert_host_bit_exact(path, tmp_path / "host", cases=[ALL_INT16])


@pytest.mark.parametrize("opcode, input_scale, output_scale, why", [
    ("LOGISTIC", 1e-4, 1 / 16384, r"output scale 6\.103515625e-05; TFLite requires 1/32768 for int16 LOGISTIC"),
    ("TANH", 1e-4, 1 / 30000, r"output scale 3\.3333333\d*e-05; TFLite requires 1/32768 for int16 TANH"),
    ("TANH", 6.0, 1 / 32768, r"input scale 6\.0 is above 5\.33, where TFLite's int16 TANH overflows int32"),
])
def test_int16_logistic_and_tanh_refusals(tmp_path, opcode, input_scale, output_scale, why):
    path = tmp_path / "m.tflite"
    path.write_bytes(sigmoid_s16_model(opcode, input_scale, output_scale))
    with pytest.raises(TinyforgeError, match=rf"^operator 0 \({opcode}\) is not supported: {why}\. Supported: "):
        compile_model(load_model(path))


# ---- SVDF ---------------------------------------------------------------------------------------------

def svdf_model(batch, n_input, units, rank, memory, seed, bias=True, activation=1) -> bytes:
    """Weights and scales chosen so outputs spread over the int8 range instead of saturating."""
    rng = np.random.default_rng(seed)
    filters = units * rank
    tensors = [
        T("input", (batch, n_input), "INT8", 0.05, int(rng.integers(-20, 20))),
        T("weights_feature", (filters, n_input), "INT8", 0.01, 0,
          rng.integers(-127, 128, (filters, n_input)).astype(np.int8)),
        T("weights_time", (filters, memory), "INT16", 0.0005, 0,
          rng.integers(-20000, 20000, (filters, memory)).astype(np.int16)),
        T("bias", (units,), "INT32", 1e-5, 0, rng.integers(-20000, 20000, (units,)).astype(np.int32)),
        T("state", (batch, memory * filters), "INT16", 0.01 * np.sqrt(n_input), 0, None, True),
        T("output", (batch, units), "INT8", 0.25 * np.sqrt(n_input * rank), int(rng.integers(-10, 10)))]
    options = ("SVDFOptions", {"Rank": rank, "FusedActivationFunction": activation})
    return build(tensors, [Op("SVDF", [0, 1, 2, 3 if bias else -1, 4], [5], options)], [0], [5])


SVDF_SHAPES = [  # batch, input, units, rank, memory
    (1, 8, 4, 1, 5), (2, 12, 3, 2, 10), (1, 30, 16, 1, 8), (1, 5, 1, 3, 2), (3, 7, 6, 1, 1), (1, 40, 32, 2, 12)]


@needs_gcc
@pytest.mark.parametrize("shape", SVDF_SHAPES, ids=lambda s: "b{}-in{}-u{}-r{}-m{}".format(*s))
@pytest.mark.parametrize("bias", [True, False])
def test_svdf_bit_exact(tmp_path, shape, bias):
    path = tmp_path / "svdf.tflite"
    path.write_bytes(svdf_model(*shape, seed=sum(shape), bias=bias))
    want = assert_host_bit_exact(path, tmp_path / "host")
    values = np.concatenate([w[0].ravel() for w in want])
    assert np.mean((values == -128) | (values == 127)) < 0.5, "most outputs should be inside the int8 range, not clamped"


def test_svdf_without_relu_is_refused(tmp_path):
    path = tmp_path / "svdf.tflite"
    path.write_bytes(svdf_model(1, 8, 4, 1, 5, seed=0, activation=0))
    with pytest.raises(TinyforgeError, match=r"^operator 0 \(SVDF\) is not supported: fused activation NONE; "
                                              r"TFLite's integer SVDF accepts only RELU\. Supported: "):
        compile_model(load_model(path))


HOST_SEQUENCE_DRIVER = r"""
#include <stdio.h>
#include "model.h"
/* Invokes once per input block, resetting only where the host says so: state must carry over. */
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    int reset_every = atoi(argv[3]), step = 0;
    model_reset();
    while (fread(model_input(0), 1, model_input_bytes(0), in) == model_input_bytes(0)) {
        if (reset_every > 0 && step > 0 && step % reset_every == 0) model_reset();
        model_invoke();
        fwrite(model_output(0), 1, model_output_bytes(0), out);
        ++step;
    }
    fclose(out);
    return 0;
}
"""


@needs_gcc
def test_svdf_state_persists_between_invokes_and_model_reset_clears_it(tmp_path):
    """Like TFLM, the state carries a stream from one invoke to the next; model_reset() starts over."""
    import tensorflow as tf
    path = tmp_path / "svdf.tflite"
    path.write_bytes(svdf_model(1, 8, 4, 2, 6, seed=3))
    gen = tmp_path / "gen"
    gen.mkdir()
    generate_model_sources(compile_model(load_model(path)), gen, [path])
    driver = gen / "sequence_main.c"
    driver.write_text("#include <stdlib.h>\n" + HOST_SEQUENCE_DRIVER)
    exe = tmp_path / "sequence"
    subprocess.run(["gcc", "-std=c99", "-O1", f"-I{gen}", f"-I{INCLUDE_DIR}", str(gen / "model.c"), str(driver),
                    *map(str, sorted(KERNEL_DIR.glob("*.c"))), "-o", str(exe), "-lm"], check=True)
    rng = np.random.default_rng(7)
    frames = rng.integers(-128, 128, (20, 1, 8)).astype(np.int8)
    (tmp_path / "in.bin").write_bytes(frames.tobytes())
    interpreter = tf.lite.Interpreter(model_path=str(path),
                                      experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    for reset_every in (0, 7):
        subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin"), str(reset_every)], check=True)
        ours = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.int8).reshape(20, -1)
        interpreter.reset_all_variables()
        theirs = []
        for step, frame in enumerate(frames):
            if reset_every and step and step % reset_every == 0:
                interpreter.reset_all_variables()
            interpreter.set_tensor(inp, frame)
            interpreter.invoke()
            theirs.append(interpreter.get_tensor(out).ravel().copy())
        assert ours.tobytes() == np.array(theirs).tobytes(), f"reset every {reset_every}"
    # The state matters: the same frame gives different outputs at different points of the stream.
    assert len({ours[i].tobytes() for i in range(20)}) > 10


# ---- LSTM -------------------------------------------------------------------------------------------

@needs_gcc
@pytest.mark.skipif(not (SHARED / "models" / "micro_speech_lstm.tflite").is_file(), reason="../shared absent")
def test_micro_speech_lstm_bit_exact_on_unsaturated_inputs(tmp_path):
    """Uniform random bytes drive this model's softmax to one class; quiet spectrogram-like inputs (the
    input zero point is -128) give more than one answer."""
    path = SHARED / "models" / "micro_speech_lstm.tflite"
    rng = np.random.default_rng(5)
    cases = [[(rng.integers(-128, -128 + level, (1, 49, 257))).astype(np.int8)] for level in (4, 8, 16, 24, 40)]
    want = assert_host_bit_exact(path, tmp_path / "host", cases)
    assert len({w[0].tobytes() for w in want}) > 1, "the cases should not all give one answer"


# ---- the device path: Cortex-M3 in the emulator ------------------------------------------------------

def scons_test(board: str, model: Path, vectors: int = 3) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCONS), "-Q", f"board={board}", "test", f"model={model}", f"vectors={vectors}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def device_models(tmp_path_factory) -> dict[str, Path]:
    """One small model per operator family, to build for a real board."""
    import tensorflow as tf
    import tf_keras
    out = tmp_path_factory.mktemp("device_models")
    tf_keras.utils.set_random_seed(11)
    layers = tf_keras.layers
    recurrent = tf_keras.Sequential([
        tf_keras.Input((6, 5), batch_size=1), layers.LSTM(8, return_sequences=True), layers.Flatten(), layers.Dense(12),
        layers.LeakyReLU(0.2), layers.ReLU(6.0), layers.Dense(10),
        layers.Lambda(lambda t: t * tf.nn.relu6(t + 3.0) * (1.0 / 6.0)),   # fused into HARD_SWISH
        layers.Dense(8), layers.Activation("sigmoid"), layers.Dense(4), layers.Activation("tanh")])
    models = {"recurrent_activations_float_io": convert(recurrent, out / "recurrent_activations_float_io.tflite",
                                                        (6, 5))}
    assert {op.opcode for op in load_model(models["recurrent_activations_float_io"]).operators} >= {
        "QUANTIZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "FULLY_CONNECTED", "LEAKY_RELU", "RELU6", "HARD_SWISH",
        "LOGISTIC", "TANH", "DEQUANTIZE"}
    dense16 = tf_keras.Sequential([tf_keras.Input((20,)), layers.Dense(9, activation="relu"), layers.Dense(3)])
    models["fully_connected_16x8_float_io"] = convert(dense16, out / "fully_connected_16x8_float_io.tflite", (20,),
                                                      None, True)
    svdf = out / "svdf_requantize.tflite"
    rng = np.random.default_rng(2)
    svdf.write_bytes(build(
        [T("x", (1, 10), "INT8", 0.04, 2), T("x_requantized", (1, 10), "INT8", 0.05, -3),
         T("weights_feature", (8, 10), "INT8", 0.01, 0, rng.integers(-127, 128, (8, 10)).astype(np.int8)),
         T("weights_time", (8, 4), "INT16", 0.0005, 0, rng.integers(-20000, 20000, (8, 4)).astype(np.int16)),
         T("bias", (4,), "INT32", 1e-5, 0, rng.integers(-9000, 9000, (4,)).astype(np.int32)),
         T("state", (1, 32), "INT16", 0.03, 0, None, True), T("y", (1, 4), "INT8", 0.03, 1)],
        [Op("QUANTIZE", [0], [1]),
         Op("SVDF", [1, 2, 3, 4, 5], [6], ("SVDFOptions", {"Rank": 2, "FusedActivationFunction": 1}))], [0], [6]))
    models["svdf_requantize"] = svdf
    return models


@needs_arm
@pytest.mark.parametrize("family", ["recurrent_activations_float_io", "fully_connected_16x8_float_io",
                                    "svdf_requantize"])
def test_family_bit_exact_on_cortex_m3(device_models, family):
    model = device_models[family]
    run = scons_test("bluepill", model)
    assert run.returncode == 0, run.stdout + run.stderr
    assert [line for line in run.stdout.splitlines() if line.endswith(" failed")][-1] == "3 passed, 0 failed"
    results = json.loads((build_root() / "bluepill" / model.stem / "results.json").read_text())
    assert all(case["output"] == case["reference"] for case in results["cases"])
    header = (build_root() / "bluepill" / model.stem / "gen" / "model.h").read_text()
    assert "void model_reset(void);" in header
    if "float_io" in family:
        assert "#define MODEL_INPUT0_TYPE float" in header and "#define MODEL_OUTPUT0_TYPE float" in header
