"""``python -m codegen features``: a WAV clip to the int8 features a model reads."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError

SUMMARY = "compute a clip's int8 model-input features (.npy, or a C array for .c/.h)"
EXAMPLE = "python -m codegen features yes.wav --recipe micro_speech -o build/yes_features.c"


def add_arguments(parser) -> None:
    parser.add_argument("wav", type=Path, help="16 kHz mono 16-bit PCM WAV file")
    parser.add_argument("--recipe", default="micro_speech",
                        help="feature recipe name (default: micro_speech)")
    parser.add_argument("-o", "--output", type=Path,
                        help="output file: .npy (default: next to the WAV), or .c/.h for a C array "
                             "(both files are written)")
    parser.add_argument("--name", help="C array name (default: derived from the output file name)")


def _c_name(stem: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", stem)
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def run(args) -> int:
    from codegen.features import compute_features, get_recipe
    from codegen.wav import read_wav

    recipe = get_recipe(args.recipe)
    out = args.output or args.wav.with_suffix(".npy")
    suffix = out.suffix.lower()
    if suffix not in (".npy", ".c", ".h"):
        raise TinyforgeError(f"{out}: output must end in .npy, .c or .h")

    features = compute_features(read_wav(args.wav), recipe)
    if suffix == ".npy":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, features)
        written = [out]
    else:
        from codegen.emit.c_array import write_c_array
        out_c, out_h = out.with_suffix(".c"), out.with_suffix(".h")
        write_c_array(args.name or _c_name(out.stem), features.tobytes(), out_c, out_h,
                      source=args.wav)
        written = [out_c, out_h]
    print(f"{args.wav}: {recipe.name} features {features.shape[0]}x{features.shape[1]} int8 -> "
          + ", ".join(str(p) for p in written))
    return 0
