"""The flatbuffer reader: operators, options, tensors and quantization as TFLite reports them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.errors import TinyforgeError
from codegen.model.tflite_model import load_model

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODELS = ROOT.parent / "shared" / "models"
MICRO_SPEECH = SHARED_MODELS / "micro_speech_quantized.tflite"
needs_shared = pytest.mark.skipif(not MICRO_SPEECH.is_file(), reason="../shared models not present")


def _interpreter(path: Path):
    import tensorflow as tf
    # BUILTIN_REF: no delegate may rewrite the graph we compare against.
    interpreter = tf.lite.Interpreter(
        model_path=str(path), experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    return interpreter


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=needs_shared, id=p.stem) for p in sorted(SHARED_MODELS.glob("*.tflite"))
] + [pytest.param(ROOT / "models" / "kws_yes_no.tflite", id="default")])
def test_reader_agrees_with_tflite_interpreter(path):
    model = load_model(path)
    interpreter = _interpreter(path)
    ops = interpreter._get_ops_details()
    assert [op.opcode for op in model.operators] == [o["op_name"] for o in ops]
    for op, details in zip(model.operators, ops):
        assert op.inputs == [int(i) for i in details["inputs"]]
        assert op.outputs == [int(i) for i in details["outputs"]]
    assert model.inputs == [d["index"] for d in interpreter.get_input_details()]
    assert model.outputs == [d["index"] for d in interpreter.get_output_details()]
    file_tensors = [d for d in interpreter.get_tensor_details() if d["index"] < len(model.tensors)]
    assert len(file_tensors) == len(model.tensors)  # the interpreter appends its own scratch tensors
    for details in file_tensors:
        tensor = model.tensors[details["index"]]
        assert tensor.name == details["name"]
        assert list(tensor.shape) == details["shape"].tolist()
        assert np.dtype(tensor.dtype) == np.dtype(details["dtype"])
        qp = details["quantization_parameters"]
        if len(qp["scales"]):
            np.testing.assert_array_equal(tensor.quantization.scale, qp["scales"].astype(np.float32))
            np.testing.assert_array_equal(tensor.quantization.zero_point, qp["zero_points"])
        if tensor.is_constant:
            np.testing.assert_array_equal(tensor.data, interpreter.get_tensor(details["index"]))


@needs_shared
def test_options_are_read_by_schema_name():
    model = load_model(MICRO_SPEECH)
    dw = model.operators[1]
    assert dw.opcode == "DEPTHWISE_CONV_2D"
    assert dw.options["padding"] == "SAME"
    assert dw.options["fused_activation_function"] == "RELU"
    assert (dw.options["stride_h"], dw.options["stride_w"], dw.options["depth_multiplier"]) == (2, 2, 8)
    assert model.operators[0].options["new_shape"] == [-1, 49, 40, 1]


def test_not_a_model(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"this is not a flatbuffer at all")
    with pytest.raises(TinyforgeError, match=r"bad.tflite: not a valid TFLite model: missing the 'TFL3' file identifier"):
        load_model(bad)


@needs_shared
def test_truncated_model(tmp_path):
    bad = tmp_path / "truncated.tflite"
    bad.write_bytes(MICRO_SPEECH.read_bytes()[:4000])
    with pytest.raises(TinyforgeError, match=r"truncated.tflite: not a valid TFLite model"):
        load_model(bad)


def test_missing_model(tmp_path):
    with pytest.raises(TinyforgeError, match=r"missing.tflite: cannot read model: No such file or directory"):
        load_model(tmp_path / "missing.tflite")


def test_operator_code_is_read_as_tflite_reads_it(tmp_path):
    """A file whose deprecated_builtin_code disagrees with builtin_code runs what TFLite's GetBuiltinCode picks."""
    import tflite
    source = ROOT / "models" / "kws_yes_no.tflite"    # MLIR-converted: both code fields present
    buf = bytearray(source.read_bytes())
    model = tflite.Model.GetRootAsModel(buf, 0)
    softmax = next(i for i in range(model.OperatorCodesLength()) if model.OperatorCodes(i).DeprecatedBuiltinCode() == 25)
    oc = model.OperatorCodes(softmax)
    assert oc._tab.Offset(10), "the model should carry builtin_code for this test to mean anything"
    buf[oc._tab.Pos + oc._tab.Offset(4)] = 14     # LOGISTIC in deprecated_builtin_code only
    patched = tmp_path / "patched.tflite"
    patched.write_bytes(bytes(buf))
    ops = [o["op_name"] for o in _interpreter(patched)._get_ops_details()]
    assert ops[-1] == "SOFTMAX"
    assert [op.opcode for op in load_model(patched).operators] == ops
