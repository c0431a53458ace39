"""Read a ``.tflite`` flatbuffer into plain Python objects.

Everything downstream (inspect, lowering, the memory planner, the test
runner) works on ``Model``/``Tensor``/``Operator`` and never touches the
flatbuffer again. Operator options are read generically from the schema
bindings (PyPI ``tflite``), so every builtin operator's options are available
by their schema names (``stride_w``, ``fused_activation_function``, ...).
"""
from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from .errors import TinyforgeError


def _enum_names(enum_class) -> dict[int, str]:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_")}


OPERATOR_NAMES = _enum_names(BuiltinOperator)
OPTIONS_NAMES = _enum_names(BuiltinOptions)
TYPE_NAMES = _enum_names(TensorType)
PADDING_NAMES = _enum_names(Padding)
ACTIVATION_NAMES = _enum_names(ActivationFunctionType)

NUMPY_TYPES = {
    "FLOAT32": np.float32, "FLOAT16": np.float16, "FLOAT64": np.float64,
    "INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "UINT16": np.uint16,
    "INT32": np.int32, "UINT32": np.uint32, "INT64": np.int64, "BOOL": np.bool_,
}

# Enum-valued options are turned into names so the rest of codegen reads "SAME"
# and "RELU6" rather than numbers with a meaning hidden in the schema.
_ENUM_OPTIONS = {"padding": PADDING_NAMES, "fused_activation_function": ACTIVATION_NAMES}


@dataclass
class Quantization:
    scale: np.ndarray          # float32, one per channel or one per tensor
    zero_point: np.ndarray     # int64
    axis: int                  # quantized dimension for per-channel parameters

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type: str                   # schema name: "INT8", "INT32", "FLOAT32", ...
    quantization: Quantization | None
    data: np.ndarray | None     # constant tensors only, already shaped
    is_variable: bool = False

    @property
    def dtype(self):
        return NUMPY_TYPES.get(self.type)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize if self.dtype else 0

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def scale(self) -> float:
        return float(self.quantization.scale[0])

    @property
    def zero_point(self) -> int:
        return int(self.quantization.zero_point[0])


@dataclass
class Operator:
    index: int
    opcode: str                 # "CONV_2D", ...
    version: int
    inputs: list[int]           # -1 marks an omitted optional input
    outputs: list[int]
    options: dict = field(default_factory=dict)
    custom_code: str | None = None


@dataclass
class Model:
    path: Path
    sha256: str
    description: str
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    metadata: dict[str, bytes]
    subgraph_count: int

    @property
    def name(self) -> str:
        return self.path.stem

    def tensor(self, index: int) -> Tensor | None:
        return None if index < 0 else self.tensors[index]

    def op_inputs(self, op: Operator) -> list[Tensor | None]:
        return [self.tensor(i) for i in op.inputs]

    def op_outputs(self, op: Operator) -> list[Tensor]:
        return [self.tensors[i] for i in op.outputs]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _read_options(op) -> dict:
    """All fields of the operator's builtin options table, by schema name."""
    kind = OPTIONS_NAMES.get(op.BuiltinOptionsType(), "NONE")
    table = op.BuiltinOptions()
    if kind == "NONE" or table is None:
        return {}
    options_class = getattr(tflite, kind, None)
    if options_class is None:
        return {}
    opts = options_class()
    opts.Init(table.Bytes, table.Pos)
    methods = {name for name in dir(options_class) if not name.startswith("_")}
    result = {}
    for name in sorted(methods):
        if name in ("Init", "GetRootAs") or name.startswith("GetRootAs") or name.endswith("BufferHasIdentifier"):
            continue
        if name.endswith("AsNumpy"):
            value = getattr(opts, name)()
            result[_snake(name[: -len("AsNumpy")])] = [] if isinstance(value, int) else value.tolist()
            continue
        if name + "AsNumpy" in methods or name.endswith(("Length", "IsNone")):
            continue
        if len(inspect.signature(getattr(options_class, name)).parameters) != 1:
            continue
        key = _snake(name)
        value = getattr(opts, name)()
        result[key] = _ENUM_OPTIONS[key].get(value, value) if key in _ENUM_OPTIONS else value
    return result


def _check(condition: bool, path: Path, message: str) -> None:
    if not condition:
        raise TinyforgeError(f"{path}: not a valid TFLite model: {message}")


def _read_quantization(t) -> Quantization | None:
    q = t.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    return Quantization(scale=q.ScaleAsNumpy().astype(np.float32),
                        zero_point=q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength()
                        else np.zeros(q.ScaleLength(), np.int64),
                        axis=q.QuantizedDimension())


