"""How firmware is compiled: the one list of generated files, of firmware sources and of compiler flags.

SCons (``site_scons/tinyforge_build.py``), the host build (``codegen.verify.hostrun``) and the tests'
firmware builds (``tests/firmware_build.py``) all take them from here, so a test compiles the kernels exactly
as a product build does.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from codegen.paths import FIRMWARE_DIR

# Every C build: product firmware, test firmware and the host build of the same kernels.
# -ffp-contract=off: a float multiply and add stay two roundings (no fused multiply-add), as in TFLite's float
# reference kernels, so float32 layers give TFLite's bits on every core.
C_FLAGS = ["-std=c99", "-Os", "-g", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections",
           "-fno-common", "-ffp-contract=off"]
# Cross links: our own startup, newlib-nano, and only the sections something references.
LINK_FLAGS = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"]
INCLUDE_DIRS = [FIRMWARE_DIR / "include"]

# Generated into gen/ for every firmware; the test app adds its inputs and TFLite's outputs.
MODEL_FILES = ["model.c", "model.h"]
BOARD_FILES = ["board.h", "linker.ld", "build_info.c"]
TEST_APP_FILES = ["app_config.h", "test_inputs.c", "test_inputs.h", "test_expected.c", "test_expected.h"]
STREAM_APP_FILES = ["app_config.h"]
EVALUATE_APP_FILES = ["app_config.h"]
FRONTEND_FILES = ["audio_frontend_config.h", "audio_frontend_tables.h", "audio_frontend_tables.c"]


def generated_files(app: str = "test", frontend: str = "host", board=None) -> list[str]:
    """The names ``codegen.emit`` writes into gen/ for ``app`` (test, stream or evaluate) and ``frontend``;
    a board with a second-stage bootloader (``[boot] stage2``) adds ``boot2.c``."""
    boot = ["boot2.c"] if board is not None and board.data.get("boot", {}).get("stage2") else []
    names = MODEL_FILES + BOARD_FILES + boot + {"stream": STREAM_APP_FILES, "evaluate": EVALUATE_APP_FILES}.get(
        app, TEST_APP_FILES)
    if app == "stream" or frontend == "device":
        names += FRONTEND_FILES
    return names + ["manifest.json"]


def kernel_sources() -> list[Path]:
    return sorted((FIRMWARE_DIR / "kernels").glob("*.c"))


def runtime_sources() -> list[Path]:
    """What every firmware links besides the kernels: console formatting, semihosting, profiling markers."""
    return sorted((FIRMWARE_DIR / "runtime").glob("*.c"))


def console_driver(board) -> Path:
    return FIRMWARE_DIR / "board" / f"console_{board.console['kind']}.c"


def board_sources(board) -> list[Path]:
    """Startup and the board's console driver."""
    return [FIRMWARE_DIR / "board" / "startup.c", console_driver(board)]


def app_sources(app: str = "test", frontend: str = "host") -> list[Path]:
    """The application and the audio code it needs (firmware/app/, firmware/audio/)."""
    sources = [FIRMWARE_DIR / "app" / f"{app}_app.c"]
    if app == "stream" or frontend == "device":
        sources.append(FIRMWARE_DIR / "audio" / "microfrontend.c")
    if app == "stream":
        sources += [FIRMWARE_DIR / "audio" / "recognizer.c", FIRMWARE_DIR / "audio" / "stream_input.c"]
    if app == "evaluate":
        sources.append(FIRMWARE_DIR / "audio" / "stream_input.c")
    return sources


def flags_key(command_flags: str) -> str:
    """A folder name for objects compiled with ``command_flags``: the core's name and a hash of the flags, so
    builds with the same flags share the objects and a change of flag or board core compiles afresh."""
    core = next((f.split("=", 1)[1] for f in command_flags.split() if f.startswith("-mcpu=")), "host")
    return f"{core}-{hashlib.sha256(command_flags.encode()).hexdigest()[:12]}"


def firmware_sources(board, app: str = "test", frontend: str = "host") -> list[Path]:
    """Every checked-in C file of one firmware, in link order (the generated ones are beside them in gen/)."""
    return [*kernel_sources(), *runtime_sources(), *board_sources(board), *app_sources(app, frontend)]


def target_flags(board) -> list[str]:
    """Compile flags for ``board``: its core's flags and the common ones."""
    return [*board.cflags, *C_FLAGS]
