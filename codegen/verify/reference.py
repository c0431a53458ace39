"""The oracle: TensorFlow Lite's reference kernels (``OpResolverType.BUILTIN_REF``)."""
from __future__ import annotations

import hashlib
import struct
import tempfile
import warnings
from pathlib import Path

import numpy as np

# QuantizationParameters.quantized_dimension is field 6 of its table (the details union takes two): vtable slot
# offset 4 + 2 * 6.
_QUANTIZED_DIMENSION_SLOT = 16


def oracle_copy(model) -> Path:
    """The file TFLite's interpreter can load for ``model``: the model itself, or, when the model carries bias
    axes TFLite refuses and no kernel reads (``Model.oracle_fixes``), a copy with those axes set to 0. The
    numbers TFLite computes are the same: its kernels never read a bias's quantization either."""
    if not model.oracle_fixes:
        return Path(model.path)
    import tflite
    buf = bytearray(Path(model.path).read_bytes())
    graph = tflite.Model.GetRootAsModel(bytes(buf), 0).Subgraphs(0)
    for index, _axis in model.oracle_fixes:
        q = graph.Tensors(index).Quantization()
        slot = q._tab.Offset(_QUANTIZED_DIMENSION_SLOT)
        if slot:
            struct.pack_into("<i", buf, q._tab.Pos + slot, 0)
    digest = hashlib.sha256(bytes(buf)).hexdigest()[:16]
    copy = Path(tempfile.gettempdir()) / "tinyforge-oracle" / f"{Path(model.path).stem}-{digest}.tflite"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(bytes(buf))
    return copy


def oracle_note(model) -> str | None:
    """What the build says when the oracle runs on a corrected copy."""
    if not model.oracle_fixes:
        return None
    tensors = ", ".join(f"{i} ('{model.tensors[i].name}', axis {axis})" for i, axis in model.oracle_fixes)
    return (f"note: TFLite refuses {Path(model.path).name} as it is: bias tensor(s) {tensors} put per-channel "
            "scales on an axis they do not have, which TFLM and tinyforge ignore; the oracle runs TFLite on a copy "
            "with that axis set to 0")


def run_reference(model_path: str | Path, cases: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Run each case through TFLite's reference kernels in this process (the oracle worker's side)."""
    import tensorflow as tf

    from codegen.model.tflite_model import load_model
    model_path = oracle_copy(load_model(model_path))
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


def reference_outputs(model_path: str | Path, cases: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Run each case (one array per model input) through TFLite's reference kernels.

    The interpreter runs in a child process (``codegen.verify.oracle``): TFLite's C++ can corrupt its heap on
    some models and abort, which must not take the caller down or hand it garbage. See ``oracle.ask``."""
    from codegen.verify.oracle import ask
    return ask(model_path, cases)
