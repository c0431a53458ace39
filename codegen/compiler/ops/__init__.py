"""One module per operator family: how a TFLite operator becomes a kernel call.

Each public module (a name without a leading underscore) defines ``SPEC``, an
:class:`OperatorSpec`. Nothing else of the module is read from outside: the spec
names the check and lower functions and says how the planner must treat the
operator. Discovery checks every spec (its template exists, its opcodes are not
claimed twice, its functions are callable), so a malformed operator module
fails at import with one line, not halfway through a model.

Adding an operator adds a module here, a template under ``templates/ops/`` and
a kernel under ``firmware/kernels/``, and edits no other Python file.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from codegen.errors import TinyforgeError
from codegen.paths import TEMPLATES_DIR


class Unsupported(TinyforgeError):
    """An operator, type or option codegen cannot lower; says which and what is supported."""


@dataclass(frozen=True)
class OperatorSpec:
    """What ``codegen.compiler.lower`` needs to know about one operator family.

    ``template``: ``templates/ops/<template>.c.j2``, used unless the kernel selector picks another.
    ``function``: the C function the layer calls, unless ``lower`` (through the selector) picks another;
    None for operators that emit no call (RESHAPE aliases its input).
    ``check(model, op)`` raises :class:`Unsupported`; ``lower(model, op, layer)`` fills the layer.
    ``memory(model, op)``: the operator's :class:`~codegen.compiler.layer.MemoryNeeds` when it has any
    (operators whose kernel is chosen by ``codegen.compiler.select`` set ``layer.memory`` from the choice).
    ``data_input``: position of the tensor the operator transforms (SPLIT takes its axis first).
    ``alias``: the output is the input's bytes (no copy, no call).
    ``name``: what the layer's C symbols are called after, when not the template.
    ``shape_preserving``: TFLite's Prepare gives the output the input's shape whatever the file declares,
    so the two must agree.
    """
    opcodes: tuple[str, ...]
    template: str
    function: str | None
    check: Callable
    lower: Callable
    memory: Callable | None = None
    data_input: int = 0
    alias: bool = False
    multiple_outputs: bool = False
    constant_operands: bool = False
    shape_preserving: bool = False
    name: str = ""        # in the layer's C symbols (op<N>_<name>_...); the template's name when empty

    @property
    def symbol_name(self) -> str:
        return self.name or self.template


def _validate(name: str, spec) -> None:
    where = f"codegen/compiler/ops/{name}.py"
    if not isinstance(spec, OperatorSpec):
        raise TinyforgeError(f"{where}: SPEC must be an OperatorSpec (every public operator module defines one)")
    if not spec.opcodes or not all(isinstance(o, str) and o.isupper() for o in spec.opcodes):
        raise TinyforgeError(f"{where}: SPEC.opcodes must name TFLite builtin operators, got {spec.opcodes!r}")
    if not (TEMPLATES_DIR / "ops" / f"{spec.template}.c.j2").is_file():
        raise TinyforgeError(f"{where}: SPEC.template '{spec.template}' has no templates/ops/{spec.template}.c.j2")
    for field in ("check", "lower") + (("memory",) if spec.memory is not None else ()):
        if not callable(getattr(spec, field)):
            raise TinyforgeError(f"{where}: SPEC.{field} is not callable")
    if spec.function is None and not spec.alias:
        raise TinyforgeError(f"{where}: SPEC.function is None but the operator is not an alias")


def discover(package_path=None, package=None) -> dict[str, OperatorSpec]:
    """Opcode -> spec for every public module of the package (this one by default)."""
    registry: dict[str, OperatorSpec] = {}
    owner: dict[str, str] = {}
    for info in pkgutil.iter_modules(package_path or __path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package or __name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        _validate(info.name, spec)
        for opcode in spec.opcodes:
            if opcode in registry:
                raise TinyforgeError(f"codegen/compiler/ops/{info.name}.py: {opcode} is already lowered by "
                                     f"codegen/compiler/ops/{owner[opcode]}.py")
            registry[opcode] = spec
            owner[opcode] = info.name
    return registry


def unsupported(op, why: str) -> Unsupported:
    error = Unsupported(f"operator {op.index} ({op.opcode}) is not supported: {why}. "
                        f"Supported: {', '.join(SUPPORTED_OPS)}")
    error.op, error.why = op, why
    return error


# Discovered last: the operator modules import Unsupported, unsupported and OperatorSpec from here.
REGISTRY = discover()
SUPPORTED_OPS = tuple(sorted(REGISTRY))
