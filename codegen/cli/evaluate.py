"""``python -m codegen evaluate``: float, host-int8 and firmware accuracy on a test set."""
from __future__ import annotations

import os
from pathlib import Path

SUMMARY = ("accuracy, balanced accuracy, per-class recall and false accepts of a keyword model on a test set, "
           "on the host and in firmware")
EXAMPLE = "python -m codegen evaluate models/kws_yes_no.tflite --test ../shared/speech --board bluepill --sample all"


def add_arguments(parser) -> None:
    parser.add_argument("model", type=Path, nargs="?",
                        help="int8 .tflite with a .labels file beside it (as train writes)")
    parser.add_argument("--data", type=Path, help="dataset folder (Speech Commands layout): its test split")
    parser.add_argument("--test", type=Path, help="folder of labelled clips (one folder per word): every clip")
    parser.add_argument("--board", help="also run the clips through firmware for this board, in the emulator")
    parser.add_argument("--sample", default="24",
                        help="test clips run on the firmware: a number, or all (default 24)")
    parser.add_argument("--shard", help="K/N: evaluate clips K-1, K-1+N, ... only; merge the N reports with --merge")
    parser.add_argument("--merge", type=Path, nargs="+", metavar="REPORT",
                        help="add up the evaluation.K-of-N.json reports of --shard runs")
    parser.add_argument("--out", type=Path, help="report folder (default build/evaluate/<model stem>/)")
    parser.add_argument("--words", help="keywords; default: from the model's labels")
    parser.add_argument("--seed", type=int, help="default: the seed the model was trained with (.train.json)")
    for name in ("silence", "unknown", "validation", "testing"):
        parser.add_argument(f"--{name}-percentage", type=float,
                            help="default: as the model was trained (.train.json), else 10 "
                                 "(with --test: silence 0, and every clip of the other words)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="feature-extraction and emulator processes")
    parser.add_argument("--cache", type=Path, help="feature cache folder (default build/feature-cache)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args) -> int:
    from codegen.target.boards import load_board
    from codegen.errors import TinyforgeError
    from codegen.training.evaluate import EvalSettings, evaluate, merge, parse_shard

    if args.merge:
        if args.model or args.data or args.test or args.board or args.shard:
            raise TinyforgeError("--merge takes only the shards' reports (and --out)")
        merge(args.merge, args.out)
        return 0
    if args.model is None:
        raise TinyforgeError("give a model to evaluate, or --merge REPORT ... to add up shards")
    if (args.data is None) == (args.test is None):
        raise TinyforgeError("give the test set as --data DIR (its test split) or --test DIR (every clip)")
    if args.board:
        load_board(args.board)  # an unknown board fails here, before any work
    if args.sample == "all":
        sample = None
    else:
        try:
            sample = int(args.sample)
        except ValueError:
            raise TinyforgeError(f"--sample {args.sample}: expected a number or all") from None
        if sample < 1:
            raise TinyforgeError(f"--sample {args.sample}: must be at least 1")
    if args.jobs < 1:
        raise TinyforgeError(f"--jobs {args.jobs}: must be at least 1")
    settings = EvalSettings(
        model=args.model, data=args.data, test=args.test, board=args.board, sample=sample, out_dir=args.out,
        shard=parse_shard(args.shard) if args.shard else None,
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
