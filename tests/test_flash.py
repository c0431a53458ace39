"""``scons board=B flash``: the exact flasher commands, the image's board identity, and
every failure ending in one line that says what to do. The real tools are replaced by
fake ones on PATH that print the real tools' messages."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.target.boards import load_board
from codegen.emit.build_info import read_build_info
from codegen.errors import TinyforgeError
from codegen.target.flash import choose_flasher, flash, flash_command
from codegen.paths import build_root

ROOT = Path(__file__).resolve().parent.parent
SCONS = Path(sys.executable).with_name("scons")
from codegen.target.boards import known_boards  # noqa: E402
BOARDS = known_boards()   # every board file: a new board is tested as soon as it exists

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc not installed (run scripts/bootstrap)")


@pytest.fixture(scope="module")
def images():
    """The default build of each board: build/<board>/kws_yes_no/firmware.elf."""
    built = {}
    for board in BOARDS:
        run = subprocess.run([str(SCONS), "-Q", f"board={board}"], cwd=ROOT, capture_output=True, text=True,
                             timeout=900)
        assert run.returncode == 0, run.stdout + run.stderr
        built[board] = build_root() / board / "kws_yes_no" / "firmware.elf"
    return built


def fake_tool(bin_dir: Path, name: str, output: str = "", status: int = 0) -> Path:
    """An executable ``name`` that records its arguments, prints ``output`` and exits with ``status``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / name
    script.write_text(f"#!/bin/sh\necho \"$@\" > \"{bin_dir}/{name}.args\"\ncat <<'OUT'\n{output}\nOUT\nexit {status}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def scons_flash(board: str, *args: str, path_dirs=()) -> subprocess.CompletedProcess:
    """scons flash with only ``path_dirs`` plus the toolchain's directory on PATH."""
    toolchain = str(Path(shutil.which("arm-none-eabi-gcc")).parent)
    env = dict(os.environ, PATH=os.pathsep.join([*map(str, path_dirs), toolchain, "/bin"]))
    return subprocess.run([str(SCONS), "-Q", f"board={board}", "flash", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=900, env=env)


def last_line(run: subprocess.CompletedProcess) -> str:
    return run.stderr.strip().splitlines()[-1]


# ---- the commands ----------------------------------------------------------------

@pytest.mark.parametrize("board, flasher, want", [
    ("bluepill", "openocd", "openocd -f interface/stlink.cfg -f target/stm32f1x.cfg "
                            "-c 'program {elf} verify reset exit'"),
    ("bluepill", "st-flash", "st-flash --reset write {bin} 0x08000000"),
    ("efr32mg12", "commander", "commander flash {hex} --device EFR32MG12P332F1024GL125"),
    ("efr32mg12", "openocd", "openocd -f interface/jlink.cfg -c 'transport select swd' -f target/efm32.cfg "
                             "-c 'program {elf} verify reset exit'"),
    ("efr32mg12", "jlink", "JLinkExe -device EFR32MG12PXXXF1024 -if SWD -speed 4000 -autoconnect 1 "
                           "-ExitOnError 1 -CommanderScript {dir}/flash-efr32mg12.jlink"),
    ("efr32mg24", "commander", "commander flash {hex} --device EFR32MG24B310F1536IM48"),
    ("efr32mg24", "jlink", "JLinkExe -device EFR32MG24BxxxF1536 -if SWD -speed 4000 -autoconnect 1 "
                           "-ExitOnError 1 -CommanderScript {dir}/flash-efr32mg24.jlink"),
    ("nucleo_f207zg", "openocd", "openocd -f interface/stlink.cfg -f target/stm32f2x.cfg "
                                 "-c 'program {elf} verify reset exit'"),
    ("nucleo_f207zg", "st-flash", "st-flash --reset write {bin} 0x08000000"),
    ("nucleo_l4r5zi", "openocd", "openocd -f interface/stlink.cfg -f target/stm32l4x.cfg "
                                 "-c 'program {elf} verify reset exit'"),
    ("nucleo_l4r5zi", "st-flash", "st-flash --reset write {bin} 0x08000000"),
    ("stm32f746g_disco", "openocd", "openocd -f interface/stlink.cfg -f target/stm32f7x.cfg "
                                    "-c 'program {elf} verify reset exit'"),
    ("stm32f746g_disco", "st-flash", "st-flash --reset write {bin} 0x08000000"),
    ("nrf52840dk", "nrfjprog", "nrfjprog -f NRF52 --program {hex} --chiperase --verify --reset"),
    ("nrf52840dk", "nrfutil", "nrfutil device program --options "
                              "chip_erase_mode=ERASE_ALL,verify=VERIFY_READ,reset=RESET_SYSTEM --firmware {hex}"),
    ("nrf52840dk", "openocd", "openocd -f interface/jlink.cfg -c 'transport select swd' -f target/nrf52.cfg "
                              "-c 'program {elf} verify reset exit'"),
    ("nano33ble", "bossac", "bossac -d -U -i -e -w {bin} -R"),
])
def test_dryrun_prints_exact_command(images, board, flasher, want):
    elf = images[board]
    want = want.format(elf=elf, bin=elf.with_suffix(".bin"), hex=elf.with_suffix(".hex"), dir=elf.parent)
    assert dry_run(board, elf, flasher) == want


def dry_run(board: str, image: Path, flasher: str, probe: str | None = None) -> str:
    """The line ``scons board=B flash flasher=F dryrun=1`` prints: its flash action's call, in this process (a
    scons start per board and tool took minutes; test_scons_dry_run_prints_the_command runs scons itself)."""
    printed = []
    flash(load_board(board), image, flasher, dryrun=True, echo=printed.append, probe=probe)
    return printed[-1]


def test_scons_dry_run_prints_the_command(images):
    elf = images["efr32mg12"]
    run = scons_flash("efr32mg12", "flasher=commander", "dryrun=1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == dry_run("efr32mg12", elf, "commander") == \
        f"commander flash {elf.with_suffix('.hex')} --device EFR32MG12P332F1024GL125"


def test_default_flasher_is_first_installed(tmp_path):
    mg12, mg24 = load_board("efr32mg12"), load_board("efr32mg24")
    old = os.environ["PATH"]
    try:
        os.environ["PATH"] = str(tmp_path)
        assert choose_flasher(mg12, None) == "commander"      # nothing installed: the board file's first choice
        fake_tool(tmp_path, "JLinkExe")
        assert choose_flasher(mg12, None) == "jlink" and choose_flasher(mg24, None) == "jlink"
        fake_tool(tmp_path, "openocd")
        assert choose_flasher(mg12, None) == "openocd"        # openocd before J-Link on Series 1
        fake_tool(tmp_path, "commander")
        assert choose_flasher(mg12, None) == "commander" and choose_flasher(mg24, None) == "commander"
        assert choose_flasher(load_board("bluepill"), None) == "openocd"
    finally:
        os.environ["PATH"] = old


def test_unknown_flasher_named():
    with pytest.raises(TinyforgeError, match=r"^flasher=openocd is not known for efr32mg24: choose one of "
                                             r"commander, jlink, pyocd$"):
        choose_flasher(load_board("efr32mg24"), "openocd")


def test_jlink_script_programs_the_hex(images, tmp_path):
    fake = tmp_path / "bin"
    fake_tool(fake, "JLinkExe", "J-Link: Flash download: Program & Verify speed: 120 KiB/s\nO.K.")
    run = scons_flash("efr32mg24", "flasher=jlink", path_dirs=[fake])
    assert run.returncode == 0, run.stdout + run.stderr
    script = images["efr32mg24"].with_name("flash-efr32mg24.jlink")
    assert script.read_text() == f"r\nh\nloadfile {images['efr32mg24'].with_suffix('.hex')}\nr\ng\nexit\n"
    args = (fake / "JLinkExe.args").read_text().split()
    assert args[args.index("-CommanderScript") + 1] == str(script)


def test_flash_runs_the_tool_with_the_image(images, tmp_path):
    fake = tmp_path / "bin"
    fake_tool(fake, "commander", "Parsing file firmware.hex...\nWriting 31412 bytes starting at address 0x00000000\n"
                                 "Comparing range 0x00000000 - 0x00007FFF (32 KB)\nDONE")
    run = scons_flash("efr32mg12", path_dirs=[fake])
    assert run.returncode == 0, run.stdout + run.stderr
    assert (fake / "commander.args").read_text().split() == [
        "flash", str(images["efr32mg12"].with_suffix(".hex")), "--device", "EFR32MG12P332F1024GL125"]


# ---- the image's identity ------------------------------------------------------

def test_image_carries_its_board(images):
    import hashlib
    sha = hashlib.sha256((ROOT / "models" / "kws_yes_no.tflite").read_bytes()).hexdigest()
    for board, elf in images.items():
        for image in (elf, elf.with_suffix(".bin")):
            info = read_build_info(image)
            assert info is not None, image
            assert (info.board, info.chip, info.model_sha256) == (board, load_board(board).data["board"]["chip"], sha)


def test_flash_refuses_image_for_another_board(images):
    run = scons_flash("efr32mg12", f"image={images['bluepill']}", "dryrun=1")
    assert run.returncode != 0
    assert last_line(run) == (f"error: {images['bluepill']} was built for board 'bluepill', not 'efr32mg12': "
                              "rebuild with 'scons board=efr32mg12' or flash it with board=bluepill")
    assert "Traceback" not in run.stdout + run.stderr
    with pytest.raises(TinyforgeError, match="was built for board 'efr32mg24', not 'bluepill'"):
        flash(load_board("bluepill"), images["efr32mg24"], dryrun=True)


# ---- failures: one line saying what to do ------------------------------------------

@pytest.mark.parametrize("board, flasher, want", [
    ("bluepill", "st-flash", "error: st-flash not found: install stlink-tools (Debian: apt-get install "
                             "stlink-tools), or choose flasher=openocd or flasher=pyocd"),
    ("efr32mg24", None, "error: commander not found: install Simplicity Commander from Silicon Labs "
                        "(silabs.com, 'Simplicity Commander') and put commander on PATH, or choose flasher=jlink or flasher=pyocd"),
])
def test_missing_tool(images, tmp_path, board, flasher, want):
    run = scons_flash(board, *([f"flasher={flasher}"] if flasher else []), path_dirs=[tmp_path])
    assert run.returncode != 0
    assert last_line(run) == want
    assert "Traceback" not in run.stdout + run.stderr


NO_PROBE = {
    # Real messages: stlink-tools 1.7, OpenOCD 0.12 (ST-Link and J-Link), Simplicity Commander, J-Link Commander.
    ("bluepill", "st-flash"): ("st-flash 1.7.0\nFailed to parse flash type or unrecognized flash type\n"
                               "Couldn't find any ST-Link devices", 255),
    ("bluepill", "openocd"): ("Open On-Chip Debugger 0.12.0\nInfo : auto-selecting first available session "
                              "transport \"hla_swd\".\nError: open failed\nin procedure 'program'", 1),
    ("efr32mg12", "openocd"): ("Open On-Chip Debugger 0.12.0\nError: No J-Link device found.\n"
                               "in procedure 'program'", 1),
    ("efr32mg12", "commander"): ("Parsing file firmware.hex...\nERROR: No adapter found.\nDONE", 1),
    ("efr32mg24", "jlink"): ("SEGGER J-Link Commander V7.94\nConnecting to J-Link via USB...FAILED: "
                             "Cannot connect to J-Link.", 1),
    ("nrf52840dk", "nrfjprog"): ("ERROR: There is no debugger connected to the PC.", 41),
}
VERIFY_FAILED = {
    ("bluepill", "openocd"): ("** Programming Finished **\n** Verify Started **\nError: checksum mismatch - "
                              "attempting binary compare\n** Verify Failed **", 1),
    ("bluepill", "st-flash"): ("Flash written\nERROR: Verification of flash failed at offset: 0x00000400", 255),
    ("efr32mg12", "commander"): ("Writing 31412 bytes starting at address 0x00000000\nERROR: Verify failed at "
                                 "address 0x00000200", 1),
    ("efr32mg24", "jlink"): ("Downloading file [firmware.hex]...\nVerify failed at address 0x08000200\nError "
                             "while programming flash: Verify failed.", 1),
}
TOOL = {"st-flash": "st-flash", "openocd": "openocd", "commander": "commander", "jlink": "JLinkExe",
        "nrfjprog": "nrfjprog", "bossac": "bossac"}


def test_bootloader_not_found_says_how_to_enter_it(images, tmp_path):
    fake_tool(tmp_path, "bossac", "No device found on ttyACM0", 1)
    run = scons_flash("nano33ble", "flasher=bossac", path_dirs=[tmp_path])
    assert run.returncode != 0
    assert last_line(run) == ("error: bossac found no board to flash: double-tap nano33ble's reset button so its "
                              "bootloader shows up as a serial port (the LED pulses), then flash again with "
                              "probe=<that port>, e.g. probe=/dev/ttyACM0")


@pytest.mark.parametrize("board, flasher", sorted(NO_PROBE))
def test_missing_probe(images, tmp_path, board, flasher):
    output, status = NO_PROBE[(board, flasher)]
    fake_tool(tmp_path, TOOL[flasher], output, status)
    run = scons_flash(board, f"flasher={flasher}", path_dirs=[tmp_path])
    assert run.returncode != 0
    assert output.splitlines()[-1] in run.stdout          # the tool's own words are shown
    assert last_line(run) == (f"error: {TOOL[flasher]} found no debug probe or could not reach the chip: connect "
                              f"{board}'s debug USB port, power the board, check the probe's USB permissions "
                              "(udev rules), then flash again")
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("board, flasher", sorted(VERIFY_FAILED))
def test_failed_verify(images, tmp_path, board, flasher):
    output, status = VERIFY_FAILED[(board, flasher)]
    fake_tool(tmp_path, TOOL[flasher], output, status)
    run = scons_flash(board, f"flasher={flasher}", path_dirs=[tmp_path])
    assert run.returncode != 0
    assert last_line(run) == (f"error: {TOOL[flasher]} wrote the image but verifying it failed: the flash on "
                              f"{board} does not hold this image; check the probe cable and the board's power, "
                              "then flash again")
    assert "Traceback" not in run.stdout + run.stderr


def test_other_tool_failure_points_at_its_output(images, tmp_path):
    fake_tool(tmp_path, "openocd", "Error: something unexpected", 3)
    run = scons_flash("bluepill", "flasher=openocd", path_dirs=[tmp_path])
    assert last_line(run) == "error: openocd failed (exit status 3): see its output above"


def test_flash_command_placeholders_checked(tmp_path):
    board = tmp_path / "odd.toml"
    board.write_text((ROOT / "boards" / "bluepill.toml").read_text()
                     .replace('"write", "{bin}"', '"write", "{image}"').replace('name = "bluepill"', 'name = "odd"'))
    with pytest.raises(TinyforgeError, match=r"\[flash.tools.st-flash\] command has an unknown placeholder "
                                             r"'image'"):
        flash_command(load_board(board), "st-flash", tmp_path / "firmware.elf")


# ---- dry runs that paste, probes by serial number, pyOCD ---------------------------

def test_jlink_dry_run_writes_the_script_it_names(images):
    script = images["efr32mg12"].with_name("flash-efr32mg12.jlink")
    script.unlink(missing_ok=True)
    run = scons_flash("efr32mg12", "flasher=jlink", "dryrun=1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"-CommanderScript {script}" in run.stdout.strip().splitlines()[-1]
    assert script.read_text() == f"r\nh\nloadfile {images['efr32mg12'].with_suffix('.hex')}\nr\ng\nexit\n"


@pytest.mark.parametrize("board, flasher, want", [
    ("bluepill", "openocd", "openocd -f interface/stlink.cfg -f target/stm32f1x.cfg -c 'adapter serial 0669FF' "
                            "-c 'program {elf} verify reset exit'"),
    ("bluepill", "st-flash", "st-flash --serial 0669FF --reset write {bin} 0x08000000"),
    ("efr32mg12", "commander", "commander --serialno 0669FF flash {hex} --device EFR32MG12P332F1024GL125"),
    ("efr32mg12", "jlink", "JLinkExe -SelectEmuBySN 0669FF -device EFR32MG12PXXXF1024 -if SWD -speed 4000 "
                           "-autoconnect 1 -ExitOnError 1 -CommanderScript {dir}/flash-efr32mg12.jlink"),
    ("efr32mg24", "pyocd", "{venv}/pyocd flash --target efr32mg24b310f1536im48 --uid 0669FF {hex}"),
    ("nrf52840dk", "nrfjprog", "nrfjprog --snr 0669FF -f NRF52 --program {hex} --chiperase --verify --reset"),
    ("nrf52840dk", "nrfutil", "nrfutil device program --options "
                              "chip_erase_mode=ERASE_ALL,verify=VERIFY_READ,reset=RESET_SYSTEM --serial-number 0669FF "
                              "--firmware {hex}"),
    ("nano33ble", "bossac", "bossac --port=0669FF -d -U -i -e -w {bin} -R"),
])
def test_probe_selects_the_debug_probe(images, board, flasher, want):
    elf = images[board]
    run = scons_flash(board, f"flasher={flasher}", "dryrun=1", "probe=0669FF")
    assert run.returncode == 0, run.stdout + run.stderr
    want = want.format(elf=elf, bin=elf.with_suffix(".bin"), hex=elf.with_suffix(".hex"), dir=elf.parent,
                       venv=Path(sys.executable).parent)
    assert run.stdout.strip().splitlines()[-1] == want


def test_a_tool_that_cannot_choose_a_probe_says_so(images, tmp_path):
    board = tmp_path / "custom.toml"
    board.write_text((ROOT / "boards" / "bluepill.toml").read_text()
                     .replace('[flash.tools.st-flash]', '[flash.tools.mytool]\ncommand = ["mytool", "{hex}"]\n'
                                                        '[flash.tools.st-flash]'))
    with pytest.raises(TinyforgeError) as error:
        flash(load_board(board), images["bluepill"], "mytool", dryrun=True, echo=lambda line: None,
              probe="0669FF")
    assert str(error.value) == ("mytool cannot be told which probe to use; unplug the other probes, or choose a "
                                "flasher that can (probe= works with JLinkExe, bossac, commander, nrfjprog, nrfutil, openocd, picotool, pyocd, st-flash)")


def test_pyocd_without_the_device_pack_says_how_to_get_it(images):
    run = scons_flash("bluepill", "flasher=pyocd")
    assert last_line(run) == ("error: pyOCD does not know target stm32f103c8: install its device pack once with "
                              "'.venv/bin/pyocd pack install stm32f103c8' (it downloads from the CMSIS pack index), "
                              "then flash again")


def test_pyocd_with_no_probe_connected_says_what_to_do(images, tmp_path):
    """A target pyOCD has built in (the STM32F103RC's flash algorithm); no probe is plugged in here."""
    board = tmp_path / "bluepill.toml"
    board.write_text((ROOT / "boards" / "bluepill.toml").read_text().replace('"stm32f103c8"', '"stm32f103rc"'))
    with pytest.raises(TinyforgeError) as error:
        flash(load_board(board), images["bluepill"], "pyocd", echo=lambda line: None)
    assert str(error.value) == ("pyOCD found no debug probe at all: connect bluepill's debug USB port, power the "
                                "board, check the probe's USB permissions (udev rules), then flash again")
    with pytest.raises(TinyforgeError) as error:
        flash(load_board(board), images["bluepill"], "pyocd", echo=lambda line: None, probe="0669FF")
    assert str(error.value).startswith("pyOCD found no debug probe with serial number 0669FF: ")


def every_flasher():
    return [(b, f) for b in BOARDS for f in load_board(b).data["flash"]["tools"]]


@pytest.mark.parametrize("board, flasher", every_flasher())
def test_every_flasher_of_every_board_has_a_dry_run(images, board, flasher, tmp_path):
    # probe= is the UF2 drive's folder for the drive flasher, a probe's serial number for the others
    command = load_board(board).data["flash"]["tools"][flasher]["command"]
    probe = str(tmp_path) if any("{drive}" in a for a in command) else None
    image = images[board]
    printed = dry_run(board, image, flasher, probe)
    assert Path(printed.split()[0]).name == Path(command[0]).name
    assert any(str(image.with_suffix(s)) in printed for s in (".elf", ".bin", ".hex", ".uf2")) or "-CommanderScript" in printed
