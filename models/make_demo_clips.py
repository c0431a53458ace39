"""Synthesize the four demo clips the firmware demo and its test classify.

    python models/make_demo_clips.py [--out models/demo]

The voice variants (codegen.training.synth.DEMO_VARIANTS) never appear in any
synthesized dataset, and rate / pitch / amplitude sit between the training grid's points, so the
demo shows the model on a voice and settings it has not heard.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from codegen.training import synth as sd  # noqa: E402
from codegen.wav import write_wav  # noqa: E402

SEED = 20240611

# file stem -> (spoken word or None for silence, label the model must answer)
CLIPS = {
    "yes": ("yes", "yes"),
    "no": ("no", "no"),
    "house": ("house", "unknown"),
    "silence": (None, "silence"),
}
DEMO_VOICE = "en-us+" + sd.DEMO_VARIANTS[0]
RATE, PITCH, AMPLITUDE = 165, 55, 110
assert RATE not in sd.RATES and PITCH not in sd.PITCHES and AMPLITUDE not in sd.AMPLITUDES


def make(out: Path) -> dict[Path, str]:
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    for stem, (word, label) in CLIPS.items():
        rng = sd.item_rng(SEED, "demo/" + stem)
        if word is None:
            # Quiet room tone rather than digital zero: what a microphone really hears.
            clip = sd.to_int16(sd.noise("pink", sd.CLIP, rng) * 30)
        else:
            spoken = sd.speak(word, DEMO_VOICE, RATE, PITCH, AMPLITUDE)
            spoken = spoken / np.abs(spoken).max() * 0.5 * 32767
            clip = np.zeros(sd.CLIP)
            start = (sd.CLIP - len(spoken)) // 2
            clip[start:start + len(spoken)] = spoken
            clip = sd.to_int16(clip + sd.noise("pink", sd.CLIP, rng) * 30)
        path = out / f"{stem}.wav"
        write_wav(path, clip)
        made[path] = label
    return made


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "models" / "demo")
    args = p.parse_args(argv)
    for path, label in make(args.out).items():
        print(f"{path}  (expect {label}; voice {DEMO_VOICE}, -s {RATE} -p {PITCH} -a {AMPLITUDE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
