"""Moved to ``codegen/training/synth.py`` and ``python -m codegen synth-dataset``.

This module stays so code that imports it from ``models/`` (tests/test_microfrontend.py,
tests/test_stream.py) keeps working; new code should import ``codegen.training.synth``.
Run as a script it is ``python -m codegen synth-dataset`` with the same arguments.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codegen.training.synth import *  # noqa: E402,F401,F403
from codegen.training.synth import place, speak, to_int16  # noqa: E402,F401

if __name__ == "__main__":
    from codegen.__main__ import main
    sys.exit(main(["synth-dataset", *sys.argv[1:]]))
