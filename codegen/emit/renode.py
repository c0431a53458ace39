"""Renode files for a build: ``renode/<board>.resc`` and ``renode/<board>.robot``.

The ``.resc`` loads the platform description Renode ships for the board's chip
(the board file's ``[renode] platform``), the firmware ELF, and opens the
console UART (``[renode] console``). The Robot Framework test waits on that UART
for the exact ``result`` line of every input, with the outputs TensorFlow
Lite's reference kernels compute, then for the firmware's own ``N passed, 0 failed``; ``renode-test`` then
reports ``N+1 tests, N+1 passed, 0 failed``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from codegen.target.boards import Board
from codegen.errors import TinyforgeError
from codegen.emit.render import render

GENERATOR = "codegen.emit.renode"
# Wall-clock seconds renode-test waits for each line; Renode runs the whole model per input.
LINE_TIMEOUT_SECONDS = 120
_ROBOT_SPECIAL = "\\$@&%#="


def robot_literal(text: str) -> str:
    """``text`` as one literal Robot Framework argument (variables, comments and runs of spaces escaped)."""
    out = "".join("\\" + ch if ch in _ROBOT_SPECIAL else ch for ch in text)
    return out.replace("  ", " \\ ")


def result_line(index: int, name: str, labels: list[str] | None, outputs: list[np.ndarray]) -> str:
    """The line templates/main.c.j2 prints for one input (label = first maximum of output 0)."""
    first = outputs[0].ravel().astype(np.int8)
    best = int(np.argmax(first))
    label = labels[best] if labels else str(best)
    hexes = ",".join(o.ravel().astype(np.int8).tobytes().hex() for o in outputs)
    return f"result {index} {name} label={label} out={hexes}"


def render_renode(board: Board, elf: Path, manifest_path: Path, out_dir: Path) -> list[Path]:
    renode = board.data.get("renode")
    if not isinstance(renode, dict) or not {"platform", "console"} <= renode.keys():
        raise TinyforgeError(f"{board.path}: [renode] needs platform = \"platforms/...repl\" and "
                             "console = \"sysbus.<uart>\"")
    from codegen.verify.reference import reference_outputs
    manifest = json.loads(Path(manifest_path).read_text())
    cases = manifest["cases"]
    references = reference_outputs(manifest["model"], [c["inputs"] for c in cases])
    out_dir = Path(out_dir)
    resc = out_dir / f"{board.name}.resc"
    robot = out_dir / f"{board.name}.robot"
    common = dict(board_name=board.name, chip=board.data["board"].get("chip", board.name),
                  platform=renode["platform"], console=renode["console"], resc_name=resc.name)
    lines = [{"name": c["name"], "line": robot_literal(result_line(i, c["name"], manifest["labels"], ref))}
             for i, (c, ref) in enumerate(zip(cases, references))]
    return [
        render("renode.resc.j2", resc, GENERATOR, [board.path], elf=Path(elf).resolve(),
               model_name=Path(manifest["model"]).name, **common),
        render("renode.robot.j2", robot, GENERATOR, [board.path, manifest_path], resc=resc.resolve(),
               cases=lines, verdict_line=f"{len(cases)} passed, 0 failed", timeout_seconds=LINE_TIMEOUT_SECONDS, **common),
    ]
