"""SCons side of tinyforge: the codegen step, the cross build, the size report
and the ``test`` target. ``SConstruct`` only reads arguments and calls these.

The codegen step lists every file it reads as a source (model, inputs, board
file, templates, codegen's own Python, recipe and label tables) plus the build
arguments as values, so a change to any of them regenerates, and SCons'
content signatures keep an unchanged regeneration from recompiling.
"""
from __future__ import annotations

import atexit
import re
import subprocess
import sys
from pathlib import Path

import SCons.Script as S

ROOT = Path(S.Dir("#").abspath)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codegen.target.boards import Board, load_board  # noqa: E402
from codegen.target.host_tools import require_packages, require_writable_dir  # noqa: E402
from codegen.target import toolchain  # noqa: E402
from codegen.paths import build_root  # noqa: E402
from codegen.errors import TinyforgeError  # noqa: E402

DEFAULT_MODEL = ROOT / "models" / "kws_yes_no.tflite"
DEFAULT_INPUTS = str(ROOT / "models" / "demo" / "*.wav")


def codegen_sources() -> list[Path]:
    """The codegen files a firmware build depends on: everything but training and the command line."""
    return sorted(p for p in (ROOT / "codegen").rglob("*")
                  if p.is_file() and p.suffix in (".py", ".toml")
                  and not {"training", "cli", "__pycache__"}.intersection(p.relative_to(ROOT / "codegen").parts))


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    S.Exit(2)


def launch_path(value: str) -> Path:
    """Paths on the command line are relative to where the user ran scons."""
    path = Path(value)
    return path if path.is_absolute() else Path(S.GetLaunchDir()) / path


def read_arguments(arguments) -> dict:
    try:
        require_packages()
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
    audio = _audio_arguments(arguments)
    # optimize= was checked against its choices with every other variable (build_variables.check, SConstruct)
    return dict(board=board, model=model.resolve(), inputs=inputs or None, vectors=vectors,
                optimize=arguments.get("optimize", "size"),
                recipe=arguments.get("recipe"), labels=arguments.get("labels"), **audio,
                max_instructions=int(arguments.get("max_instructions", 500_000_000)), probe=arguments.get("probe"),
                count=arguments.get("count", "yes") == "yes", progress=arguments.get("progress", "yes") == "yes",
                debug=_debug_argument(arguments), **_library_arguments(arguments, model))


def _library_arguments(arguments, model: Path) -> dict:
    """prefix= and arena= of the lib target (codegen.emit.library); checked whatever the target."""
    from codegen.emit.library import check_options, default_prefix
    prefix = arguments.get("prefix", default_prefix(model.stem))
    arena = arguments.get("arena", "static")
    try:
        check_options(prefix, arena)
    except TinyforgeError as exc:
        fail(str(exc))
    return dict(prefix=prefix, arena=arena)


def _debug_argument(arguments) -> bool:
    """debug=1: model.c checks every kernel call's arena ranges (TF_DEBUG_ARENA in templates/model.c.j2)."""
    value = arguments.get("debug", "0")
    if value not in ("0", "1"):
        fail(f"debug={value}: expected 0 or 1")
    return value == "1"


def _audio_arguments(arguments) -> dict:
    """frontend=host|device, app=test|stream, stream=S.wav and the recognizer's settings."""
    from codegen.features.recognizer import RECOGNIZER_DEFAULTS
    frontend = arguments.get("frontend", "host")
    app = arguments.get("app", "test")
    if frontend not in ("host", "device"):
        fail(f"frontend={frontend}: expected host (features embedded) or device (the firmware computes them)")
    if app not in ("test", "stream", "evaluate"):
        fail(f"app={app}: expected test, stream or evaluate")
    stream = arguments.get("stream")
    if app == "stream":
        if not stream:
            fail("app=stream needs stream=S.wav (16 kHz mono 16-bit PCM)")
        stream = launch_path(stream)
        if not stream.is_file():
            fail(f"stream '{stream}' not found")
        stream = stream.resolve()
    elif stream:
        fail("stream= is for app=stream")
    try:
        every = int(arguments.get("inference_every", 5))
    except ValueError:
        fail(f"inference_every={arguments['inference_every']}: expected a whole number")
    return dict(frontend=frontend, app=app, stream=stream, inference_every=every,
                recognizer={k: arguments.get(k) for k in RECOGNIZER_DEFAULTS})


