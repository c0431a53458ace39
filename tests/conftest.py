"""Shared pytest fixtures; the firmware build helpers they use live in firmware_build.py."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from firmware_build import TEST_FIRMWARE, compile_firmware


@pytest.fixture
def build_firmware(tmp_path):
    """``build_firmware(sources, name="fw", board="bluepill", extra_flags=())`` -> ELF path.

    Sources given as bare names are looked up in tests/firmware/."""
    def build(sources, name="firmware", board="bluepill", extra_flags=(), out_dir=None):
        paths = [s if Path(s).is_absolute() else TEST_FIRMWARE / s for s in sources]
        return compile_firmware(paths, out_dir or tmp_path / name, board=board, name=name,
                                extra_flags=extra_flags)
    return build


def pytest_configure(config):
    """Every build a test makes (scons, conformance firmware, host executables) goes to one temporary folder
    per session, never to the repository's build/: a test run leaves a developer's builds alone."""
    if "TINYFORGE_BUILD_DIR" not in os.environ:
        os.environ["TINYFORGE_BUILD_DIR"] = tempfile.mkdtemp(prefix="tinyforge-test-build-")
        config._tinyforge_build_dir = os.environ["TINYFORGE_BUILD_DIR"]


def pytest_unconfigure(config):
    made = getattr(config, "_tinyforge_build_dir", None)
    if made and not os.environ.get("TINYFORGE_KEEP_TEST_BUILDS"):
        shutil.rmtree(made, ignore_errors=True)


# Files whose tests build firmware with scons, run models end to end, train, or convert and run the
# conformance suite: `pytest -m slow`. Everything else (unit, kernel, verifier, planner and emulator tests)
# is `pytest -m fast`, a few minutes in all. CI runs both.
SLOW_FILES = {"test_end_to_end.py", "test_build_reproducible.py", "test_stream.py", "test_audio_device.py",
              "test_profile.py", "test_training.py", "test_fuzz_models.py", "test_typed_io_and_stateful_ops.py",
              "test_flash.py", "test_renode.py", "test_boards.py", "test_default_model.py", "test_conformance.py",
              "test_on_device.py", "test_firmware_checks.py", "test_library.py",
              "test_readme.py", "test_report.py", "test_stream_real_voices.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        # a test marked slow itself (a host build in a file of quick checks) stays out of the fast subset
        slow = item.path.name in SLOW_FILES or item.get_closest_marker("slow") is not None
        item.add_marker(pytest.mark.slow if slow else pytest.mark.fast)
    # The conformance suite runs last: its models convert in the background meanwhile (tests/conformance/conftest.py).
    items.sort(key=lambda item: "conformance" in item.path.parts)
