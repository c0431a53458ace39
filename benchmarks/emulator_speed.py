"""How fast the emulator runs, with exact instruction counts and without them.

    .venv/bin/python benchmarks/emulator_speed.py [--board efr32mg12] [--seconds 60]

Two workloads, each run twice in the same emulator: counted (a Python hook per translated block
adds up instructions, as ``test`` and ``profile`` need) and uncounted (``count=False``: no Python
hook; Unicorn's own counter only enforces the budget, as ``evaluate`` and long streams use):

- DS-CNN (``../shared/models/kws_ref_model.tflite``), one inference, as ``scons vectors=1`` builds it;
- a stream of ``--seconds`` of audio (the four shared clips over and over, with quiet between them)
  through the streaming firmware (``app=stream``) and the default model.

Speeds are M instructions per second of wall time; the uncounted run has no count of its own, so its
speed is the counted run's instruction total over the uncounted run's time. Prints a table and the
overhead of counting.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from codegen.emit.stream_firmware import STREAM_NAME  # noqa: E402
from codegen.target.boards import load_board  # noqa: E402
from codegen.verify.emulator import run_firmware  # noqa: E402
from codegen.wav import read_wav, write_wav  # noqa: E402


def scons(build_dir: Path, *arguments: str) -> None:
    import os
    env = dict(os.environ, TINYFORGE_BUILD_DIR=str(build_dir))
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "scons"), "-Q", "-C", str(ROOT), *arguments],
                          capture_output=True, text=True, env=env)
    if done.returncode not in (0, 1):
        sys.exit(f"error: scons {' '.join(arguments)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def make_stream(path: Path, seconds: int) -> None:
    clips = [read_wav(p) for p in sorted((SHARED / "audio").glob("*.wav"))]
    rng = np.random.default_rng(7)
    out, total = [], 16000 * seconds
    while sum(len(c) for c in out) < total:
        for clip in clips:
            out += [clip, (rng.normal(0, 30, 8000)).astype(np.int16)]
    write_wav(path, np.concatenate(out)[:total].astype(np.int16))


def measure(name: str, elf: Path, board, files=None, budget=4_000_000_000) -> dict:
    t = time.perf_counter()
    counted = run_firmware(elf, board, max_instructions=budget, files=files)
    counted_wall = time.perf_counter() - t
    t = time.perf_counter()
    fast = run_firmware(elf, board, max_instructions=budget, files=files, count=False)
    fast_wall = time.perf_counter() - t
    if counted.fault or fast.fault or counted.console != fast.console:
        sys.exit(f"error: {name}: the runs differ or fault: {counted.fault} / {fast.fault}")
    n = counted.instructions
    return dict(name=name, instructions=n, counted_s=counted_wall, fast_s=fast_wall,
                counted_mips=n / counted_wall / 1e6, fast_mips=n / fast_wall / 1e6)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="efr32mg12")
    ap.add_argument("--seconds", type=int, default=60, help="length of the audio stream (default 60)")
    args = ap.parse_args()
    board = load_board(args.board)
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp)
        scons(build, f"board={args.board}", f"model={SHARED / 'models' / 'kws_ref_model.tflite'}", "vectors=1")
        ds_cnn = build / args.board / "kws_ref_model" / "firmware.elf"
        stream_wav = build / "stream.wav"
        make_stream(stream_wav, args.seconds)
        scons(build, f"board={args.board}", "app=stream", f"stream={stream_wav}")
        stream_elf = next((build / args.board).glob("*-stream/firmware.elf"))
        samples = read_wav(stream_wav).tobytes()
        rows = [measure("DS-CNN, 1 inference", ds_cnn, board),
                measure(f"stream, {args.seconds} s of audio", stream_elf, board, files={STREAM_NAME: samples})]
    print(f"emulator speed on {args.board} ({board.core}), wall time of whole runs (load included)\n")
    print("| workload | instructions | counted | uncounted | counted M instr/s | uncounted M instr/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['instructions']:,} | {r['counted_s']:.2f} s | {r['fast_s']:.2f} s | "
              f"{r['counted_mips']:.1f} | {r['fast_mips']:.1f} |")
    print()
    for r in rows:
        print(f"{r['name']}: counting costs {r['counted_s'] / r['fast_s']:.1f}x the uncounted time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
