"""Flash a built image onto a real board: ``scons board=B flash [flasher=...] [dryrun=1] [image=...]``.

The board file's ``[flash]`` section names the tools and their command lines
(``{elf}``, ``{bin}``, ``{hex}`` and ``{jlink_script}`` are filled in here);
``codegen/flashers.toml`` knows, per tool, how to install it and how to
recognise "no probe" and "verify failed" in its output. Every failure ends in
one :class:`TinyforgeError` line that says what to do.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from codegen.target.boards import Board
from codegen.emit.build_info import read_build_info
from codegen.errors import TinyforgeError

FLASHERS = tomllib.loads((Path(__file__).with_name("flashers.toml")).read_text())


def tool_table(board: Board) -> dict[str, dict]:
    tools = board.data.get("flash", {}).get("tools", {})
    if not tools:
        raise TinyforgeError(f"{board.path}: no [flash.tools.<name>] section: this board cannot be flashed")
    for name, spec in tools.items():
        command = spec.get("command")
        if not (isinstance(command, list) and command and all(isinstance(a, str) for a in command)):
            raise TinyforgeError(f"{board.path}: [flash.tools.{name}] needs command = [\"tool\", \"arg\", ...]")
    return tools


def default_order(board: Board) -> list[str]:
    tools = tool_table(board)
    default = board.data["flash"].get("default", list(tools))
    order = [default] if isinstance(default, str) else list(default)
    for name in order:
        if name not in tools:
            raise TinyforgeError(f"{board.path}: [flash] default names '{name}', which has no "
                                 f"[flash.tools.{name}] (known: {', '.join(tools)})")
    return order


def choose_flasher(board: Board, flasher: str | None) -> str:
    """``flasher`` if given, else the first default whose executable is on PATH
    (or the first default at all, so a dry run still shows a command)."""
    tools = tool_table(board)
    if flasher:
        if flasher not in tools:
            raise TinyforgeError(f"flasher={flasher} is not known for {board.name}: "
                                 f"choose one of {', '.join(tools)}")
        return flasher
    order = default_order(board)
    for name in order:
        if shutil.which(tools[name]["command"][0]):
            return name
    return order[0]


def flash_command(board: Board, flasher: str, image: Path, drive: str | None = None) -> list[str]:
    """The exact command line for ``flasher`` and ``image`` (an ELF beside its .bin, .hex and, for a UF2
    board, .uf2). ``drive``: the folder a USB mass-storage bootloader shows up as (``{drive}``)."""
    image = Path(image).resolve()
    command = tool_table(board)[flasher]["command"]
    paths = {"elf": image, "bin": image.with_suffix(".bin"), "hex": image.with_suffix(".hex"),
             "uf2": image.with_suffix(".uf2"), "jlink_script": image.with_name(f"flash-{board.name}.jlink"),
             "drive": drive or ""}
    try:
        return [arg.format(**{k: str(v) for k, v in paths.items()}) for arg in command]
    except (KeyError, IndexError, ValueError) as exc:
        raise TinyforgeError(f"{board.path}: [flash.tools.{flasher}] command has an unknown "
                             f"placeholder {exc} (known: {', '.join('{' + k + '}' for k in paths)})") from None


def _write_jlink_script(command: list[str], image: Path) -> None:
    """J-Link Commander takes its commands from the file named after -CommanderScript."""
    if "-CommanderScript" not in command:
        return
    script = Path(command[command.index("-CommanderScript") + 1])
    lines = [line.format(hex=str(Path(image).resolve().with_suffix(".hex")))
             for line in FLASHERS["JLinkExe"]["script"]]
    script.write_text("\n".join(lines) + "\n")


def check_image(board: Board, image: Path) -> None:
    info = read_build_info(image)
    if info is None:
        raise TinyforgeError(f"{image} carries no tinyforge build-info record: rebuild it with "
                             f"'scons board={board.name}' and flash that")
    if info.board != board.name:
        raise TinyforgeError(f"{image} was built for board '{info.board}', not '{board.name}': rebuild "
                             f"with 'scons board={board.name}' or flash it with board={info.board}")


def _diagnose(tool: str, output: str, returncode: int, board: Board) -> str:
    known = FLASHERS.get(tool, {})
    text = output.lower()
    if any(p.lower() in text for p in known.get("no_probe", [])):
        if "no_probe_hint" in known:     # a bootloader over a serial port, not a debug probe
            return f"{tool} found no board to flash: {known['no_probe_hint'].format(board=board.name)}"
        return (f"{tool} found no debug probe or could not reach the chip: connect {board.name}'s debug USB "
                f"port, power the board, check the probe's USB permissions (udev rules), then flash again")
    if any(p.lower() in text for p in known.get("verify_failed", [])):
        return (f"{tool} wrote the image but verifying it failed: the flash on {board.name} does not hold "
                f"this image; check the probe cable and the board's power, then flash again")
    return f"{tool} failed (exit status {returncode}): see its output above"


def with_probe(command: list[str], probe: str | None) -> list[str]:
    """``command`` told to use the debug probe with serial number ``probe`` (flashers.toml says how)."""
    if not probe:
        return command
    tool = Path(command[0]).name
    known = FLASHERS.get(tool, {})
    if "probe" not in known:
        raise TinyforgeError(f"{tool} cannot be told which probe to use; unplug the other probes, or choose a "
                             f"flasher that can (probe= works with {', '.join(sorted(k for k, v in FLASHERS.items() if 'probe' in v))})")
    args = [a.format(probe=probe) for a in known["probe"]]
    after = known.get("probe_after")
    position = 1
    if after and after in command:
        # after the last "<after> value" pair, e.g. OpenOCD's config files, which must precede the serial
        position = len(command) - command[::-1].index(after) + 1
    return [*command[:position], *args, *command[position:]]


def pasteable(command: list[str]) -> list[str]:
    """pyOCD runs in-process from .venv; the command to paste names the .venv's pyocd."""
    if Path(command[0]).name == "pyocd":
        return [str(Path(sys.executable).with_name("pyocd")), *command[1:]]
    return command


