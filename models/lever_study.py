"""Which synthesis and augmentation lever moves a synthesized-only model on real voices.

Each row trains one small model on synthesized speech alone (120 voices, 12 epochs), with one
more lever than the row above, and judges it on every clip of ``../shared/speech`` (real people,
none of whom it heard). The rows' figures go into models/README.md.

    .venv/bin/python models/lever_study.py [--shared ../shared] [--out build/lever-study]

It takes about half an hour on 2 cores. The datasets and models stay in --out.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VOICES = "120"
COMMON = ["--words", "yes,no", "--arch", "ds_cnn", "--unknown-percentage", "100", "--silence-percentage", "15",
          "--augment-copies", "2", "--epochs", "12", "--quiet"]
# The unknown words synth-dataset spoke before: 26 common words, with near-rhymes of the keywords.
OLD_UNKNOWN = ("up,down,left,right,on,off,stop,go,house,tree,cat,bird,dog,bed,wow,seven,zero,happy,less,yet,"
               "nose,yellow,test,marvin,forward,learn")
DATASETS = {"espeak": ["--engines", "espeak-ng", "--unknown-words", OLD_UNKNOWN],
            "engines": ["--unknown-words", OLD_UNKNOWN],
            "vocabulary": []}
# name, dataset, extra train flags: each row adds one lever to the row before it
ROWS = [
    ("espeak-ng only, 26 unknown words with near-rhymes (the old recipe)", "espeak", []),
    ("+ flite and festival voices", "engines", []),
    ("+ Speech Commands' 33 other words as unknown, no near-rhymes", "vocabulary", []),
    ("+ speed perturbation", "vocabulary", ["--speed", "0.8"]),
    ("+ reverberation", "vocabulary", ["--speed", "0.8", "--reverb", "0.6"]),
    ("+ microphone band limit", "vocabulary", ["--speed", "0.8", "--reverb", "0.6", "--band-limit", "0.6"]),
    ("+ level variation, noise at 0-20 dB SNR", "vocabulary",
     ["--speed", "0.8", "--reverb", "0.6", "--band-limit", "0.6", "--level", "0.8", "--snr-db", "0,20"]),
]


def run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lever-study")
    args = parser.parse_args()
    speech = args.shared / "speech"
    if not speech.is_dir():
        print(f"error: {speech}: no such folder (the real clips to judge on)", file=sys.stderr)
        return 2
    for name, flags in DATASETS.items():
        folder = args.out / f"dataset-{name}"
        if not (folder / "manifest.csv").is_file():
            run([PYTHON, "-m", "codegen", "synth-dataset", str(folder), "--voices", VOICES, "--quiet", *flags])
    table = ["| model (synthesized speech only) | yes recall | no recall | false accepts | balanced accuracy |",
             "|---|---:|---:|---:|---:|"]
    for k, (name, dataset, flags) in enumerate(ROWS):
        model = args.out / f"row{k}" / "kws.tflite"
        if not model.is_file():
            run([PYTHON, "-m", "codegen", "train", "--data", str(args.out / f"dataset-{dataset}"), *COMMON, *flags,
                 "--out", str(model)])
        report = model.parent / "evaluation.json"
        if not report.is_file():
            run([PYTHON, "-m", "codegen", "evaluate", str(model), "--test", str(speech), "--quiet",
                 "--out", str(model.parent)])
        m = json.loads(report.read_text())["int8_metrics"]
        table.append(f"| {name} | {m['recall']['yes']:.1%} | {m['recall']['no']:.1%} | "
                     f"{m['false_accepts']:.1%} | {m['balanced_accuracy']:.1%} |")
        print("\n".join(table), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
