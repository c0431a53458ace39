"""``python -m codegen synth-dataset DIR``: a keyword dataset spoken by espeak-ng, flite and festival."""
from __future__ import annotations

import os
from pathlib import Path

SUMMARY = "synthesize a Speech-Commands-layout keyword dataset with espeak-ng, flite and festival"
EXAMPLE = "python -m codegen synth-dataset build/dataset --words yes,no"


def add_arguments(parser) -> None:
    from codegen.training.synth import SynthSettings
    d = SynthSettings()
    parser.add_argument("dir", type=Path, help="output folder (one subfolder per word, _background_noise_/, split lists)")
    parser.add_argument("--words", default=",".join(d.words), help="keywords, comma-separated (default: yes,no)")
    parser.add_argument("--unknown-words", default=",".join(d.unknown_words),
                        help="other words, spoken as the 'unknown' class (default: Speech Commands' other 33 words)")
    parser.add_argument("--engines", default=",".join(d.engines),
                        help=f"speech engines, comma-separated (default {','.join(d.engines)})")
    parser.add_argument("--voices", type=int, default=d.voices,
                        help="number of voices, taken across the engines in hash order (default 0: all; "
                             "espeak-ng has 336, flite 120 and festival 72 pseudo-speakers)")
    parser.add_argument("--per-word", type=int, default=d.per_word,
                        help=f"utterances of each keyword per voice (default {d.per_word})")
    parser.add_argument("--unknown-per-voice", type=int, default=d.unknown_per_voice,
                        help=f"unknown words each voice speaks (default {d.unknown_per_voice})")
    parser.add_argument("--copies", type=int, default=d.copies,
                        help=f"renderings of each utterance: placement, level, noise (default {d.copies})")
    parser.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default {d.seed})")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel workers (default 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from codegen.errors import TinyforgeError
    from codegen.training.synth import SynthSettings, synthesize

    words = tuple(w.strip() for w in args.words.split(",") if w.strip())
    if not words:
        raise TinyforgeError("--words: give at least one word, e.g. --words yes,no")
    for name, value in (("--per-word", args.per_word), ("--copies", args.copies)):
        if value < 1:
            raise TinyforgeError(f"{name} {value}: must be at least 1")
    engines = tuple(e.strip() for e in args.engines.split(",") if e.strip())
    if not engines:
        raise TinyforgeError("--engines: give at least one engine, e.g. --engines espeak-ng,flite,festival")
    settings = SynthSettings(engines=engines, words=words, unknown_words=tuple(w.strip() for w in args.unknown_words.split(",") if w.strip()),
                             voices=args.voices, per_word=args.per_word, unknown_per_voice=args.unknown_per_voice,
                             copies=args.copies, seed=args.seed, jobs=args.jobs)
    items = synthesize(args.dir, settings, progress=not args.quiet)
    counts: dict[tuple, int] = {}
    for it in items:
        counts[(it["split"], it["word"])] = counts.get((it["split"], it["word"]), 0) + 1
    for split in ("train", "validation", "test"):
        voices = len({it["voice"] for it in items if it["split"] == split})
        keywords = "  ".join(f"{w}={counts.get((split, w), 0)}" for w in words)
        others = sum(n for (sp, w), n in counts.items() if sp == split and w not in words)
        print(f"{split:<10} {voices:3d} voices  {keywords}  other words={others}")
    print(f"{len(items)} clips in {args.dir}")
    return 0
