"""Shared pytest fixtures; the firmware build helpers they use live in firmware_build.py."""
from __future__ import annotations

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
