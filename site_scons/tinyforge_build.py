"""SCons side of tinyforge: the codegen step, the cross build, the size report
and the ``test`` target. ``SConstruct`` only reads arguments and calls these.

The codegen step lists every file it reads as a source (model, inputs, board
file, templates, codegen's own Python, recipe and label tables) plus the build
arguments as values, so a change to any of them regenerates, and SCons'
content signatures keep an unchanged regeneration from recompiling.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import SCons.Script as S

ROOT = Path(S.Dir("#").abspath)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codegen.boards import Board, load_board  # noqa: E402
from codegen.errors import TinyforgeError  # noqa: E402

DEFAULT_MODEL = ROOT / "models" / "kws_yes_no.tflite"
DEFAULT_INPUTS = str(ROOT / "models" / "demo" / "*.wav")
GENERATED = ["model.c", "model.h", "test_inputs.c", "test_inputs.h", "main.c", "board.h", "linker.ld",
             "manifest.json"]
COMMON_CFLAGS = ["-std=c99", "-Os", "-g", "-Wall", "-Wextra", "-Werror", "-ffunction-sections",
                 "-fdata-sections", "-fno-common"]
LINK_FLAGS = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"]


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    S.Exit(2)


def launch_path(value: str) -> Path:
    """Paths on the command line are relative to where the user ran scons."""
    path = Path(value)
    return path if path.is_absolute() else Path(S.GetLaunchDir()) / path


def read_arguments(arguments) -> dict:
    try:
        board = load_board(arguments.get("board", "bluepill"))
    except TinyforgeError as exc:
        fail(str(exc))
    model = launch_path(arguments["model"]) if "model" in arguments else DEFAULT_MODEL
    if not model.is_file():
        fail(f"model '{model}' not found")
    inputs = arguments.get("inputs")
    if inputs is None and model == DEFAULT_MODEL and "vectors" not in arguments:
        inputs = DEFAULT_INPUTS
    if inputs:
        inputs = " ".join(str(launch_path(item)) for item in inputs.split())
    try:
        vectors = int(arguments.get("vectors", 3))
    except ValueError:
        fail(f"vectors={arguments['vectors']}: expected a whole number")
    return dict(board=board, model=model.resolve(), inputs=inputs or None, vectors=vectors,
                recipe=arguments.get("recipe"), labels=arguments.get("labels"),
                max_instructions=int(arguments.get("max_instructions", 500_000_000)))


def _input_files(args: dict) -> list[Path]:
    if not args["inputs"]:
        return []
    from codegen.inputs import expand_patterns
    try:
        return [p.resolve() for p in expand_patterns(args["inputs"])]
    except TinyforgeError as exc:
        fail(str(exc))


def codegen_action(args: dict, gen_dir: Path, input_files: list[Path]):
    def generate(target, source, env):
        from codegen.generate import generate_firmware
        from codegen.inputs import resolve_cases
        from codegen.labels import resolve_labels
        from codegen.lower import compile_model
        from codegen.tflite_model import load_model
        try:
            model = load_model(args["model"])
            compiled = compile_model(model)
            cases = resolve_cases(model, [str(p) for p in input_files] or None, args["vectors"], args["recipe"])
            labels = resolve_labels(model, args["labels"])
            generate_firmware(args["board"], compiled, cases, labels, gen_dir, input_files)
        except TinyforgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    return S.Action(generate, "codegen: $TARGET.dir from " + args["model"].name)


def _link_action(target, source, env):
    """Link, turning ld's overflow messages into one line saying by how much."""
    cmd = [env.subst("$CC"), *env["LINK_TARGET_FLAGS"], "-T", str(env["LINKER_SCRIPT"]),
           f"-Wl,-Map={env['MAP_FILE']}", "-o", str(target[0]), *[str(s) for s in source], "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 0:
        return 0
    overflows = re.findall(r"region [`']?(\w+)'? overflowed by (\d+) bytes", proc.stderr)
    board: Board = env["BOARD"]
    if overflows:
        sizes = {"FLASH": board.flash.length, "RAM": board.ram.length}
        parts = [f"{region} overflowed by {int(n):,} bytes (the region is {sizes.get(region, 0):,} bytes)"
                 for region, n in dict(overflows).items()]
        print(f"error: the firmware does not fit {board.name}: {'; '.join(parts)}", file=sys.stderr)
    else:
        print(" ".join(cmd), file=sys.stderr)
        sys.stderr.write(proc.stderr)
    return 1


def size_report(target, source, env):
    from codegen.size_report import format_size_report, measure
    board: Board = env["BOARD"]
    report = format_size_report(measure(str(source[0]), board, str(source[1])), board)
    print(report)
    Path(str(target[0])).write_text(report + "\n")
    return 0


def test_action(args: dict, build_dir: Path):
    def run(target, source, env):
        from codegen.testrun import run_test
        try:
            return run_test(Path(str(source[0])), args["board"], build_dir / "gen" / "manifest.json",
                            build_dir / "results.json", args["max_instructions"])
        except TinyforgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return S.Action(run, "test: $SOURCE in the emulator")


def firmware(env, args: dict):
    """Declare the whole build for one board and model; returns the build directory."""
    board: Board = args["board"]
    if not env.WhereIs("arm-none-eabi-gcc"):
        fail("arm-none-eabi-gcc not found: run scripts/bootstrap "
             "(Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    build_dir = ROOT / "build" / board.name / args["model"].stem
    gen_dir = build_dir / "gen"
    input_files = _input_files(args)

    generated = env.Command(
        [str(gen_dir / name) for name in GENERATED],
        [str(args["model"]), *map(str, input_files), str(board.path),
         *S.Glob(str(ROOT / "templates" / "*.j2")), *S.Glob(str(ROOT / "codegen" / "*.py")),
         *S.Glob(str(ROOT / "codegen" / "features" / "*")), str(ROOT / "models" / "known_models.toml"),
         env.Value(repr(sorted((k, str(v)) for k, v in args.items() if k not in ("board", "max_instructions"))))],
        codegen_action(args, gen_dir, input_files))

    cross = env.Clone(CC="arm-none-eabi-gcc", OBJCOPY="arm-none-eabi-objcopy",
                      CCFLAGS=[*board.cflags, *COMMON_CFLAGS], CPPPATH=[str(gen_dir), str(ROOT / "firmware" / "include")],
                      BOARD=board, LINKER_SCRIPT=gen_dir / "linker.ld", MAP_FILE=build_dir / "firmware.map",
                      LINK_TARGET_FLAGS=[*board.cflags, *LINK_FLAGS])
    if not S.GetOption("silent") and S.ARGUMENTS.get("verbose") != "1":
        cross["CCCOMSTR"] = "cc: $SOURCE"
    firmware_sources = [
        *sorted((ROOT / "firmware" / "kernels").glob("*.c")),
        *sorted((ROOT / "firmware" / "runtime").glob("*.c")),
        ROOT / "firmware" / "board" / "startup.c",
        ROOT / "firmware" / "board" / f"console_{board.console['kind']}.c",
    ]
    objects = [cross.Object(str(build_dir / "obj" / src.relative_to(ROOT / "firmware").with_suffix(".o")), str(src))
               for src in firmware_sources]
    for name in ("model.c", "test_inputs.c", "main.c"):
        objects.append(cross.Object(str(build_dir / "obj" / "gen" / name.replace(".c", ".o")), str(gen_dir / name)))
    cross.Depends(objects, generated)

    elf = cross.Command(str(build_dir / "firmware.elf"), objects,
                        S.Action(_link_action, "link: $TARGET"))
    cross.Depends(elf, str(gen_dir / "linker.ld"))
    cross.SideEffect(str(build_dir / "firmware.map"), elf)
    binary = cross.Command(str(build_dir / "firmware.bin"), elf, S.Action("$OBJCOPY -O binary $SOURCE $TARGET", "objcopy: $TARGET"))
    hexfile = cross.Command(str(build_dir / "firmware.hex"), elf, S.Action("$OBJCOPY -O ihex $SOURCE $TARGET", "objcopy: $TARGET"))
    report = cross.Command(str(build_dir / "size.txt"), [elf, str(gen_dir / "manifest.json")],
                           S.Action(size_report, None))
    outputs = [elf, binary, hexfile, report]
    env.Default(outputs)

    test = env.Alias("test", [elf, str(gen_dir / "manifest.json"), *outputs], test_action(args, build_dir))
    env.AlwaysBuild(test)
    return build_dir


def os_path() -> str:
    """The user's PATH, so a toolchain installed outside /usr/bin is found."""
    import os
    return os.environ.get("PATH", "/usr/bin:/bin")
