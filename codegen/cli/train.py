"""``python -m codegen train``: Speech Commands folders to a full-int8 keyword model."""
from __future__ import annotations

import os
from pathlib import Path

SUMMARY = "train a keyword model on a Speech-Commands-layout folder and convert it to int8 .tflite"
EXAMPLE = "python -m codegen train --data build/dataset --words yes,no --arch ds_cnn --out build/kws.tflite"


def add_arguments(parser) -> None:
    from codegen.training.archs import ARCHS
    from codegen.training.prepare import Augmentation
    from codegen.training.train import TrainSettings
    d = TrainSettings(data=Path("."), words=[], out=Path("."))
    a = Augmentation()
    parser.add_argument("--data", action="append", required=True, metavar="DIR[:N]",
                        help="dataset folder (one subfolder per word); give it more than once to mix sources, "
                             "e.g. synthesized and real speech. DIR:N gives each training clip of DIR N augmented "
                             "renderings instead of --augment-copies")
    parser.add_argument("--words", required=True, help="keywords, comma-separated; labels are silence, unknown, then these")
    parser.add_argument("--arch", choices=sorted(ARCHS), default=d.arch, help=f"architecture (default {d.arch})")
    parser.add_argument("--out", type=Path, required=True,
                        help="output .tflite; .labels, .keras (float model) and .train.json are written beside it")
    parser.add_argument("--recipe", default=d.recipe, help=f"feature recipe (default {d.recipe})")
    parser.add_argument("--epochs", type=int, default=d.epochs, help=f"default {d.epochs}")
    parser.add_argument("--batch-size", type=int, default=d.batch_size, help=f"default {d.batch_size}")
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate, help=f"Adam, default {d.learning_rate}")
    parser.add_argument("--seed", type=int, default=d.seed, help=f"one seed for split sampling, augmentation, "
                        f"initialisation and batch order (default {d.seed})")
    parser.add_argument("--silence-percentage", type=float, default=d.silence_percentage,
                        help=f"silence clips per split, as a percentage of keyword clips (default {d.silence_percentage:g})")
    parser.add_argument("--unknown-percentage", type=float, default=d.unknown_percentage,
                        help=f"unknown-word clips per split, as a percentage of keyword clips (default {d.unknown_percentage:g})")
    parser.add_argument("--validation-percentage", type=float, default=d.validation_percentage,
                        help="hash split when the folder has no validation_list.txt / testing_list.txt (default 10)")
    parser.add_argument("--testing-percentage", type=float, default=d.testing_percentage, help="likewise (default 10)")
    parser.add_argument("--time-shift-ms", type=float, default=a.time_shift_ms,
                        help=f"random time shift of training clips, up to +/- this (default {a.time_shift_ms:g})")
    parser.add_argument("--background-frequency", type=float, default=a.background_frequency,
                        help=f"share of training clips mixed with background noise (default {a.background_frequency:g})")
    parser.add_argument("--background-volume", type=float, default=a.background_volume,
                        help=f"largest background-noise gain (default {a.background_volume:g})")
    parser.add_argument("--augment-copies", type=int, default=a.copies,
                        help=f"augmented renderings of each training clip (default {a.copies})")
    parser.add_argument("--speed", type=float, default=a.speed, metavar="P",
                        help="share of training clips speed-perturbed by 0.9-1.1 (tempo, pitch and formants; default 0)")
    parser.add_argument("--reverb", type=float, default=a.reverb, metavar="P",
                        help="share of training clips reverberated by a synthetic room (RT60 0.15-0.8 s; default 0)")
    parser.add_argument("--band-limit", type=float, default=a.band_limit, metavar="P",
                        help="share of training clips band-limited like a small microphone (default 0)")
    parser.add_argument("--level", type=float, default=a.level, metavar="P",
                        help="share of training clips whose level changes by up to +/-12 dB (default 0)")
    parser.add_argument("--snr-db", metavar="LO,HI",
                        help="mix background noise at a signal-to-noise ratio in this range (dB) "
                             "instead of --background-volume, e.g. 0,20")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="feature-extraction processes (default 2)")
    parser.add_argument("--cache", type=Path, help="feature cache folder (default build/feature-cache)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args) -> int:
    from codegen.errors import TinyforgeError
    from codegen.training.dataset import parse_source
    from codegen.training.prepare import Augmentation
    from codegen.training.train import TrainSettings, train

    words = [w.strip() for w in args.words.split(",") if w.strip()]
    for name, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size), ("--augment-copies", args.augment_copies)):
        if value < 1:
            raise TinyforgeError(f"{name} {value}: must be at least 1")
    for name, value in (("--speed", args.speed), ("--reverb", args.reverb), ("--band-limit", args.band_limit),
                        ("--level", args.level), ("--background-frequency", args.background_frequency)):
        if not 0 <= value <= 1:
            raise TinyforgeError(f"{name} {value:g}: a share of clips, from 0 to 1")
    snr = None
    if args.snr_db is not None:
        try:
            lo, hi = (float(v) for v in args.snr_db.split(","))
        except ValueError:
            raise TinyforgeError(f"--snr-db {args.snr_db}: expected LO,HI in dB, e.g. 0,20") from None
        if lo > hi:
            raise TinyforgeError(f"--snr-db {args.snr_db}: LO must not exceed HI")
        snr = (lo, hi)
    settings = TrainSettings(
        data=[parse_source(text) for text in args.data], words=words, out=args.out, arch=args.arch, recipe=args.recipe, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed,
        silence_percentage=args.silence_percentage, unknown_percentage=args.unknown_percentage,
        validation_percentage=args.validation_percentage, testing_percentage=args.testing_percentage,
        augmentation=Augmentation(args.time_shift_ms, args.background_frequency, args.background_volume,
                                  args.augment_copies, speed=args.speed, reverb=args.reverb,
                                  band_limit=args.band_limit, level=args.level, snr_db=snr),
        jobs=args.jobs, cache_dir=args.cache, progress=not args.quiet)
    train(settings)
    return 0
