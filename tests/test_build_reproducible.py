"""Reproducible and incremental builds, checked through SCons in copies of the repository (issue 7).

Each copy lives in a temporary directory so the tests never touch the working tree's build/.
"""
from __future__ import annotations

import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCONS = Path(sys.executable).parent / "scons"
ARGS = ["board=bluepill", "vectors=1"]
BUILD = Path("build") / "bluepill" / "kws_yes_no"
ACTION = re.compile(r"^(codegen|cc|link|objcopy): (\S+)")
SKIP = {".git", ".venv", "build", "__pycache__", "benchmarks", ".pytest_cache", ".hypothesis"}

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or not SCONS.exists(),
                                reason="arm-none-eabi-gcc or scons not installed")


def copy_repo(destination: Path) -> Path:
    shutil.copytree(REPO, destination, ignore=lambda d, names: [n for n in names if n in SKIP])
    return destination


def tree_env() -> dict:
    """The copied tree builds into its own build/ (the session's TINYFORGE_BUILD_DIR is for the checkout)."""
    return {k: v for k, v in os.environ.items() if k != "TINYFORGE_BUILD_DIR"}


def scons(tree: Path) -> set[str]:
    """Run the build; return the actions it ran ("cc: firmware/...", "codegen: ...")."""
    proc = subprocess.run([str(SCONS), "-Q", *ARGS], cwd=tree, capture_output=True, text=True, env=tree_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {f"{m.group(1)}: {m.group(2)}" for m in map(ACTION.match, proc.stdout.splitlines()) if m}


def compiled(actions: set[str]) -> set[str]:
    return {a.split(": ", 1)[1] for a in actions if a.startswith("cc: ")}


@pytest.fixture(scope="module")
def built_tree(tmp_path_factory):
    tree = copy_repo(tmp_path_factory.mktemp("first") / "tinyforge")
    scons(tree)
    return tree


def test_two_clean_builds_are_byte_identical(built_tree, tmp_path):
    """A second clean build, in another directory, gives the same .bin and .hex byte for byte."""
    other = copy_repo(tmp_path / "elsewhere" / "tinyforge")
    scons(other)
    for name in ("firmware.bin", "firmware.hex"):
        first = (built_tree / BUILD / name).read_bytes()
        assert first == (other / BUILD / name).read_bytes(), name
        assert len(first) > 1000


def test_unchanged_or_unrelated_change_rebuilds_nothing(built_tree):
    assert scons(built_tree) == set()
    (built_tree / "README.md").write_text((built_tree / "README.md").read_text() + "\nunrelated note\n")
    (built_tree / "tests" / "test_unrelated_note.py").write_text("# unrelated\n")
    assert scons(built_tree) == set()


def test_template_change_rebuilds_only_the_model(built_tree):
    scons(built_tree)
    template = built_tree / "templates" / "model.c.j2"
    template.write_text(template.read_text() + "\nconst unsigned char model_template_edited = 1u;\n")
    actions = scons(built_tree)
    assert "codegen: build/bluepill/kws_yes_no/gen" in actions
    assert compiled(actions) == {"build/bluepill/kws_yes_no/gen/model.c"}
    assert "link: build/bluepill/kws_yes_no/firmware.elf" in actions
    assert "objcopy: build/bluepill/kws_yes_no/firmware.bin" in actions


def test_board_file_change_rebuilds_board_dependents_not_kernels(built_tree):
    scons(built_tree)
    board = built_tree / "boards" / "bluepill.toml"
    board.write_text(board.read_text().replace("reserve = 2048", "reserve = 2304"))
    actions = scons(built_tree)
    assert "codegen: build/bluepill/kws_yes_no/gen" in actions
    rebuilt = compiled(actions)
    # app_config.h names the board file in its banner, so the test application recompiles too
    assert {"firmware/board/startup.c", "firmware/app/test_app.c"} <= rebuilt
    assert not any(path.startswith("firmware/kernels/") for path in rebuilt)
    assert "link: build/bluepill/kws_yes_no/firmware.elf" in actions
    assert "_stack_reserve = 2304;" in (built_tree / BUILD / "gen" / "linker.ld").read_text()


def test_model_change_rebuilds_the_model_not_kernels(built_tree):
    import tflite

    scons(built_tree)
    model = built_tree / "models" / "kws_yes_no.tflite"
    data = bytearray(model.read_bytes())
    from codegen.model.tflite_model import load_model

    intact = load_model(model)
    fc_weights = next(op.inputs[1] for op in intact.operators if op.opcode == "FULLY_CONNECTED")
    m = tflite.Model.GetRootAsModel(bytes(data), 0)
    weights = m.Buffers(m.Subgraphs(0).Tensors(fc_weights).Buffer())   # int8 weights: any value is valid
    at = weights._tab.Vector(weights._tab.Offset(4))
    data[at] = (data[at] + 1) % 256 if data[at] != 127 else 126
    model.write_bytes(bytes(data))
    actions = scons(built_tree)
    assert "codegen: build/bluepill/kws_yes_no/gen" in actions
    rebuilt = compiled(actions)
    assert "build/bluepill/kws_yes_no/gen/model.c" in rebuilt
    # the application's generated config names the model it was made for, so the app may recompile; the
    # kernels, the runtime and the board code never do
    assert not any(path.startswith(("firmware/kernels/", "firmware/runtime/", "firmware/board/")) for path in rebuilt)
    assert "objcopy: build/bluepill/kws_yes_no/firmware.bin" in actions


def test_unwritable_build_dir_says_what_to_fix(built_tree):
    """A file where the build directory should be (root ignores permission bits, so this is the case a
    test can make everywhere) stops the build with one line naming the directory."""
    shutil.copy(built_tree / "models" / "kws_yes_no.tflite", built_tree / "models" / "other.tflite")
    blocker = built_tree / "build" / "bluepill" / "other"
    blocker.write_text("not a directory")
    proc = subprocess.run([str(SCONS), "-Q", "board=bluepill", "vectors=1", "model=models/other.tflite"],
                          cwd=built_tree, capture_output=True, text=True, env=tree_env())
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: cannot write to the build directory {blocker}: File exists; make it writable (or remove it) "
        "and build again")
