"""``python -m codegen model2c M.tflite -o DIR``: the model as an xxd-style C array.

This is the classic TFLM deployment step (``g_<stem>_model_data``), for users
who keep an interpreter; tinyforge's own firmware compiles the model instead.
"""
from __future__ import annotations

from pathlib import Path

from codegen.emit.c_array import write_c_array
from codegen.errors import TinyforgeError
from codegen.compiler.lower import c_identifier

SUMMARY = "write a .tflite file as an aligned C array (const unsigned char + length) and a header"
EXAMPLE = "python -m codegen model2c ../shared/models/micro_speech_quantized.tflite -o build/arrays"


def add_arguments(parser) -> None:
    parser.add_argument("model", help=".tflite file")
    parser.add_argument("-o", "--out-dir", required=True, help="directory for <stem>_model_data.c/.h")
    parser.add_argument("--name", help="array name (default g_<stem>_model_data)")


def run(args) -> int:
    model = Path(args.model)
    try:
        data = model.read_bytes()
    except OSError as exc:
        raise TinyforgeError(f"{model}: cannot read: {exc.strerror}") from None
    stem = c_identifier(model.stem)
    name = args.name or f"g_{stem}_model_data"
    out = Path(args.out_dir)
    out_c, out_h = out / f"{stem}_model_data.c", out / f"{stem}_model_data.h"
    write_c_array(name, data, out_c, out_h, align=16, source=model)
    print(f"wrote {out_c} and {out_h}: {name}[{len(data)}]")
    return 0
