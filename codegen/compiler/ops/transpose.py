"""TRANSPOSE -> transpose_s8 / _s16 / _f32 (firmware/kernels/transpose.c): a walk over the output whose steps are the
input strides of the permuted axes."""
from __future__ import annotations

from codegen.compiler.layer import Layer
from codegen.model.tflite_model import Model, Operator
from codegen.compiler.ops import unsupported
from codegen.compiler.ops._common import MOVED_CTYPES, MOVED_SUFFIXES, require_moved_activations
from codegen.compiler.ops._shapes import constant_ints, padded, require_dims, same_quantization, strides
from codegen.compiler.ops import OperatorSpec

OPCODES = ("TRANSPOSE",)
KIND = "transpose"


def _perm(model: Model, op: Operator) -> list[int]:
    rank = len(model.op_inputs(op)[0].shape)
    perm = [p + rank if p < 0 else p for p in constant_ints(model, op, 1, "the permutation")]
    if sorted(perm) != list(range(rank)):
        raise unsupported(op, f"permutation {perm} for a {rank}-D input")
    return perm


def check(model: Model, op: Operator) -> None:
    require_moved_activations(model, op)
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    require_dims(op, inp)
    if inp.quantization is not None and out.quantization is not None and not same_quantization(inp, out):
        raise unsupported(op, "input and output quantization differ")
    perm = _perm(model, op)
    if [inp.shape[p] for p in perm] != list(out.shape):
        raise unsupported(op, f"output shape {list(out.shape)} is not the input permuted by {perm}")


def lower(model: Model, op: Operator, layer: Layer) -> None:
    inp, out = model.op_inputs(op)[0], model.op_outputs(op)[0]
    perm = _perm(model, op)
    in_strides = strides(inp.shape)
    layer.function = f"transpose_{MOVED_SUFFIXES[inp.type]}"
    layer.params = dict(shape=padded(out.shape), step=padded([in_strides[p] for p in perm], fill=0), start=0,
                        perm=perm, ctype=MOVED_CTYPES[inp.type])


SPEC = OperatorSpec(opcodes=OPCODES, template=KIND, function='transpose_s8', check=check, lower=lower)