def flash(board: Board, image, flasher: str | None = None, dryrun: bool = False, echo=print,
          probe: str | None = None) -> None:
    """Flash ``image`` (an ELF with its .bin/.hex beside it) onto ``board``; raise TinyforgeError on failure.
    ``probe``: the serial number of the debug probe to use. A dry run prints the command and writes any file
    it names (the J-Link script), so the printed command works when pasted."""
    image = Path(image)
    if not image.is_file():
        raise TinyforgeError(f"image '{image}' not found: build it first with 'scons board={board.name}'")
    check_image(board, image)
    name = choose_flasher(board, flasher)
    if any("{drive}" in arg for arg in tool_table(board)[name]["command"]):
        # a USB drive, not a probe: probe= names its folder
        if not probe:
            raise TinyforgeError(f"flasher={name} copies the image to {board.name}'s USB bootloader drive: "
                                 f"{tool_table(board)[name].get('drive_hint', 'connect the board in its bootloader')}"
                                 f", then flash again with probe=<the drive's folder>")
        if not Path(probe).is_dir() and not dryrun:
            raise TinyforgeError(f"probe={probe}: no such folder; mount the board's bootloader drive there first")
        command = flash_command(board, name, image, str(Path(probe)) + "/")
    else:
        command = with_probe(flash_command(board, name, image), probe)
    if Path(command[0]).name == "pyocd":
        from codegen.target.pyocd_flash import flash_with_pyocd
        echo(shlex.join(pasteable(command)))
        if not dryrun:
            flash_with_pyocd(board, command, probe)
        return
    _write_jlink_script(command, image)
    if dryrun:
        echo(shlex.join(command))
        return
    tool = command[0]
    if shutil.which(tool) is None:
        others = [n for n in tool_table(board) if n != name]
        hint = FLASHERS.get(Path(tool).name, {}).get("install", f"install {tool} and put it on PATH")
        alternative = f", or choose flasher={' or flasher='.join(others)}" if others else ""
        raise TinyforgeError(f"{tool} not found: {hint}{alternative}")
    echo(shlex.join(command))
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(proc.stdout)
    sys.stdout.flush()
    if proc.returncode != 0:
        raise TinyforgeError(_diagnose(Path(tool).name, proc.stdout, proc.returncode, board))
