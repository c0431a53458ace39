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

from codegen.errors import TinyforgeError
from codegen.model.tflite_verify import VerifyError, verify_model


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

SCHEMA_VERSION = 3                 # TFLITE_SCHEMA_VERSION; InterpreterBuilder refuses any other
MAX_TENSOR_BYTES = 2**31 - 1       # no board we target comes near; beyond it sizes overflow int32 C code


def _normalised(name: str) -> str:
    return name.replace("_", "").lower()


# The options table each operator's TFLite kernel reads (``op->builtin_options_as_<T>()``). TFLite ignores
# options of any other type and falls back to zeroed parameters (stride 0, ...), so an operator carrying
# the wrong table is refused rather than lowered with our defaults. Most follow the naming rule
# (CONV_2D -> Conv2DOptions); these are the exceptions from schema.fbs.
_OPTIONS_EXCEPTIONS = {
    "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions", "L2_POOL_2D": "Pool2DOptions",
    "MEAN": "ReducerOptions", "SUM": "ReducerOptions", "REDUCE_PROD": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions", "REDUCE_MIN": "ReducerOptions", "REDUCE_ANY": "ReducerOptions",
    "REDUCE_ALL": "ReducerOptions", "MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions",
    "L2_NORMALIZATION": "L2NormOptions", "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
}
# Operators whose zeroed default parameters (stride 0) make TFLite's Prepare divide by zero.
_OPTIONS_REQUIRED = {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D",
                     "TRANSPOSE_CONV"}
_OPTIONS_BY_NORMALISED_NAME = {_normalised(v[: -len("Options")]): v for v in OPTIONS_NAMES.values()
                               if v.endswith("Options")}


def expected_options(opcode: str) -> str | None:
    """Name of the options table TFLite's kernel for ``opcode`` reads, if it reads one."""
    return _OPTIONS_EXCEPTIONS.get(opcode) or _OPTIONS_BY_NORMALISED_NAME.get(_normalised(opcode))


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
    # The file's shape signature has a -1 beyond the batch dimension: TFLite sizes the tensor when it
    # allocates, so the shape written in the file may be a placeholder. (A dynamic batch alone is the usual
    # Keras export; the file's shapes then hold batch 1 and are right.)
    dynamic: bool = False

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
    # Tensors the kernel keeps between its steps; integer LSTMs carry their gate scales on them.
    intermediates: list[int] = field(default_factory=list)


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
    # Bias tensors whose per-channel axis TFLite's Python interpreter refuses although no kernel reads it (TFLM
    # accepts them): (tensor index, the axis in the file). The oracle runs on a copy with the axis set to 0.
    oracle_fixes: list = field(default_factory=list)
    # Operators codegen.compiler.fold evaluated at compile time (their outputs are constants of this model).
    folded: list = field(default_factory=list)

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


def _read_quantization(t, path: Path, index: int, name: str, shape: tuple, bias_only: bool = False,
                       fixes: list | None = None) -> Quantization | None:
    """Quantization parameters, checked as TFLite's InterpreterBuilder::ParseQuantization and the
    kernels' Prepare functions need them: as many zero points as scales, one scale per channel of
    ``quantized_dimension``, and every scale finite and positive (a zero scale divides by zero in
    every requantization multiplier).

    ``bias_only``: the tensor is only ever a convolution's or fully-connected layer's bias. Its scales are
    never read (the kernels derive the bias scale from input and filter), so, as TFLite and TFLM do, any
    sign is accepted; and, as TFLM does, a per-channel axis outside its shape (TFLM's person_detect) is
    accepted and recorded in ``fixes`` for the oracle."""
    q = t.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    what = f"tensor {index} ('{name}')"
    scale = q.ScaleAsNumpy().astype(np.float32)
    zero_point = q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength() else np.zeros(0, np.int64)
    axis = q.QuantizedDimension()
    _check(zero_point.size == scale.size, path,
           f"{what} has {scale.size} quantization scales and {zero_point.size} zero points")
    if scale.size > 1 and not (0 <= axis < len(shape) and shape[axis] == scale.size):
        _check(bias_only and len(shape) == 1 and shape[0] == scale.size, path,
               f"{what} has {scale.size} per-channel scales on dimension {axis} of shape {list(shape)}")
        fixes.append((index, axis))
        axis = 0
    bad = [float(v) for v in scale if not (np.isfinite(v) and (v > 0 or bias_only))]
    _check(not bad, path, f"{what} has quantization scale {bad[0] if bad else ''}; scales must be positive")
    return Quantization(scale=scale, zero_point=zero_point, axis=axis)


