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
# OperatorCode.version is field 2 of its table: vtable slot offset 4 + 2 * 2.
_OPCODE_VERSION_SLOT = 8

# Operators whose reference kernel TFLite's reference resolver (register_ref.cc) registers at a lower version
# than the converter writes, although that kernel computes the newer versions too. DEPTH_TO_SPACE version 2
# only says "int8": depth_to_space.cc's reference Eval has run int8 since version 1 was registered.
REFERENCE_VERSIONS = {"DEPTH_TO_SPACE": 1}


def _version_fixes(model) -> list[tuple[str, int]]:
    """(opcode, version) of the operators the reference resolver would not find at the version they carry."""
    return sorted({(op.opcode, op.version) for op in model.operators
                   if op.version > REFERENCE_VERSIONS.get(op.opcode, op.version)})


def oracle_copy(model) -> Path:
    """The file TFLite's interpreter can load for ``model``: the model itself, or a copy with harmless fields
    corrected: bias axes TFLite refuses and no kernel reads (``Model.oracle_fixes``) set to 0, and operator
    versions the reference resolver lacks (``REFERENCE_VERSIONS``) lowered to the one it has. The numbers TFLite
    computes are the same: its kernels never read a bias's quantization, and one Eval serves every version."""
    versions = _version_fixes(model)
    if not model.oracle_fixes and not versions:
        return Path(model.path)
    import tflite

    from codegen.model.tflite_model import OPERATOR_NAMES, builtin_code
    buf = bytearray(Path(model.path).read_bytes())
    root = tflite.Model.GetRootAsModel(bytes(buf), 0)
    graph = root.Subgraphs(0)
    for index, _axis in model.oracle_fixes:
        q = graph.Tensors(index).Quantization()
        slot = q._tab.Offset(_QUANTIZED_DIMENSION_SLOT)
        if slot:
            struct.pack_into("<i", buf, q._tab.Pos + slot, 0)
    for i in range(root.OperatorCodesLength()):
        code = root.OperatorCodes(i)
        target = REFERENCE_VERSIONS.get(OPERATOR_NAMES.get(builtin_code(code)))
        slot = code._tab.Offset(_OPCODE_VERSION_SLOT)
        if target is not None and slot and code.Version() > target:
            struct.pack_into("<i", buf, code._tab.Pos + slot, target)
    digest = hashlib.sha256(bytes(buf)).hexdigest()[:16]
    copy = Path(tempfile.gettempdir()) / "tinyforge-oracle" / f"{Path(model.path).stem}-{digest}.tflite"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(bytes(buf))
    return copy


def oracle_note(model) -> str | None:
    """What the build says when the oracle runs on a corrected copy."""
    notes = []
    if model.oracle_fixes:
        tensors = ", ".join(f"{i} ('{model.tensors[i].name}', axis {axis})" for i, axis in model.oracle_fixes)
        notes.append(f"note: TFLite refuses {Path(model.path).name} as it is: bias tensor(s) {tensors} put "
                     "per-channel scales on an axis they do not have, which TFLM and tinyforge ignore; the oracle "
                     "runs TFLite on a copy with that axis set to 0")
    for opcode, version in _version_fixes(model):
        notes.append(f"note: TFLite's reference resolver registers {opcode} at version "
                     f"{REFERENCE_VERSIONS[opcode]} only, and its reference kernel computes version {version} too; "
                     f"the oracle runs TFLite on a copy that says version {REFERENCE_VERSIONS[opcode]}")
    return "\n".join(notes) or None


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
