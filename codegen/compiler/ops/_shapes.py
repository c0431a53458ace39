"""Shape arithmetic for the N-d kernels: every shape padded to ``TF_MAX_DIMS`` (kernels.h) with leading ones,
and per output dimension the number of input elements one output step moves (0 where an input is broadcast)."""
from __future__ import annotations

import numpy as np

from codegen.compiler.layer import ConstArray
from codegen.model.tflite_model import Model, Operator, Tensor
from codegen.compiler.ops import unsupported

MAX_DIMS = 6   # TF_MAX_DIMS; TFLite's broadcast kernels (BroadcastAdd6DSlow, ...) stop at 6-D too


def padded(shape, fill: int = 1) -> list[int]:
    shape = [int(d) for d in shape]
    return [fill] * (MAX_DIMS - len(shape)) + shape


def strides(shape) -> list[int]:
    """Row-major element strides of ``shape``."""
    result, step = [], 1
    for d in reversed([int(d) for d in shape]):
        result.append(step)
        step *= d
    return result[::-1]


def require_dims(op: Operator, tensor: Tensor) -> None:
    if len(tensor.shape) > MAX_DIMS:
        raise unsupported(op, f"tensor '{tensor.name}' has {len(tensor.shape)} dimensions; at most {MAX_DIMS}")


def broadcast_steps(op: Operator, inp: Tensor, out_shape: list[int]) -> list[int]:
    """Steps of ``inp`` along a padded output shape: TFLite's NdArrayDesc with stride 0 where broadcast."""
    shape = padded(inp.shape)
    steps = []
    for size, out_size, stride in zip(shape, out_shape, strides(shape)):
        if size == out_size:
            steps.append(stride if size > 1 else 0)
        elif size == 1:
            steps.append(0)
        else:
            raise unsupported(op, f"shape {list(inp.shape)} does not broadcast to the output's "
                                  f"{list(out_shape)}")
    return steps


def same_quantization(a: Tensor, b: Tensor) -> bool:
    return (a.quantization is not None and b.quantization is not None
            and np.float32(a.scale) == np.float32(b.scale) and a.zero_point == b.zero_point)


def operand(model: Model, op: Operator, position: int, offsets: dict[int, int], layer_consts: list,
            symbol: str, ctype: str = "int8_t") -> dict:
    """Where the kernel reads input ``position``: the arena (activation) or a constant array it adds."""
    index = op.inputs[position]
    tensor = model.tensors[index]
    if tensor.is_constant:
        name = f"{symbol}_input{position}"
        values = tensor.data.ravel().astype(float if ctype == "float" else int).tolist()
        layer_consts.append(ConstArray(name, ctype, values,
                                       f"{tensor.name} {list(tensor.shape)}"))
        return {"const": name, "ctype": ctype}
    return {"offset": offsets[index], "ctype": ctype}


def activation_offsets(model: Model, op: Operator, layer) -> dict[int, int]:
    """Tensor index -> arena offset for the operator's activation inputs (Layer.input_offsets is in op order)."""
    activations = [t for t in op.inputs if t >= 0 and not model.tensors[t].is_constant
                   and not model.tensors[t].is_variable]
    return dict(zip(activations, layer.input_offsets))


def constant_ints(model: Model, op: Operator, position: int, what: str) -> list[int]:
    tensor = model.tensor(op.inputs[position]) if len(op.inputs) > position else None
    if tensor is None or not tensor.is_constant or tensor.type not in ("INT32", "INT64"):
        raise unsupported(op, f"{what} must be a constant int32 tensor")
    return [int(v) for v in tensor.data.ravel()]