# Operators whose bias input (by position) has a quantization no kernel reads. TRANSPOSE_CONV lists the
# output shape, filter and data first, so its bias is input 3.
_BIAS_POSITIONS = {"CONV_2D": 2, "DEPTHWISE_CONV_2D": 2, "FULLY_CONNECTED": 2, "TRANSPOSE_CONV": 3}


def _int16_softmax_outputs(m, g) -> set[int]:
    """The outputs of SOFTMAX operators whose input is int8: TFLite gives those an int16 zero point of -32768."""
    found = set()
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        if op.OpcodeIndex() >= m.OperatorCodesLength() or not op.InputsLength() or not op.OutputsLength():
            continue
        if OPERATOR_NAMES.get(builtin_code(m.OperatorCodes(op.OpcodeIndex()))) != "SOFTMAX":
            continue
        first = int(op.Inputs(0))
        if 0 <= first < g.TensorsLength() and TYPE_NAMES.get(g.Tensors(first).Type()) == "INT8":
            found.add(int(op.Outputs(0)))
    return found


def _bias_only_tensors(m, g) -> set[int]:
    """Tensors that every operator reading them reads as the bias (input 2) of a convolution or FC layer."""
    roles: dict[int, set[bool]] = {}
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        if op.OpcodeIndex() >= m.OperatorCodesLength():
            continue                       # refused later, with its own message
        opcode = OPERATOR_NAMES.get(builtin_code(m.OperatorCodes(op.OpcodeIndex())))
        for position, t in enumerate(op.InputsAsNumpy() if op.InputsLength() else []):
            roles.setdefault(int(t), set()).add(_BIAS_POSITIONS.get(opcode) == position)
    return {t for t, role in roles.items() if role == {True}}


_ZERO_POINT_RANGE = {"INT8": (-128, 127), "UINT8": (0, 255), "INT16": (0, 0)}


def _check_zero_points(tensor: Tensor, path: Path, int16_softmax_output: bool = False) -> None:
    """Zero points must be representable in the tensor's type (TFLite's int16 kernels require 0, except the
    int16 output of an int8 SOFTMAX, which softmax.cc's Prepare requires to be -32768)."""
    q = tensor.quantization
    if q is None or tensor.type not in _ZERO_POINT_RANGE:
        return
    low, high = (-32768, -32768) if int16_softmax_output else _ZERO_POINT_RANGE[tensor.type]
    bad = [int(z) for z in q.zero_point if not low <= z <= high]
    _check(not bad, path, f"tensor {tensor.index} ('{tensor.name}') is {tensor.type} with zero point "
                          f"{bad[0] if bad else ''}, outside [{low}, {high}]")


def _check_dataflow(path: Path, tensors: list[Tensor], operators: list[Operator],
                    inputs: list[int], outputs: list[int]) -> None:
    """Every operator reads only constants, variables, model inputs or outputs of earlier operators,
    and every tensor is written once: the order the arena plan and ``model_invoke`` rely on."""
    written: set[int] = set()
    for t in inputs:
        _check(not tensors[t].is_constant, path, f"model input {t} ('{tensors[t].name}') is a constant tensor")
        _check(t not in written, path, f"tensor {t} is listed twice as a model input")
        written.add(t)
    for op in operators:
        for t in op.inputs:
            if t < 0 or tensors[t].is_constant or tensors[t].is_variable:
                continue
            _check(t in written, path, f"operator {op.index} ({op.opcode}) reads tensor {t} "
                                       f"('{tensors[t].name}') before any operator writes it")
        for t in op.outputs:
            _check(not tensors[t].is_constant, path,
                   f"operator {op.index} ({op.opcode}) writes constant tensor {t} ('{tensors[t].name}')")
            _check(t not in written, path, f"operator {op.index} ({op.opcode}) writes tensor {t} "
                                           f"('{tensors[t].name}'), which is already written")
            written.add(t)
    for t in outputs:
        _check(t in written, path, f"model output {t} ('{tensors[t].name}') is never written")