def load_model(path: str | Path) -> Model:
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise TinyforgeError(f"{path}: cannot read model: {exc.strerror}") from None
    _check(len(buf) >= 8 and buf[4:8] == b"TFL3", path, "missing the 'TFL3' file identifier")
    try:
        return _parse(path, buf)
    except TinyforgeError:
        raise
    except Exception as exc:  # the flatbuffer bindings raise bare struct/index errors on corrupt offsets
        raise TinyforgeError(f"{path}: not a valid TFLite model: corrupt flatbuffer ({type(exc).__name__})") from None


def _parse(path: Path, buf: bytes) -> Model:
    m = tflite.Model.GetRootAsModel(buf, 0)
    _check(m.SubgraphsLength() >= 1, path, "no subgraph")
    g = m.Subgraphs(0)
    n_buffers = m.BuffersLength()
    n_tensors = g.TensorsLength()

    tensors = []
    for i in range(n_tensors):
        t = g.Tensors(i)
        type_name = TYPE_NAMES.get(t.Type(), f"type {t.Type()}")
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        _check(all(0 <= d < 2**31 for d in shape), path, f"tensor {i} has shape {list(shape)}")
        _check(0 <= t.Buffer() < max(n_buffers, 1), path, f"tensor {i} refers to buffer {t.Buffer()}")
        data = None
        if t.Buffer() > 0 and n_buffers:
            b = m.Buffers(t.Buffer())
            raw = b.DataAsNumpy() if b.DataLength() else None
            if raw is None and b.Offset() > 1:  # large models keep buffers after the flatbuffer
                raw = np.frombuffer(buf, np.uint8, count=b.Size(), offset=b.Offset())
            if raw is not None and not isinstance(raw, int) and type_name in NUMPY_TYPES:
                dtype = np.dtype(NUMPY_TYPES[type_name]).newbyteorder("<")
                count = int(np.prod(shape, dtype=np.int64)) if shape else 1
                _check(raw.size == count * dtype.itemsize, path,
                       f"tensor {i} ('{t.Name().decode(errors='replace')}') has {raw.size} bytes of data, "
                       f"its shape {list(shape)} needs {count * dtype.itemsize}")
                data = np.frombuffer(raw.tobytes(), dtype).astype(dtype.newbyteorder("=")).reshape(shape)
        tensors.append(Tensor(index=i, name=t.Name().decode(errors="replace"), shape=shape, type=type_name,
                              quantization=_read_quantization(t), data=data, is_variable=t.IsVariable()))

    def tensor_list(values, what: str, allow_omitted: bool) -> list[int]:
        result = [int(v) for v in values]
        for v in result:
            _check(-1 <= v < n_tensors and (allow_omitted or v >= 0), path, f"{what} refers to tensor {v}")
        return result

    operators = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        _check(op.OpcodeIndex() < m.OperatorCodesLength(), path, f"operator {i} has opcode index {op.OpcodeIndex()}")
        oc = m.OperatorCodes(op.OpcodeIndex())
        # Schema v3a keeps codes > 127 in builtin_code and 127 in the deprecated field.
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        custom = oc.CustomCode().decode(errors="replace") if oc.CustomCode() else None
        operators.append(Operator(
            index=i, opcode=OPERATOR_NAMES.get(code, f"builtin {code}"), version=oc.Version(),
            inputs=tensor_list(op.InputsAsNumpy() if op.InputsLength() else [], f"operator {i} input", True),
            outputs=tensor_list(op.OutputsAsNumpy() if op.OutputsLength() else [], f"operator {i} output", False),
            options=_read_options(op), custom_code=custom))

    metadata = {}
    for i in range(m.MetadataLength()):
        md = m.Metadata(i)
        if 0 <= md.Buffer() < n_buffers:
            b = m.Buffers(md.Buffer())
            metadata[md.Name().decode(errors="replace")] = b.DataAsNumpy().tobytes() if b.DataLength() else b""

    return Model(
        path=path, sha256=hashlib.sha256(buf).hexdigest(),
        description=(m.Description() or b"").decode(errors="replace"),
        tensors=tensors, operators=operators,
        inputs=tensor_list(g.InputsAsNumpy() if g.InputsLength() else [], "subgraph input", False),
        outputs=tensor_list(g.OutputsAsNumpy() if g.OutputsLength() else [], "subgraph output", False),
        metadata=metadata, subgraph_count=m.SubgraphsLength())
