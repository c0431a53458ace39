"""Flash through pyOCD's Python API (pyOCD is a requirement, installed in .venv): no subprocess to hope for.

A board file declares it like any flasher, ``command = ["pyocd", "flash", "--target", "<pyOCD target>",
"{hex}"]``; that is what a dry run prints (with .venv's pyocd), and here the same target and file are
programmed in-process. Every failure is one line that says what to do.
"""
from __future__ import annotations

import logging
from pathlib import Path

from codegen.errors import TinyforgeError


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command[:-1] else None


def known_targets() -> set[str]:
    """pyOCD's built-in targets and those of the device packs installed with ``pyocd pack install``."""
    from pyocd.target import TARGET
    names = set(TARGET)
    try:
        from pyocd.target.pack.pack_target import ManagedPacks
        names |= {t.part_number.lower() for t in ManagedPacks.get_installed_targets()}
    except Exception:  # noqa: BLE001 - no pack index yet: only the built-in targets are known
        pass
    return {n.lower() for n in names}


def flash_with_pyocd(board, command: list[str], probe: str | None) -> None:
    target = _option(command, "--target")
    image = Path(command[-1])
    if target is None:
        raise TinyforgeError(f"{board.path}: the pyocd flasher's command needs --target <pyOCD target name>")
    if target.lower() not in known_targets():
        raise TinyforgeError(f"pyOCD does not know target {target}: install its device pack once with "
                             f"'.venv/bin/pyocd pack install {target}' (it downloads from the CMSIS pack index), "
                             "then flash again")
    from pyocd.core.helpers import ConnectHelper
    from pyocd.flash.file_programmer import FileProgrammer
    logging.getLogger("pyocd").setLevel(logging.ERROR)
    try:
        session = ConnectHelper.session_with_chosen_probe(unique_id=probe, blocking=False, target_override=target,
                                                          return_first=probe is None)
    except Exception as exc:  # noqa: BLE001 - pyOCD's own errors are many; one line names it
        raise TinyforgeError(f"pyOCD could not open the probe: {exc}") from None
    if session is None:
        which = f"with serial number {probe}" if probe else "at all"
        raise TinyforgeError(f"pyOCD found no debug probe {which}: connect {board.name}'s debug USB port, power the "
                             "board, check the probe's USB permissions (udev rules), then flash again")
    try:
        with session:
            FileProgrammer(session).program(str(image), file_format="hex")
            session.board.target.reset()
    except Exception as exc:  # noqa: BLE001
        raise TinyforgeError(f"pyOCD failed to program {board.name}: {exc}; check the probe cable and the board's "
                             "power, then flash again") from None
