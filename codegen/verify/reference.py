"""The oracle: TensorFlow Lite's reference kernels (``OpResolverType.BUILTIN_REF``)."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np



def reference_outputs(model_path: str | Path, cases: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Run each case (one array per model input) through TFLite's reference kernels."""
    import tensorflow as tf

    # tf.lite.Interpreter warns that it moves to LiteRT; it is still the reference we are told to match.
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
    interpreter = tf.lite.Interpreter(
        model_path=str(model_path),
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inputs = interpreter.get_input_details()
    outputs = interpreter.get_output_details()
    results = []
    for case in cases:
        # Stateful models (LSTM/SVDF variables) must start every case from the reset state,
        # as the firmware does.
        interpreter.reset_all_variables()
        for detail, value in zip(inputs, case):
            interpreter.set_tensor(detail["index"], np.asarray(value, detail["dtype"]).reshape(detail["shape"]))
        interpreter.invoke()
        results.append([interpreter.get_tensor(d["index"]).copy() for d in outputs])
    return results
