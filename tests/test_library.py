"""``scons board=B model=M lib``: the model as a C library in a user's own project (tests/library_user/).

Two exported models link into one host program and one bare-metal firmware, built with CMake as a user
would build them; both give TFLite's bytes. The library compiles without a warning at every optimization
level with arm-none-eabi-gcc for each board's core and with the host's gcc and clang, exports only prefixed
symbols, and refuses, in one line, a build for a core it was not generated for."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.compiler.select import Target
from codegen.emit.library import export_library
from codegen.model.tflite_model import load_model
from codegen.paths import build_root
from codegen.pipeline import compile_model
from codegen.target.boards import load_board
from codegen.verify.emulator import run_firmware
from codegen.verify.reference import reference_outputs
from parallel_runs import ParallelRuns

ROOT = Path(__file__).resolve().parent.parent
USER = Path(__file__).resolve().parent / "library_user"
KWS = ROOT / "models" / "kws_yes_no.tflite"
SPEECH = ROOT.parent / "shared" / "models" / "micro_speech_quantized.tflite"
SCONS = Path(sys.executable).with_name("scons")
from codegen.target.boards import known_boards  # noqa: E402
BOARDS = known_boards()   # every board file: a new board is tested as soon as it exists
LEVELS = ["-O0", "-Og", "-O1", "-O2", "-O3", "-Os"]
WARNINGS = "-Wall -Wextra -Werror"

needs = pytest.mark.skipif(not SPEECH.is_file() or shutil.which("cmake") is None,
                           reason="needs ../shared/models and cmake")


def export(board: str, model: Path, prefix: str, arena: str, folder: Path) -> Path:
    b = load_board(board)
    export_library(b, compile_model(load_model(model), Target.of(b)), folder, prefix, arena)
    return folder


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def seeded_input(model: Path, seed: int) -> np.ndarray:
    t = load_model(model)
    tensor = t.tensors[t.inputs[0]]
    return np.random.default_rng(seed).integers(-128, 128, tensor.shape, dtype=np.int8)


def expected_output(model: Path, x: np.ndarray) -> bytes:
    return reference_outputs(model, [[x]])[0][0].tobytes()


def library_sources(folder: Path) -> list[Path]:
    return sorted((folder / "src").rglob("*.c"))


# ---- the scons target -----------------------------------------------------------------------------

def scons(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCONS), "-Q", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_scons_lib_writes_only_what_the_model_needs():
    proc = scons("board=efr32mg24", "lib")
    assert proc.returncode == 0, proc.stderr
    folder = build_root() / "efr32mg24" / "kws_yes_no-lib"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == ["CMakeLists.txt", "README.md", "include/kws_yes_no.h", "kws_yes_no.mk",
                     "src/kernels/core_features.h", "src/kernels/depthwise_ring.h", "src/kernels/dot_rows_s8.h",
                     "src/kernels/kws_yes_no_conv2d_tap_pairs_s8.c", "src/kernels/kws_yes_no_depthwise_conv2d_3x3_s8.c",
                     "src/kernels/kws_yes_no_fully_connected_fast_s8.c", "src/kernels/kws_yes_no_pointwise_conv_s8.c",
                     "src/kernels/kws_yes_no_softmax_s8.c", "src/kernels/pixel_pair_sums_s8.h",
                     "src/kernels/requantize.h", "src/kws_yes_no_model.c",
                     "src/kws_yes_no_symbols.h", "src/tinyforge/kernels.h"]
    header = (folder / "include" / "kws_yes_no.h").read_text()
    for name in ("int kws_yes_no_invoke(void);", "void kws_yes_no_reset(void);", "int8_t *kws_yes_no_input(int index);",
                 "int8_t *kws_yes_no_output(int index);", "#define KWS_YES_NO_ARENA_SIZE 6336",
                 "#define KWS_YES_NO_INPUT0_TYPE int8_t", "#define KWS_YES_NO_INPUT0_BYTES 1960",
                 "#define KWS_YES_NO_INPUT0_SCALE ", "#define KWS_YES_NO_INPUT0_ZERO_POINT ",
                 "#define KWS_YES_NO_OUTPUT0_SCALE 0.00390625f", "#define KWS_YES_NO_OUTPUT0_ZERO_POINT -128"):
        assert name in header
    assert "_init(" not in header and "ERROR_NO_ARENA" not in header   # arena=static: the library owns it
    assert "DO NOT EDIT" in (folder / "src" / "kernels" / "kws_yes_no_softmax_s8.c").read_text()
    assert "add_library(kws_yes_no STATIC" in (folder / "CMakeLists.txt").read_text()
    mk = (folder / "kws_yes_no.mk").read_text()
    assert all(f"kws_yes_no_{v} :=" in mk for v in ("SRCS", "INCLUDES", "CFLAGS"))


@pytest.mark.parametrize("args, message", [
    (["prefix=2fast"], "error: prefix=2fast: a library prefix must be a C identifier (letters, digits and _, not "
                       "starting with a digit)"),
    (["prefix=model"], "error: prefix=model: 'model' is what tinyforge's own firmware uses; choose another"),
    (["arena=heap"], "error: arena=heap: expected static or external"),
])
def test_bad_library_options_are_one_line(args, message):
    proc = scons("board=bluepill", "lib", *args)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == message


# ---- a host project with two models -----------------------------------------------------------------

@needs
@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_host_project_links_two_models_and_matches_tflite(tmp_path, compiler):
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not installed")
    # DSP weight layouts for one, plain ones for the other: the host's plain C runs both.
    kws = export("efr32mg24", KWS, "kws", "external", tmp_path / "kws")
    speech = export("bluepill", SPEECH, "speech", "external", tmp_path / "speech")
    build = tmp_path / "build"
    run(["cmake", "-S", USER / "host", "-B", build, f"-DCMAKE_C_COMPILER={compiler}",
         f"-DCMAKE_C_FLAGS={WARNINGS} -O2", f"-DKWS_DIR={kws}", f"-DSPEECH_DIR={speech}"])
    run(["cmake", "--build", build])
    x_kws, x_speech = seeded_input(KWS, 1), seeded_input(SPEECH, 2)
    (tmp_path / "kws.in").write_bytes(x_kws.tobytes())
    (tmp_path / "speech.in").write_bytes(x_speech.tobytes())
    proc = run([build / "user_app", tmp_path / "kws.in", tmp_path / "kws.out", tmp_path / "speech.in",
                tmp_path / "speech.out"])
    assert proc.stdout.startswith("kws scores:")
    assert (tmp_path / "kws.out").read_bytes() == expected_output(KWS, x_kws)
    assert (tmp_path / "speech.out").read_bytes() == expected_output(SPEECH, x_speech)


@needs
@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_library_compiles_without_warnings_on_the_host_at_every_level(tmp_path, compiler):
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not installed")
    folder = export("efr32mg24", KWS, "kws", "static", tmp_path / "kws")
    for level in LEVELS:
        for source in library_sources(folder):
            run([compiler, "-std=c99", *WARNINGS.split(), level, f"-I{folder / 'include'}", f"-I{folder / 'src'}",
                 "-c", source, "-o", tmp_path / "x.o"])


def kernels_with_assembly() -> list[Path]:
    """The kernel sources whose inline assembly (their own, or a kernel header's they include) asks for most of
    the registers: whether GCC can give it them depends on the level (at -O0 r7 is the frame pointer)."""
    from codegen.paths import FIRMWARE_DIR
    kernels = FIRMWARE_DIR / "kernels"
    with_asm = {p.name for p in kernels.glob("*.h") if "__asm__" in p.read_text()}
    return sorted(p for p in kernels.glob("*.c") if "__asm__" in p.read_text()
                  or any(f'#include "{h}"' in p.read_text() for h in with_asm))


def test_assembly_kernels_compile_at_O0_for_every_core(tmp_path):
    """A user's debug build takes the exported kernels to -O0, where r7 is the frame pointer: every kernel with
    inline assembly compiles there without a warning for each kernel build's core. The two models above export
    only some of them; every kernel builds at -Os, the product's level, in the conformance suite, and the files
    with asm loops take -O3 by pragma at the other levels."""
    from concurrent.futures import ThreadPoolExecutor
    from codegen.paths import FIRMWARE_DIR
    from firmware_build import boards_by_kernel_build
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    sources = kernels_with_assembly()
    assert any(s.name == "unidirectional_sequence_lstm_s8.c" for s in sources)
    jobs = [(load_board(group[0]), source) for group in boards_by_kernel_build().values() for source in sources]

    def compile_one(job):
        board, source = job
        out = tmp_path / f"{board.name}-{source.stem}.o"
        proc = subprocess.run(["arm-none-eabi-gcc", *board.cflags, "-std=c99", *WARNINGS.split(), "-O0",
                               f"-I{FIRMWARE_DIR / 'include'}", "-c", str(source), "-o", str(out)],
                              capture_output=True, text=True)
        return None if proc.returncode == 0 else f"{source.name} for {board.core} at -O0: {proc.stderr[:400]}"
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(compile_one, jobs) if f]
    assert not failures, "\n".join(failures)


# ---- a bare-metal firmware for every core and level ----------------------------------------------

def write_vectors(folder: Path, x_kws, x_speech) -> None:
    def array(name, data: bytes) -> str:
        values = ", ".join(str(int(v)) for v in np.frombuffer(data, np.int8))
        return f"static const int8_t {name}[{len(data)}] = {{ {values} }};\n"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vectors.h").write_text(
        "#include <stdint.h>\n" + array("kws_test_input", x_kws.tobytes())
        + array("kws_expected_output", expected_output(KWS, x_kws))
        + array("speech_test_input", x_speech.tobytes())
        + array("speech_expected_output", expected_output(SPEECH, x_speech)))


def levels_for(board: str) -> list[str]:
    """Every level on the first board of each kernel build; -Os, the level a release build takes, on the boards
    that link the same kernel objects (their memory map, startup and second stage still run)."""
    from firmware_build import boards_by_kernel_build
    first = {group[0] for group in boards_by_kernel_build().values()}
    return LEVELS if board in first else ["-Os"]


def build_and_run_firmware_project(board: str, tmp_path: Path) -> None:
    """The user's CMake project with both libraries, at the levels levels_for gives the board: built, run in the
    emulator, both models' outputs checked by the firmware itself (its exit code)."""
    b = load_board(board)
    kws = export(board, KWS, "kws", "static", tmp_path / "kws")
    speech = export(board, SPEECH, "speech", "static", tmp_path / "speech")
    x_kws, x_speech = seeded_input(KWS, 3), seeded_input(SPEECH, 4)
    write_vectors(tmp_path / "vectors", x_kws, x_speech)
    # On the RP2040 the user's firmware needs a second stage too (the Pico SDK brings one): ours will do.
    from codegen.emit.boot2 import render_boot2
    boot2 = render_boot2(b, tmp_path / "boot2")
    for level in levels_for(board):
        build = tmp_path / f"build{level}"
        run(["cmake", "-S", USER / "firmware", "-B", build,
             f"-DCMAKE_TOOLCHAIN_FILE={USER / 'firmware' / 'arm-none-eabi.cmake'}",
             # CMAKE_C_FLAGS replaces the toolchain file's initial flags, so it names the core again
             f"-DCPU_FLAGS={' '.join(b.cflags)}", f"-DCMAKE_C_FLAGS={' '.join(b.cflags)} {WARNINGS} {level}",
             f"-DKWS_DIR={kws}", f"-DSPEECH_DIR={speech}", f"-DVECTORS_DIR={tmp_path / 'vectors'}",
             f"-DFLASH_ORIGIN={b.flash.origin:#x}", f"-DFLASH_LENGTH={b.flash.length:#x}",
             f"-DRAM_ORIGIN={b.ram.origin:#x}", f"-DRAM_LENGTH={b.ram.length:#x}",
             f"-DBOOT2_C={boot2[0] if boot2 else ''}"])
        run(["cmake", "--build", build])
        result = run_firmware(build / "user_firmware.elf", b, max_instructions=100_000_000, count=False)
        assert result.fault is None, f"{board} {level}: {result.fault.message}"
        assert result.exit_code == 0, f"{board} {level}: exit {result.exit_code} (1: kws, 2: speech mismatched)"
        if level == "-Os":
            for library in (build / "kws" / "libkws.a", build / "speech" / "libspeech.a"):
                prefix = library.stem.removeprefix("lib")
                assert unprefixed_symbols("arm-none-eabi-nm", library, prefix) == []


@pytest.fixture(scope="module")
def firmware_projects(request, tmp_path_factory):
    """Every selected board's firmware project, two boards at a time."""
    runs = ParallelRuns(request, {"test_firmware_project_passes_in_the_emulator"},
                        lambda _, params: build_and_run_firmware_project(
                            params["board"], tmp_path_factory.mktemp(f"project-{params['board']}")))
    yield runs
    runs.close()


@needs
@pytest.mark.parametrize("board", BOARDS)
def test_firmware_project_passes_in_the_emulator(firmware_projects, board, request):
    firmware_projects.result(request)


def unprefixed_symbols(nm: str, library: Path, prefix: str) -> list[str]:
    """Global symbols the library defines that do not start with ``<prefix>_``."""
    out = run([nm, "-g", "--defined-only", library]).stdout
    names = [line.split()[-1] for line in out.splitlines() if re.match(r"^[0-9a-f]+ [A-Z] ", line)]
    assert names, f"{library} defines no global symbol"
    return [n for n in names if not n.startswith(f"{prefix}_")]


@needs
def test_host_library_exports_only_prefixed_symbols(tmp_path):
    folder = export("efr32mg12", KWS, "kws", "external", tmp_path / "kws")
    objects = []
    for source in library_sources(folder):
        objects.append(tmp_path / f"{source.stem}.o")
        run(["gcc", "-std=c99", "-O2", f"-I{folder / 'include'}", f"-I{folder / 'src'}", "-c", source,
             "-o", objects[-1]])
    run(["ar", "rcs", tmp_path / "libkws.a", *objects])
    assert unprefixed_symbols("nm", tmp_path / "libkws.a", "kws") == []


# ---- the wrong-core guard -------------------------------------------------------------------------

@pytest.mark.parametrize("made_for, built_for, message", [
    ("efr32mg24", ["-mthumb", "-mcpu=cortex-m3"],
     'Regenerate kws for this core: it was generated for cortex-m33 with the DSP extension (board efr32mg24)'),
    ("bluepill", ["-mthumb", "-mcpu=cortex-m4"],
     'Regenerate kws for this core: it was generated for cortex-m3 without the DSP extension (board bluepill)'),
    ("efr32mg24", ["-mthumb", "-mcpu=cortex-m33+nodsp"],
     'Regenerate kws for this core: it was generated for cortex-m33 with the DSP extension (board efr32mg24)'),
])
def test_a_build_for_another_core_says_regenerate(tmp_path, made_for, built_for, message):
    folder = export(made_for, KWS, "kws", "static", tmp_path / "kws")
    proc = subprocess.run(["arm-none-eabi-gcc", *built_for, "-std=c99", f"-I{folder / 'include'}",
                           f"-I{folder / 'src'}", "-c", str(folder / "src" / "kws_model.c"), "-o",
                           str(tmp_path / "x.o")], capture_output=True, text=True)
    assert proc.returncode != 0
    assert f'#error "{message}"' in proc.stderr


@needs
def test_make_fragment_builds_a_host_program(tmp_path):
    """A Makefile project as P.mk's header comment says to write one."""
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    export("efr32mg24", KWS, "kws", "static", tmp_path / "kws")
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "kws.h"\n'
        'int main(void)\n{\n    FILE *f = fopen("in.bin", "rb");\n'
        '    if (f == NULL || fread(kws_input(0), 1, KWS_INPUT0_BYTES, f) != KWS_INPUT0_BYTES) {\n        return 2;\n    }\n'
        '    fclose(f);\n    kws_reset();\n    if (kws_invoke() != KWS_OK) {\n        return 3;\n    }\n'
        '    fwrite(kws_output(0), 1, KWS_OUTPUT0_BYTES, stdout);\n    return 0;\n}\n')
    (tmp_path / "Makefile").write_text(
        "include kws/kws.mk\nSRCS := main.c $(kws_SRCS)\nCFLAGS += -O2 -Wall -Wextra -Werror $(kws_CFLAGS)\n"
        "app: $(SRCS)\n\t$(CC) $(CFLAGS) $(SRCS) -o $@\n")
    run(["make", "-C", tmp_path, "app"])
    x = seeded_input(KWS, 5)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    out = subprocess.run([str(tmp_path / "app")], cwd=tmp_path, capture_output=True)
    assert out.returncode == 0 and out.stdout == expected_output(KWS, x)


def test_a_model_named_model_builds_and_exports_under_another_prefix(tmp_path):
    """'model' is the firmware's own prefix: a model file of that name still builds, and its library is
    model_lib unless prefix= says otherwise."""
    model = tmp_path / "model.tflite"
    model.write_bytes(KWS.read_bytes())
    assert scons("board=bluepill", f"model={model}", "vectors=1").returncode == 0
    proc = scons("board=bluepill", f"model={model}", "lib")
    assert proc.returncode == 0, proc.stderr
    assert (build_root() / "bluepill" / "model-lib" / "include" / "model_lib.h").is_file()
