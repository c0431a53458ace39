"""``python -m codegen inspect M.tflite``: what is in a model and whether we can compile it."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from codegen.errors import TinyforgeError
from codegen.compiler.fold import fold_constants
from codegen.compiler.lower import check_supported
from codegen.compiler.ops import SUPPORTED_OPS
from codegen.compiler.select import HOST, OPTIMIZE_CHOICES, Target
from codegen.pipeline import compile_model
from codegen.target.boards import load_board
from codegen.model.tflite_model import load_model

SUMMARY = "print a model's operators, tensors and quantization, what is supported, and the planned arena"
EXAMPLE = "python -m codegen inspect ../shared/models/micro_speech_quantized.tflite --board efr32mg24"


def add_arguments(parser) -> None:
    parser.add_argument("model", help=".tflite file")
    parser.add_argument("--board", help="choose the kernels for this board's core (default: the plain C kernels "
                                        "of a host build)")
    parser.add_argument("--optimize", choices=OPTIMIZE_CHOICES, default="size",
                        help="size (default): weights within what the .tflite holds for them; speed: every "
                             "layer's fastest layout (as scons optimize=)")


def _quant(t) -> str:
    q = t.quantization
    if q is None:
        return ""
    if q.per_channel:
        return (f"per-channel (axis {q.axis}) scale {np.min(q.scale):.3g}..{np.max(q.scale):.3g}, "
                f"zero point {int(q.zero_point[0])}")
    return f"scale {float(q.scale[0]):.6g}, zero point {int(q.zero_point[0])}"


def run(args) -> int:
    target = replace(HOST, optimize=args.optimize) if args.board is None else Target.of(load_board(args.board),
                                                                                          args.optimize)
    model = load_model(args.model)
    print(f"{model.path.name}: {model.description or 'no description'}; sha256 {model.sha256}")
    print(f"  {len(model.operators)} operators, {len(model.tensors)} tensors, {model.subgraph_count} subgraph(s)")
    print("\noperators:")
    unsupported = 0
    original = model
    model = fold_constants(model)
    folded = {op.index for op in model.folded}
    for op in original.operators:
        try:
            if op.index in folded:
                status = "folded: evaluated at compile time (shape arithmetic)"
            else:
                check_supported(model, op)
                status = "supported"
        except TinyforgeError as exc:
            # the reason only: the supported list is printed once, below
            status = f"UNSUPPORTED: {getattr(exc, 'why', None) or str(exc).split(': ', 1)[-1]}"
            unsupported += 1
        ins = ", ".join(str(i) for i in op.inputs)
        outs = ", ".join(str(i) for i in op.outputs)
        print(f"  {op.index:3d} {op.opcode:<28} in [{ins}] out [{outs}]  {status}")
    print("\ntensors:")
    for t in model.tensors:
        kind = "const" if t.is_constant else ("input" if t.index in model.inputs
                                              else "output" if t.index in model.outputs else "activation")
        print(f"  {t.index:3d} {t.type:<7} {str(list(t.shape)):<18} {kind:<10} {t.name}  {_quant(t)}")
    if unsupported:
        from codegen.compiler.lower import quantization_advice
        advice = quantization_advice(model)
        print(f"\n{unsupported} operator(s) unsupported" + (f"; {advice}" if advice else "")
              + f"\nsupported operators: {', '.join(SUPPORTED_OPS)}")
        return 0
    compiled = compile_model(model, target)
    where = "a host build" if args.board is None else f"{args.board} ({target.core}, {'DSP' if target.dsp else 'no DSP'})"
    print(f"\nkernels for {where}:")
    for layer in compiled.layers:
        choice = f"{layer.function or '(no call: aliases its input)'}"
        details = [d for d in (layer.choice_reason and f"chosen by {layer.choice_reason}", layer.weight_layout,
                               layer.scratch_bytes and f"{layer.scratch_bytes} B scratch",
                               layer.in_place and "in place") if d]
        print(f"  {layer.index:3d} {layer.opcode:<28} {choice:<32} {'; '.join(details)}")
    if args.board is not None:
        from codegen.target.fit import describe, estimate
        print()
        for line in describe(estimate(compiled, load_board(args.board)),
                             lambda other: compile_model(model, Target.of(other, args.optimize))):
            print(line)
    print(f"\narena: {compiled.arena_size} bytes (lower bound {compiled.plan.lower_bound})")
    print(compiled.weight_budget.summary())
    for b in sorted(compiled.buffers, key=lambda b: compiled.plan.offsets[b.name]):
        off = compiled.plan.offsets[b.name]
        print(f"  [{off:6d}, {off + b.size:6d})  {b.name}  live in operators {b.first}..{b.last}")
    return 0
