"""The project's own default model classifies its own demo clips.

Both the model and the clips are made by the commands in models/README.md;
this test pins the committed files to each other.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.features import compute_features, infer_recipe
from codegen.wav import read_wav

MODELS = Path(__file__).resolve().parent.parent / "models"
MODEL = MODELS / "kws_yes_no.tflite"
LABELS = MODELS / "kws_yes_no.labels"
DEMO = {"yes.wav": "yes", "no.wav": "no", "house.wav": "unknown", "silence.wav": "silence"}
ALLOWED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "RESHAPE"}


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def interpreter(tf):
    it = tf.lite.Interpreter(model_path=str(MODEL),
                             experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    return it


def test_labels_file():
    lines = LABELS.read_text().splitlines()
    assert lines == ["silence", "unknown", "yes", "no"]


def test_model_interface(interpreter):
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    assert inp["dtype"] == np.int8 and list(inp["shape"]) == [1, 49, 40, 1]
    # Features go into the input tensor unchanged.
    assert inp["quantization"] == (1.0 / 128, 0)
    assert infer_recipe(tuple(inp["shape"])).name == "micro_speech"
    assert out["dtype"] == np.int8 and list(out["shape"]) == [1, 4]
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert ops <= ALLOWED_OPS
    assert MODEL.stat().st_size < 30 * 1024


@pytest.mark.parametrize("clip, label", sorted(DEMO.items()))
def test_demo_clip_classified(interpreter, clip, label):
    labels = LABELS.read_text().splitlines()
    recipe = infer_recipe(tuple(interpreter.get_input_details()[0]["shape"]))
    features = compute_features(read_wav(MODELS / "demo" / clip), recipe)
    inp = interpreter.get_input_details()[0]
    interpreter.set_tensor(inp["index"], features.reshape(inp["shape"]))
    interpreter.invoke()
    scores = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]
    assert labels[int(np.argmax(scores))] == label, f"{clip}: scores {scores.tolist()} for {labels}"