def _input_files(args: dict) -> list[Path]:
    if not args["inputs"]:
        return []
    from codegen.verify.cases import expand_patterns
    try:
        return [p.resolve() for p in expand_patterns(args["inputs"])]
    except TinyforgeError as exc:
        fail(str(exc))


def codegen_action(args: dict, gen_dir: Path, input_files: list[Path]):
    def generate(target, source, env):
        from codegen.emit.generate import generate_firmware
        from codegen.verify.cases import resolve_cases
        from codegen.model.labels import resolve_labels
        from codegen.compiler.select import Target
        from codegen.pipeline import compile_model
        from codegen.model.tflite_model import load_model
        try:
            model = load_model(args["model"])
            from codegen.verify.reference import oracle_note
            if oracle_note(model):
                print(oracle_note(model))
            compiled = compile_model(model, Target.of(args["board"], args["optimize"]))
            from codegen.target.fit import check_before_build
            check_before_build(compiled, args["board"],
                               lambda other: compile_model(model, Target.of(other, args["optimize"])))
            labels = resolve_labels(model, args["labels"])
            if args["app"] == "evaluate":
                from codegen.emit.evaluate_firmware import generate_evaluate_firmware
                generate_evaluate_firmware(args["board"], compiled, labels, gen_dir)
                return 0
            if args["app"] == "stream":
                from codegen.features.firmware import model_recipe
                from codegen.emit.stream_firmware import generate_stream_firmware
                from codegen.features.recognizer import recognizer_settings
                generate_stream_firmware(args["board"], compiled, labels, model_recipe(model, args["recipe"]),
                                         gen_dir, recognizer_settings(args["recognizer"]), args["inference_every"])
                return 0
            cases = resolve_cases(model, [str(p) for p in input_files] or None, args["vectors"], args["recipe"])
            frontend_recipe = None
            if args["frontend"] == "device":
                from codegen.features.firmware import model_recipe
                frontend_recipe = model_recipe(model, args["recipe"])
            generate_firmware(args["board"], compiled, cases, labels, gen_dir, input_files, frontend_recipe)
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
    from codegen.target.size_report import format_size_report, measure
    board: Board = env["BOARD"]
    report = format_size_report(measure(str(source[0]), board, str(source[1]), env["MAP_FILE"]), board)
    Path(str(target[0])).write_text(report + "\n")
    return 0


def show_size_report(target, source, env):
    """Printed on every build, up to date or not: the figures a user checks before flashing."""
    print(Path(str(source[0])).read_text(), end="")
    return 0


def test_action(args: dict, build_dir: Path):
    def run(target, source, env):
        from codegen.verify.testrun import run_test
        try:
            if args["app"] == "evaluate":
                from codegen.verify.batch import run_evaluate_test
                return run_evaluate_test(Path(str(source[0])), args["board"], build_dir / "gen" / "manifest.json",
                                         args["model"], args["inputs"], args["vectors"], args["recipe"])
            if args["app"] == "stream":
                from codegen.verify.streaming import run_stream
                return run_stream(Path(str(source[0])), args["board"], build_dir / "gen" / "manifest.json",
                                  args["stream"], build_dir, args["max_instructions"], count=args["count"],
                                  progress=args["progress"])
            status = run_test(Path(str(source[0])), args["board"], build_dir / "gen" / "manifest.json",
                              build_dir / "results.json", args["max_instructions"], count=args["count"])
            # report.html beside the firmware; nothing printed, so the run still ends with "N passed, M failed"
            from codegen.verify.report import write_report
            write_report(build_dir, args["board"])
            return status
        except TinyforgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return S.Action(run, "test: $SOURCE in the emulator")


