"""One module per operator family: how a TFLite operator becomes a kernel call.

Each module defines

* ``OPCODES``: the TFLite builtin operator names it lowers;
* ``KIND``: the name of its template, ``templates/ops/<KIND>.c.j2``, which
  defines two macros, ``definitions(layer)`` (constant arrays and parameter
  structs) and ``call(layer)`` (the statement in ``model_invoke``);
* ``check(model, op)``: raise ``Unsupported`` for what it cannot lower;
* ``lower(model, op, layer)``: fill ``layer.consts``, ``layer.params`` and
  ``layer.macs`` (all numbers computed here, in Python);
* optionally ``ALIAS = True`` when the output shares the input's bytes.

Modules are discovered automatically, so adding an operator adds a file here,
a template and a kernel, and edits nothing else.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from codegen.errors import TinyforgeError


class Unsupported(TinyforgeError):
    """An operator, type or option codegen cannot lower; says which and what is supported."""


def _discover() -> dict[str, ModuleType]:
    registry: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for opcode in module.OPCODES:
            registry[opcode] = module
    return registry


def unsupported(op, why: str) -> Unsupported:
    return Unsupported(f"operator {op.index} ({op.opcode}) is not supported: {why}. "
                       f"Supported: {', '.join(SUPPORTED_OPS)}")


# Discovered last: the operator modules import Unsupported and unsupported from here.
REGISTRY = _discover()
SUPPORTED_OPS = tuple(sorted(REGISTRY))
