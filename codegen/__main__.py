"""``python -m codegen VERB ...``: one module per verb in ``codegen/cli/``.

Each ``codegen/cli/<verb>.py`` defines ``SUMMARY`` (one line), ``EXAMPLE``
(shown under ``--help``), ``add_arguments(parser)`` and ``run(args) -> int``.
Errors the user can fix are raised as ``TinyforgeError`` and printed as one
line, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from codegen import cli
from codegen.target.host_tools import require_packages
from codegen.errors import TinyforgeError


def verbs() -> dict:
    found = {}
    for info in pkgutil.iter_modules(cli.__path__):
        if info.name.startswith("_"):
            continue
        found[info.name.replace("_", "-")] = importlib.import_module(f"{cli.__name__}.{info.name}")
    return dict(sorted(found.items()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m codegen",
                                     description="tinyforge: .tflite models to tested Cortex-M firmware")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name, module in verbs().items():
        p = sub.add_parser(name, help=module.SUMMARY, description=module.SUMMARY,
                           epilog=f"example:\n  {module.EXAMPLE}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        require_packages()
    except TinyforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return args._run(args)
    except TinyforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