def profile_action(args: dict, build_dir: Path):
    def run(target, source, env):
        from codegen.verify.profile import profile_firmware
        if args["app"] != "test":
            print(f"error: profile runs app=test (one inference per embedded input); drop app={args['app']}",
                  file=sys.stderr)
            return 1
        try:
            status = profile_firmware(Path(str(source[0])), args["board"], build_dir, args["max_instructions"])
            from codegen.verify.report import write_report
            print(f"report: {write_report(build_dir, args['board'])}")
            return status
        except TinyforgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return S.Action(run, "profile: $SOURCE in the emulator")


# One-line errors of the flash and Renode steps, printed when SCons exits so
# they come after SCons' own "scons: *** [flash] Error 1" and are the last line.
_FINAL_ERRORS: list[str] = []


def _print_final_errors():
    for message in _FINAL_ERRORS:
        print(f"error: {message}", file=sys.stderr)


atexit.register(_print_final_errors)


def flash_action(board: Board, image: Path, flasher: str | None, dryrun: bool, probe: str | None):
    def run(target, source, env):
        from codegen.target.flash import flash
        try:
            flash(board, image, flasher, dryrun, probe=probe)
        except TinyforgeError as exc:
            _FINAL_ERRORS.append(str(exc))
            return 1
        return 0
    return S.Action(run, None)


def renode_files_action(board: Board, elf: Path, build_dir: Path):
    def run(target, source, env):
        from codegen.emit.renode import render_renode
        try:
            render_renode(board, elf, build_dir / "gen" / "manifest.json", build_dir / "renode")
        except TinyforgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    return S.Action(run, "renode: $TARGETS")


def renode_test_action(robot: Path):
    def run(target, source, env):
        import shutil
        if shutil.which("renode-test") is None:
            _FINAL_ERRORS.append("renode-test not found: install Renode (renode.io, its package puts renode-test "
                                 "on PATH), or drop emulator=renode to test in tinyforge's own emulator")
            return 1
        return subprocess.run(["renode-test", str(robot)]).returncode
    return S.Action(run, "test: $SOURCE in Renode")


