"""Write small .tflite files directly, for operators the converter does not emit from a
Keras model (SVDF, int8->int8 QUANTIZE, ...). Uses the schema's generated builder functions (PyPI
``tflite``); the result loads in TFLite's interpreter like any converted model.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType


@dataclass
class T:
    name: str
    shape: tuple
    type: str                              # "INT8", "INT16", "INT32", "FLOAT32"
    scale: float | None = None
    zero_point: int = 0
    data: np.ndarray | None = None
    variable: bool = False
    quantized_dimension: int = 0           # with a list of scales: the per-channel axis


@dataclass
class Op:
    opcode: str
    inputs: list[int]
    outputs: list[int]
    options: tuple[str, dict] | None = None    # ("SVDFOptions", {"Rank": 1, ...})
    intermediates: list[int] = field(default_factory=list)
    version: int = 1                           # the OperatorCode's version (the converter writes 2 for some int8)


def _vector(b, start, values, add):
    start(b, len(values))
    for v in reversed(values):
        add(v)
    return b.EndVector()


def build(tensors: list[T], ops: list[Op], inputs: list[int], outputs: list[int], subgraphs: int = 1) -> bytes:
    """One subgraph, or ``subgraphs`` references to that same subgraph (for multi-subgraph models: control
    flow operators name their subgraphs by index)."""
    b = flatbuffers.Builder(1024)
    buffers = [None] + [t.data for t in tensors]
    buffer_offsets = []
    for data in buffers:
        raw = None if data is None else b.CreateByteVector(np.ascontiguousarray(data).astype(
            data.dtype.newbyteorder("<")).tobytes())
        tflite.BufferStart(b)
        if raw is not None:
            tflite.BufferAddData(b, raw)
        buffer_offsets.append(tflite.BufferEnd(b))
    tensor_offsets = []
    for number, t in enumerate(tensors):
        name = b.CreateString(t.name)
        shape = _vector(b, tflite.TensorStartShapeVector, list(t.shape), b.PrependInt32)
        quant = None
        if t.scale is not None:
            scales = [float(s) for s in t.scale] if isinstance(t.scale, (list, tuple, np.ndarray)) else [float(t.scale)]
            scale = _vector(b, tflite.QuantizationParametersStartScaleVector, scales, b.PrependFloat32)
            zero = _vector(b, tflite.QuantizationParametersStartZeroPointVector, [int(t.zero_point)] * len(scales),
                           b.PrependInt64)
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zero)
            if t.quantized_dimension:
                tflite.QuantizationParametersAddQuantizedDimension(b, t.quantized_dimension)
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, getattr(TensorType, t.type))
        tflite.TensorAddBuffer(b, number + 1 if t.data is not None else 0)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        tflite.TensorAddIsVariable(b, t.variable)
        tensor_offsets.append(tflite.TensorEnd(b))
    codes = sorted({(op.opcode, op.version) for op in ops})
    code_offsets = []
    for code, version in codes:
        # "CUSTOM:<name>" is a custom operator with that custom code (e.g. Vela's "ethos-u")
        builtin, _, custom = code.partition(":")
        value = getattr(BuiltinOperator, builtin)
        custom_offset = b.CreateString(custom) if custom else None
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(value, 127))
        tflite.OperatorCodeAddBuiltinCode(b, value)
        if custom_offset is not None:
            tflite.OperatorCodeAddCustomCode(b, custom_offset)
        tflite.OperatorCodeAddVersion(b, version)
        code_offsets.append(tflite.OperatorCodeEnd(b))
    op_offsets = []
    for op in ops:
        options = None
        if op.options is not None:
            kind, fields = op.options
            getattr(tflite, f"{kind}Start")(b)
            for key, value in fields.items():
                getattr(tflite, f"{kind}Add{key}")(b, value)
            options = getattr(tflite, f"{kind}End")(b)
        ins = _vector(b, tflite.OperatorStartInputsVector, op.inputs, b.PrependInt32)
        outs = _vector(b, tflite.OperatorStartOutputsVector, op.outputs, b.PrependInt32)
        inter = _vector(b, tflite.OperatorStartIntermediatesVector, op.intermediates, b.PrependInt32)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index((op.opcode, op.version)))
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        tflite.OperatorAddIntermediates(b, inter)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(BuiltinOptions, op.options[0]))
            tflite.OperatorAddBuiltinOptions(b, options)
        op_offsets.append(tflite.OperatorEnd(b))
    t_vec = _vector(b, tflite.SubGraphStartTensorsVector, tensor_offsets, b.PrependUOffsetTRelative)
    o_vec = _vector(b, tflite.SubGraphStartOperatorsVector, op_offsets, b.PrependUOffsetTRelative)
    i_vec = _vector(b, tflite.SubGraphStartInputsVector, inputs, b.PrependInt32)
    out_vec = _vector(b, tflite.SubGraphStartOutputsVector, outputs, b.PrependInt32)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, t_vec)
    tflite.SubGraphAddOperators(b, o_vec)
    tflite.SubGraphAddInputs(b, i_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    subgraph = tflite.SubGraphEnd(b)
    sg_vec = _vector(b, tflite.ModelStartSubgraphsVector, [subgraph] * subgraphs, b.PrependUOffsetTRelative)
    codes_vec = _vector(b, tflite.ModelStartOperatorCodesVector, code_offsets, b.PrependUOffsetTRelative)
    buf_vec = _vector(b, tflite.ModelStartBuffersVector, buffer_offsets, b.PrependUOffsetTRelative)
    description = b.CreateString("tests/tflite_builder.py")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, sg_vec)
    tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, buf_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())
