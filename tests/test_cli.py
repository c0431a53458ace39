"""The ``python -m codegen`` verbs: help, option names, model2c and inspect."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.__main__ import build_parser, main, verbs

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "kws_yes_no.tflite"


def test_every_verb_has_help_with_an_example(capsys):
    for name in verbs():
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert "example:" in out and "python -m codegen " + name in out


def test_no_two_options_collide():
    parser = build_parser()
    for name, sub in parser._subparsers._group_actions[0].choices.items():
        strings = [s for action in sub._actions for s in action.option_strings]
        assert len(strings) == len(set(strings)), name


def test_required_verbs_exist():
    assert {"model2c", "features", "inspect", "emulate"} <= set(verbs())


def test_model2c_writes_the_bytes_xxd_style(tmp_path):
    assert main(["model2c", str(MODEL), "-o", str(tmp_path)]) == 0
    c_file, h_file = tmp_path / "kws_yes_no_model_data.c", tmp_path / "kws_yes_no_model_data.h"
    text = c_file.read_text()
    assert "DO NOT EDIT" in text
    assert "const unsigned char g_kws_yes_no_model_data[] __attribute__((aligned(16))) = {" in text
    body = text[text.index("= {") + 3:text.index("};")]
    assert bytes(int(b, 16) for b in re.findall(r"0x([0-9a-f]{2})", body)) == MODEL.read_bytes()
    assert f"const unsigned int g_kws_yes_no_model_data_len = {MODEL.stat().st_size};" in text
    assert "extern const unsigned char g_kws_yes_no_model_data[];" in h_file.read_text()
    # The pair compiles, and the array really is 16-byte aligned in the object.
    subprocess.run(["gcc", "-c", "-Wall", "-Werror", str(c_file), "-o", str(tmp_path / "a.o")], check=True)


def test_model2c_is_reproducible(tmp_path):
    main(["model2c", str(MODEL), "-o", str(tmp_path / "a")])
    main(["model2c", str(MODEL), "-o", str(tmp_path / "b")])
    for name in ["kws_yes_no_model_data.c", "kws_yes_no_model_data.h"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_inspect_reports_operators_and_arena(capsys):
    assert main(["inspect", str(MODEL)]) == 0
    out = capsys.readouterr().out
    assert "CONV_2D" in out and "supported" in out
    assert re.search(r"arena: \d+ bytes \(lower bound \d+\)", out)


def test_user_errors_are_one_line_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "codegen", "inspect", str(tmp_path / "nope.tflite")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope.tflite'}: cannot read model: "
                                                "No such file or directory"]


def test_inspect_shows_the_kernel_each_board_gets(capsys):
    """The selector's choice per layer, as the build will make it for that board."""
    ds_cnn = ROOT.parent / "shared" / "models" / "kws_ref_model.tflite"
    if not ds_cnn.is_file():
        pytest.skip(f"{ds_cnn} is not there")
    assert main(["inspect", str(ds_cnn), "--board", "efr32mg24"]) == 0
    dsp = capsys.readouterr().out
    assert "kernels for efr32mg24 (cortex-m33, DSP):" in dsp
    assert re.search(r"\n +1 DEPTHWISE_CONV_2D +depthwise_conv2d_3x3_s8 +chosen by fits_depthwise_ring, "
                     r"has_3x3_dsp_depthwise; int16 pairs .*; 1344 B scratch; in place\n", dsp)
    assert main(["inspect", str(ds_cnn), "--board", "bluepill"]) == 0
    m3 = capsys.readouterr().out
    assert re.search(r"\n +1 DEPTHWISE_CONV_2D +depthwise_conv2d_fast_s8 +chosen by fits_depthwise_ring;", m3)
    assert re.search(r"\n +0 CONV_2D +conv2d_tap_pairs_two_pixels_s8 +chosen by fits_two_pixel_lanes; four output "
                     r"channels by four taps per block\n", m3)


def test_inspect_unknown_board_is_one_line():
    proc = subprocess.run([sys.executable, "-m", "codegen", "inspect", str(MODEL), "--board", "nosuch"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    from codegen.target.boards import known_boards
    assert proc.stderr.strip().splitlines() == [f"error: unknown board 'nosuch': known boards are "
                                                f"{', '.join(known_boards())}"]


def test_inspect_board_says_whether_the_model_fits(capsys):
    assert main(["inspect", str(MODEL), "--board", "bluepill"]) == 0
    out = capsys.readouterr().out
    assert "fit on bluepill (flash 65,536 bytes, RAM 20,480 bytes):" in out
    assert re.search(r"\n  RAM +8,384 = arena 6,336 \+ stack reserve 2,048 \(40\.9 %\)", out)
    assert "\nfits bluepill\n" in out


def test_inspect_board_names_the_overflow_and_a_board_that_fits(capsys):
    vww = ROOT.parent / "shared" / "models" / "vww_96_int8.tflite"
    if not vww.is_file():
        pytest.skip(f"{vww} is not there")
    from codegen.compiler.select import Target
    from codegen.model.tflite_model import load_model
    from codegen.pipeline import compile_model
    from codegen.target.boards import load_board
    board = load_board("bluepill")
    compiled = compile_model(load_model(vww), Target.of(board))
    flash_over = compiled.weight_bytes - board.flash.length
    ram_over = compiled.arena_size + board.stack_reserve - board.ram.length
    assert main(["inspect", str(vww), "--board", "bluepill"]) == 0
    out = capsys.readouterr().out
    assert (f"\ndoes not fit bluepill: FLASH overflowed by at least {flash_over:,} bytes (the region is 65,536 "
            f"bytes); RAM overflowed by at least {ram_over:,} bytes (the region is 20,480 bytes); it fits efr32mg12, efr32mg24, "
            "nano33ble, nrf52840dk, nucleo_f207zg, nucleo_l4r5zi, rpi_pico, stm32f746g_disco\n") in out