def firmware(env, args: dict):
    """Declare the whole build for one board and model; returns the build directory."""
    board: Board = args["board"]
    if not env.WhereIs("arm-none-eabi-gcc"):
        fail("arm-none-eabi-gcc not found: run scripts/bootstrap "
             "(Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    # the streaming and device-frontend firmwares of a model live beside its test firmware, not over it
    variant = {"stream": "-stream", "evaluate": "-evaluate"}.get(
        args["app"], "-device-frontend" if args["frontend"] == "device" else "")
    variant += "-debug" if args["debug"] else ""
    build_dir = build_root() / board.name / (args["model"].stem + variant)
    if not S.GetOption("no_exec"):
        try:
            require_writable_dir(build_dir)
        except TinyforgeError as exc:
            fail(str(exc))
    gen_dir = build_dir / "gen"
    input_files = _input_files(args) if args["app"] == "test" else []
    generated_names = toolchain.generated_files(args["app"], args["frontend"], board)

    generated = env.Command(
        [str(gen_dir / name) for name in generated_names],
        [str(args["model"]), *map(str, input_files), str(board.path),
         *S.Glob(str(ROOT / "templates" / "*.j2")), *S.Glob(str(ROOT / "templates" / "ops" / "*.j2")),
         # every pipeline step's Python shapes the generated files (training and the CLI do not)
         *map(str, codegen_sources()), str(ROOT / "models" / "known_models.toml"),
         env.Value(repr(sorted((k, str(v)) for k, v in args.items() if k not in ("board", "max_instructions"))))],
        codegen_action(args, gen_dir, input_files))

    cross = env.Clone(CC="arm-none-eabi-gcc", OBJCOPY="arm-none-eabi-objcopy",
                      CCFLAGS=[*toolchain.target_flags(board), *(["-DTF_DEBUG_ARENA"] if args["debug"] else [])],
                      CPPPATH=[str(gen_dir), *map(str, toolchain.INCLUDE_DIRS)],
                      BOARD=board, LINKER_SCRIPT=gen_dir / "linker.ld", MAP_FILE=build_dir / "firmware.map",
                      LINK_TARGET_FLAGS=[*board.cflags, *toolchain.LINK_FLAGS])
    if not S.GetOption("silent") and S.ARGUMENTS.get("verbose") != "1":
        cross["CCCOMSTR"] = "cc: $SOURCE"
    firmware_sources = toolchain.firmware_sources(board, args["app"], args["frontend"])
    # The kernels and the runtime include only checked-in headers, so their objects depend on the compile
    # flags alone: every model built with the same flags links the same objects from build/objects/<flags>/
    # instead of compiling some 70 files again (the test suite builds a hundred firmwares).
    shared = cross.Clone(CPPPATH=[str(d) for d in toolchain.INCLUDE_DIRS])
    shared_dir = build_root() / "objects" / toolchain.flags_key(shared.subst("$CCFLAGS $_CCCOMCOM"))
    # One signature database per set of compiler flags, beside the objects those builds share, instead of one
    # for the whole tree: two scons runs with different flags (two boards built at once, as the tests do) then
    # never write the same database, and each run reads and writes only its own builds' records.
    shared_dir.mkdir(parents=True, exist_ok=True)
    S.SConsignFile(str(shared_dir / "sconsign"))
    shareable = {*toolchain.kernel_sources(), *toolchain.runtime_sources()}
    objects = [(shared if src in shareable else cross).Object(
                   str((shared_dir if src in shareable else build_dir / "obj")
                       / src.relative_to(ROOT / "firmware").with_suffix(".o")), str(src))
               for src in firmware_sources]
    for name in [n for n in generated_names if n.endswith(".c")]:
        objects.append(cross.Object(str(build_dir / "obj" / "gen" / name.replace(".c", ".o")), str(gen_dir / name)))
    # Order only: the C scanner records which generated headers each object really includes, so a
    # regenerated model.c recompiles model.o and not every kernel.
    cross.Requires(objects, generated)

    elf = cross.Command(str(build_dir / "firmware.elf"), objects,
                        S.Action(_link_action, "link: $TARGET"))
    cross.Depends(elf, str(gen_dir / "linker.ld"))
    cross.SideEffect(str(build_dir / "firmware.map"), elf)
    binary = cross.Command(str(build_dir / "firmware.bin"), elf, S.Action("$OBJCOPY -O binary $SOURCE $TARGET", "objcopy: $TARGET"))
    hexfile = cross.Command(str(build_dir / "firmware.hex"), elf, S.Action("$OBJCOPY -O ihex $SOURCE $TARGET", "objcopy: $TARGET"))
    report = cross.Command(str(build_dir / "size.txt"), [elf, str(gen_dir / "manifest.json")],
                           S.Action(size_report, None))
    shown = env.Alias(f"size-{board.name}-{args['model'].stem}", report, S.Action(show_size_report, None))
    env.AlwaysBuild(shown)
    outputs = [elf, binary, hexfile, report, shown]
    uf2_family = board.data.get("flash", {}).get("uf2_family")
    if uf2_family is not None:
        # firmware.uf2 for boards whose USB bootloader takes UF2 files (the RP2040's RPI-RP2 drive)
        def make_uf2(target, source, env):
            from codegen.target.uf2 import write_uf2
            write_uf2(Path(str(source[0])), Path(str(target[0])), board.flash.origin, uf2_family)
        outputs.append(cross.Command(str(build_dir / "firmware.uf2"), binary, S.Action(make_uf2, "uf2: $TARGET")))
    env.Default(outputs)

    # The Renode script checks the test app's result lines; a streaming firmware has none to check.
    renode_dir = build_dir / "renode"
    has_renode = "renode" in board.data
    renode_files = [] if args["app"] != "test" or not has_renode else env.Command(
        [str(renode_dir / f"{board.name}.resc"), str(renode_dir / f"{board.name}.robot")],
        [str(board.path), str(gen_dir / "manifest.json"), *S.Glob(str(ROOT / "templates" / "renode.*.j2")),
         str(ROOT / "codegen" / "emit" / "renode.py")],
        renode_files_action(board, build_dir / "firmware.elf", build_dir))
    if renode_files:
        env.Default(renode_files)

    if S.ARGUMENTS.get("emulator", "tinyforge") == "renode" and not has_renode:
        fail(f"{board.path.name} has no [renode] section (Renode ships no platform for "
             f"{board.data['board'].get('chip', board.name)}); drop emulator=renode to test in tinyforge's emulator")
    if S.ARGUMENTS.get("emulator", "tinyforge") == "renode" and args["app"] != "test":
        fail(f"emulator=renode runs app=test only; drop emulator=renode to run app={args['app']} in tinyforge's "
             "own emulator")
    if S.ARGUMENTS.get("emulator", "tinyforge") == "renode":
        test = env.Alias("test", [elf, *renode_files], renode_test_action(renode_dir / f"{board.name}.robot"))
    elif S.ARGUMENTS.get("emulator", "tinyforge") == "tinyforge":
        test = env.Alias("test", [elf, str(gen_dir / "manifest.json"), *outputs], test_action(args, build_dir))
    else:
        fail(f"emulator={S.ARGUMENTS['emulator']}: expected tinyforge (the default) or renode")
    env.AlwaysBuild(test)

    # flash: the image built here, or image=PATH (an ELF with its .bin/.hex beside it).
    image = launch_path(S.ARGUMENTS["image"]) if "image" in S.ARGUMENTS else build_dir / "firmware.elf"
    flash_target = env.Alias("flash", [elf, binary, hexfile, *outputs[5:]] if "image" not in S.ARGUMENTS else [],
                             flash_action(board, image, S.ARGUMENTS.get("flasher"),
                                          S.ARGUMENTS.get("dryrun", "0") == "1", args["probe"]))
    env.AlwaysBuild(flash_target)
    profile = env.Alias("profile", [elf, str(gen_dir / "manifest.json"), *outputs], profile_action(args, build_dir))
    env.AlwaysBuild(profile)

    # lib: the model as a C library for the user's own firmware; builds no firmware
    lib_dir = build_root() / board.name / f"{args['model'].stem}-lib"
    library = env.Command(
        str(lib_dir / "CMakeLists.txt"),
        [str(args["model"]), str(board.path), *S.Glob(str(ROOT / "templates" / "*.j2")),
         *S.Glob(str(ROOT / "templates" / "ops" / "*.j2")), *S.Glob(str(ROOT / "templates" / "library" / "*.j2")),
         *map(str, codegen_sources()), *map(str, toolchain.kernel_sources()),
         *S.Glob(str(ROOT / "firmware" / "kernels" / "*.h")), *S.Glob(str(ROOT / "firmware" / "include" / "tinyforge" / "*.h")),
         env.Value(repr((args["prefix"], args["arena"], args["optimize"])))],
        library_action(args, lib_dir))
    env.Alias("lib", library, S.Action(lambda target, source, env: print(f"lib: {lib_dir}"), None))
    return build_dir


def library_action(args: dict, lib_dir: Path):
    def export(target, source, env):
        from codegen.compiler.select import Target
        from codegen.emit.library import export_library
        from codegen.model.tflite_model import load_model
        from codegen.pipeline import compile_model
        try:
            compiled = compile_model(load_model(args["model"]), Target.of(args["board"], args["optimize"]))
            export_library(args["board"], compiled, lib_dir, args["prefix"], args["arena"])
        except TinyforgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    return S.Action(export, "lib: $TARGET.dir for " + args["model"].name)


def os_path() -> str:
    """The user's PATH, so a toolchain installed outside /usr/bin is found."""
    import os
    return os.environ.get("PATH", "/usr/bin:/bin")