def load_model(path: str | Path) -> Model:
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise TinyforgeError(f"{path}: cannot read model: {exc.strerror}") from None
    _check(len(buf) >= 8 and buf[4:8] == b"TFL3", path, "missing the 'TFL3' file identifier")
    try:
        verify_model(buf)
    except VerifyError as exc:
        raise TinyforgeError(f"{path}: not a valid TFLite model: corrupt flatbuffer: {exc}") from None
    try:
        return _parse(path, buf)
    except TinyforgeError:
        raise
    except Exception as exc:  # the flatbuffer bindings raise bare struct/index errors on corrupt offsets
        raise TinyforgeError(f"{path}: not a valid TFLite model: corrupt flatbuffer ({type(exc).__name__})") from None


def _utf8(raw: bytes, path: Path, what: str) -> str:
    """Flatbuffer strings are UTF-8 by definition; TFLite's Python API fails on anything else."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise TinyforgeError(f"{path}: not a valid TFLite model: {what} is not UTF-8 text") from None


def _tensor_bytes(shape: tuple, itemsize: int) -> int:
    count = 1
    for d in shape:
        count *= d          # Python ints: a shape that overflows int64 is seen, not wrapped
    return count * itemsize


# OperatorCode.builtin_code is field 3 of its table (vtable slot offset 10 in the schema).
_BUILTIN_CODE_SLOT = 10


def builtin_code(oc) -> int:
    """The operator's builtin code exactly as TFLite's GetBuiltinCode reads it.

    Schema v3a keeps codes above 127 in ``builtin_code`` and 127 in the int8
    ``deprecated_builtin_code``; TFLite takes the larger of the two. The PyPI
    bindings' ``BuiltinCode()`` returns the deprecated field whenever the real
    one is below 127, so a file whose two fields disagree (SOFTMAX in one,
    LOGISTIC in the other, as the fuzzer made) would compile to another
    operator than TFLite runs. Read the raw field instead.
    """
    import flatbuffers

    slot = oc._tab.Offset(_BUILTIN_CODE_SLOT)
    raw = oc._tab.Get(flatbuffers.number_types.Int32Flags, slot + oc._tab.Pos) if slot else 0
    return max(raw, oc.DeprecatedBuiltinCode())


def _parse(path: Path, buf: bytes) -> Model:
    m = tflite.Model.GetRootAsModel(buf, 0)
    _check(m.Version() == SCHEMA_VERSION, path, f"schema version {m.Version()}, expected {SCHEMA_VERSION}")
    _check(m.SubgraphsLength() >= 1, path, "no subgraph")
    g = m.Subgraphs(0)
    n_buffers = m.BuffersLength()
    n_tensors = g.TensorsLength()

    tensors = []
    bias_only = _bias_only_tensors(m, g)
    softmax_int16 = _int16_softmax_outputs(m, g)
    fixes: list = []
    for i in range(n_tensors):
        t = g.Tensors(i)
        name = _utf8(t.Name(), path, f"tensor {i} name") if t.Name() is not None else f"tensor{i}"
        type_name = TYPE_NAMES.get(t.Type(), f"type {t.Type()}")
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        _check(all(0 <= d < 2**31 for d in shape), path, f"tensor {i} ('{name}') has shape {list(shape)}")
        itemsize = np.dtype(NUMPY_TYPES[type_name]).itemsize if type_name in NUMPY_TYPES else 1
        nbytes = _tensor_bytes(shape, itemsize)
        _check(nbytes <= MAX_TENSOR_BYTES, path,
               f"tensor {i} ('{name}') has shape {list(shape)}, {nbytes} bytes, more than {MAX_TENSOR_BYTES}")
        _check(0 <= t.Buffer() < max(n_buffers, 1), path, f"tensor {i} ('{name}') refers to buffer {t.Buffer()}")
        data = None
        if t.Buffer() > 0 and n_buffers:
            b = m.Buffers(t.Buffer())
            raw = b.DataAsNumpy() if b.DataLength() else None
            if raw is None and b.Offset() > 1:  # large models keep buffers after the flatbuffer
                _check(b.Offset() + b.Size() <= len(buf), path,
                       f"buffer {t.Buffer()} lies at bytes {b.Offset()}..{b.Offset() + b.Size()}, "
                       f"past the end of the file ({len(buf)} bytes)")
                raw = np.frombuffer(buf, np.uint8, count=b.Size(), offset=b.Offset())
            if raw is not None and not isinstance(raw, int) and type_name in NUMPY_TYPES:
                dtype = np.dtype(NUMPY_TYPES[type_name]).newbyteorder("<")
                _check(raw.size == nbytes, path,
                       f"tensor {i} ('{name}') has {raw.size} bytes of data, its shape {list(shape)} needs {nbytes}")
                data = np.frombuffer(raw.tobytes(), dtype).astype(dtype.newbyteorder("=")).reshape(shape)
            elif raw is not None and not isinstance(raw, int):
                # A type numpy has no dtype for (INT4 packs two values a byte): still a constant, kept as its
                # raw bytes, so the operator reading it is refused for its type, not for a missing producer.
                data = np.frombuffer(raw.tobytes(), np.uint8)
        tensor = Tensor(index=i, name=name, shape=shape, type=type_name,
                        quantization=_read_quantization(t, path, i, name, shape, i in bias_only, fixes), data=data,
                        is_variable=t.IsVariable(),
                        dynamic=bool(t.ShapeSignatureLength() > 1) and bool((t.ShapeSignatureAsNumpy()[1:] < 0).any()))
        _check_zero_points(tensor, path, type_name == "INT16" and i in softmax_int16)
        tensors.append(tensor)

    def tensor_list(values, what: str, allow_omitted: bool) -> list[int]:
        result = [int(v) for v in values]
        for v in result:
            _check(-1 <= v < n_tensors and (allow_omitted or v >= 0), path, f"{what} refers to tensor {v}")
        return result

    # InterpreterBuilder resolves every operator code, used or not, and refuses unknown builtins.
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        code = builtin_code(oc)
        _check(code in OPERATOR_NAMES, path, f"operator code {i} has unknown builtin code {code}")
        if oc.CustomCode() is not None:
            _utf8(oc.CustomCode(), path, f"operator code {i} custom name")

    operators = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        _check(op.OpcodeIndex() < m.OperatorCodesLength(), path, f"operator {i} has opcode index {op.OpcodeIndex()}")
        oc = m.OperatorCodes(op.OpcodeIndex())
        code = builtin_code(oc)
        _check(code in OPERATOR_NAMES, path, f"operator {i} has unknown builtin code {code}")
        opcode = OPERATOR_NAMES[code]
        custom = oc.CustomCode().decode(errors="replace") if oc.CustomCode() else None
        options_type = OPTIONS_NAMES.get(op.BuiltinOptionsType(), "NONE")
        expected = expected_options(opcode)
        _check(options_type in ("NONE", expected) or expected is None, path,
               f"operator {i} ({opcode}) carries {options_type}, its kernel reads {expected}")
        _check(options_type != "NONE" or opcode not in _OPTIONS_REQUIRED, path,
               f"operator {i} ({opcode}) has no {expected}; its strides would be 0")
        operators.append(Operator(
            index=i, opcode=opcode, version=oc.Version(),
            inputs=tensor_list(op.InputsAsNumpy() if op.InputsLength() else [], f"operator {i} input", True),
            outputs=tensor_list(op.OutputsAsNumpy() if op.OutputsLength() else [], f"operator {i} output", False),
            options=_read_options(op), custom_code=custom,
            intermediates=tensor_list(op.IntermediatesAsNumpy() if op.IntermediatesLength() else [],
                                      f"operator {i} intermediate", False)))

    metadata = {}
    for i in range(m.MetadataLength()):
        md = m.Metadata(i)
        if 0 <= md.Buffer() < n_buffers:
            b = m.Buffers(md.Buffer())
            metadata[(md.Name() or b"").decode(errors="replace")] = b.DataAsNumpy().tobytes() if b.DataLength() else b""

    inputs = tensor_list(g.InputsAsNumpy() if g.InputsLength() else [], "subgraph input", False)
    outputs = tensor_list(g.OutputsAsNumpy() if g.OutputsLength() else [], "subgraph output", False)
    npu = next((op for op in operators if op.custom_code == "ethos-u"), None)
    if npu is not None:
        # Vela's output: valid TFLite, but its work is one command stream for the NPU (and its scratch
        # tensors are written by the NPU, not by any operator).
        raise TinyforgeError(f"{path}: operator {npu.index} is an Arm Ethos-U custom operator ('ethos-u'): Vela "
                             "compiled this model for an Ethos-U NPU, which runs its command stream; a Cortex-M "
                             "without that NPU cannot. Give tinyforge the .tflite from before Vela")
    _check_dataflow(path, tensors, operators, inputs, outputs)
    return Model(
        path=path, sha256=hashlib.sha256(buf).hexdigest(),
        description=(m.Description() or b"").decode(errors="replace"),
        tensors=tensors, operators=operators, inputs=inputs, outputs=outputs,
        metadata=metadata, subgraph_count=m.SubgraphsLength(), oracle_fixes=fixes)
