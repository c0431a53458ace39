"""``python -m codegen profile``: per-layer instructions, memory plan, flash and RAM of a built firmware."""
from __future__ import annotations

from pathlib import Path

from codegen.target.boards import load_board
from codegen.errors import TinyforgeError
from codegen.verify.profile import profile_firmware

SUMMARY = "profile one inference of a built firmware per layer (checks outputs against TFLite); writes profile.json/png"
EXAMPLE = ("scons board=bluepill model=../shared/models/micro_speech_quantized.tflite vectors=1 && "
           "python -m codegen profile build/bluepill/micro_speech_quantized --board bluepill")


def add_arguments(parser) -> None:
    parser.add_argument("build_dir", metavar="BUILD_DIR",
                        help="a build directory from scons (holds firmware.elf and gen/manifest.json)")
    parser.add_argument("--board", required=True, help="board name (boards/<name>.toml) or path to a board file")
    parser.add_argument("--max-instructions", type=int, default=500_000_000, metavar="N",
                        help="stop with a timeout after N instructions (default: %(default)s)")


def run(args) -> int:
    build_dir = Path(args.build_dir)
    elf = build_dir / "firmware.elf"
    for needed in (elf, build_dir / "gen" / "manifest.json"):
        if not needed.is_file():
            raise TinyforgeError(f"{needed} not found: build first with scons board={args.board} model=...")
    board = load_board(args.board)
    status = profile_firmware(elf, board, build_dir, args.max_instructions)
    from codegen.verify.report import write_report
    print(f"report: {write_report(build_dir, board)}")
    return status
