"""What the build needs from the machine, checked up front with a message saying what to install.

A missing package otherwise surfaces as an ImportError traceback from deep inside
an SCons action; a missing toolchain as "sh: 1: arm-none-eabi-gcc: not found".
"""
from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path

from codegen.errors import TinyforgeError

# import name -> the requirements.txt line that provides it
BUILD_PACKAGES = {
    "numpy": "numpy (comes with tensorflow-cpu)",
    "flatbuffers": "flatbuffers (comes with tflite)",
    "tflite": "tflite",
    "jinja2": "Jinja2",
    "elftools": "pyelftools",
    "unicorn": "unicorn",
}
BOOTSTRAP_HINT = "run scripts/bootstrap (it installs requirements.txt into .venv) and use .venv/bin/scons"
TOOLCHAIN = "arm-none-eabi-gcc"
TOOLCHAIN_HINT = ("run scripts/bootstrap (Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                  "binutils-arm-none-eabi)")


def require_packages(names=BUILD_PACKAGES) -> None:
    """Raise naming every missing Python package."""
    missing = []
    for module in names:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(BUILD_PACKAGES.get(module, module))
    if missing:
        raise TinyforgeError(f"missing Python package{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}: {BOOTSTRAP_HINT}")


def require_toolchain(path: str | None = None) -> None:
    if shutil.which(TOOLCHAIN, path=path) is None:
        raise TinyforgeError(f"{TOOLCHAIN} not found on PATH: {TOOLCHAIN_HINT}")


def require_writable_dir(directory: Path) -> None:
    """Create ``directory`` and prove a file can be written there (as root, permission bits say nothing)."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise TinyforgeError(f"cannot write to the build directory {directory}: "
                             f"{exc.strerror or exc}; make it writable (or remove it) and build again") from None
