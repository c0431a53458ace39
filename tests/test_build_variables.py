"""Build variables are declared (site_scons/build_variables.py): `scons -h` lists them with an example, and an
unknown name or a bad value stops the build with one line before anything is built."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCONS = Path(sys.executable).with_name("scons")


def scons(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCONS), "-Q", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_help_lists_every_variable_with_an_example():
    proc = scons("-h")
    assert proc.returncode == 0
    assert "  scons board=bluepill test " in proc.stdout
    sys.path.insert(0, str(ROOT / "site_scons"))
    try:
        import build_variables
    finally:
        sys.path.remove(str(ROOT / "site_scons"))
    for variable in build_variables.VARIABLES:
        assert f"\n  {variable.name}=" in proc.stdout, variable.name
    assert "  frontend= (default host)\n      host: features embedded;" in proc.stdout
    assert "One of: host, device." in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["input=yes.wav"], "error: unknown build variable 'input'; did you mean inputs=? (scons -h lists them)"),
    (["modle=m.tflite"], "error: unknown build variable 'modle'; did you mean model=? (scons -h lists them)"),
    (["colour=red"], "error: unknown build variable 'colour' (scons -h lists them)"),
    (["dryrun=yes"], "error: dryrun=yes: expected 0 or 1"),
    (["vectors=many"], "error: vectors=many: expected a whole number"),
    (["max_instructions=lots"], "error: max_instructions=lots: expected a whole number"),
    (["frontend=cloud"], "error: frontend=cloud: expected host or device"),
    (["app=demo"], "error: app=demo: expected test or stream or evaluate"),
    (["optimize=fast"], "error: optimize=fast: expected size or speed"),
])
def test_a_bad_variable_stops_the_build_in_one_line(args, message):
    proc = scons("board=bluepill", *args)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [message]
    assert "codegen:" not in proc.stdout and "cc:" not in proc.stdout
