"""``python -m codegen evaluate``: float, host-int8 and firmware accuracy on a test split."""
from __future__ import annotations

import os
from pathlib import Path

SUMMARY = "accuracy, confusion matrix and per-class precision/recall of a keyword model on its test split"
EXAMPLE = "python -m codegen evaluate models/kws_yes_no.tflite --data build/dataset --board bluepill"


def add_arguments(parser) -> None:
    parser.add_argument("model", type=Path, help="int8 .tflite with a .labels file beside it (as train writes)")
    parser.add_argument("--data", type=Path, required=True, help="dataset folder (Speech Commands layout)")
    parser.add_argument("--board", help="also build firmware for this board and run a sample of the split in the emulator")
    parser.add_argument("--sample", type=int, default=24, help="test clips run on the firmware (default 24)")
    parser.add_argument("--out", type=Path, help="report folder (default build/evaluate/<model stem>/)")
    parser.add_argument("--words", help="keywords; default: from the model's labels")
    parser.add_argument("--seed", type=int, help="default: the seed the model was trained with (.train.json)")
    for name in ("silence", "unknown", "validation", "testing"):
        parser.add_argument(f"--{name}-percentage", type=float,
                            help="default: as the model was trained (.train.json), else 10")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="feature-extraction processes")
    parser.add_argument("--cache", type=Path, help="feature cache folder (default DATA/_tinyforge_cache_)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args) -> int:
    from codegen.target.boards import load_board
    from codegen.errors import TinyforgeError
    from codegen.training.evaluate import EvalSettings, evaluate

    if args.board:
        load_board(args.board)  # an unknown board fails here, before any work
    if args.sample < 1:
        raise TinyforgeError(f"--sample {args.sample}: must be at least 1")
    settings = EvalSettings(
        model=args.model, data=args.data, board=args.board, sample=args.sample, out_dir=args.out,
        words=[w.strip() for w in args.words.split(",") if w.strip()] if args.words else None,
        silence_percentage=args.silence_percentage, unknown_percentage=args.unknown_percentage,
        validation_percentage=args.validation_percentage, testing_percentage=args.testing_percentage,
        seed=args.seed, jobs=args.jobs, cache_dir=args.cache, progress=not args.quiet)
    results = evaluate(settings)
    firmware = results.get("firmware")
    if firmware and (firmware["agree_with_host_int8"] != firmware["clips"]
                     or firmware["byte_identical_to_reference"] != firmware["clips"]):
        print("error: the firmware disagrees with the host int8 model", flush=True)
        return 1
    return 0
