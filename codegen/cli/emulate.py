"""``python -m codegen emulate``: run a firmware ELF in the Unicorn board emulator."""
from __future__ import annotations

import sys

from codegen.target.boards import load_board
from codegen.verify.emulator import run_firmware

SUMMARY = "run a firmware ELF in the emulator; exit with its semihosting exit code"
EXAMPLE = "python -m codegen emulate build/bluepill/kws/firmware.elf --board bluepill"

EXIT_TIMEOUT = 124   # like coreutils timeout(1)
EXIT_FAULT = 125


def add_arguments(parser) -> None:
    parser.add_argument("elf", metavar="ELF", help="firmware image built for the board")
    parser.add_argument("--board", required=True, help="board name (boards/<name>.toml) or path to a board file")
    parser.add_argument("--max-instructions", type=int, default=200_000_000, metavar="N",
                        help="stop with a timeout after N instructions (default: %(default)s)")
    parser.add_argument("--no-count", action="store_true",
                        help="run without counting instructions, several times faster (no counts or marker spans)")
    parser.add_argument("--quiet", action="store_true",
                        help="do not echo the console; print only the summary and any fault")


def run(args) -> int:
    board = load_board(args.board)
    out = sys.stdout

    def echo(data: bytes) -> None:
        out.write(data.decode("latin-1"))
        if data == b"\n":
            out.flush()

    result = run_firmware(args.elf, board, max_instructions=args.max_instructions,
                          console_sink=None if args.quiet else echo, count=not args.no_count)
    if not args.quiet:
        if result.semihost_output:
            out.write(result.semihost_output)
        out.flush()
    peak = "unknown" if result.stack_peak is None else f"{result.stack_peak} of {board.stack_reserve} bytes"
    spans = f", marker spans {result.marker_spans}" if result.marker_spans else ""
    counted = (f"{result.instructions} instructions" if result.instructions is not None
               else "instructions not counted")
    speed = (f", {result.instructions_per_second / 1e6:.1f} M instructions/s" if result.instructions is not None
             else f", {result.seconds:.2f} s")
    print(f"emulate: {counted}, stack peak {peak}{spans}{speed}", file=sys.stderr)
    if result.fault is not None:
        print(f"emulate: {result.fault.message}", file=sys.stderr)
        if result.fault.kind == "timeout":
            return EXIT_TIMEOUT
        return EXIT_FAULT
    if result.exit_code is None:
        return EXIT_FAULT
    print(f"emulate: exit code {result.exit_code}", file=sys.stderr)
    return result.exit_code & 0xFF
