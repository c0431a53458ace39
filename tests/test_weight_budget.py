"""The weight budget (codegen/compiler/budget.py): with optimize=size the weights and parameters stay within the
bytes the .tflite holds for its constants, layers giving up their larger layouts least work per byte first;
optimize=speed keeps every fastest layout and the size report says what it costs."""
from __future__ import annotations

import re

import subprocess
import sys
from pathlib import Path

import pytest

from codegen.compiler.budget import tflite_bytes, weight_budget
from codegen.compiler.select import Target
from codegen.model.tflite_model import load_model
from codegen.pipeline import compile_model
from codegen.target.boards import load_board

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "models"
SCONS = Path(sys.executable).with_name("scons")


def shared_model(name: str):
    path = SHARED / f"{name}.tflite"
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return load_model(path)


def compiled(name: str, board: str, optimize: str):
    return compile_model(shared_model(name), Target.of(load_board(board), optimize))


def test_budget_counts_each_constant_and_its_quantization_parameters():
    # hello_world: three dense layers; 420 bytes of weights and biases, and one float32 scale and one int64
    # zero point per constant tensor (six of them, all per-tensor)
    model = shared_model("hello_world_int8")
    constants = [t for t in model.tensors if t.is_constant]
    assert sum(t.nbytes for t in constants) == 420
    assert all(len(t.quantization.scale) == 1 for t in constants) and len(constants) == 6
    assert weight_budget(model) == 420 + 6 * (4 + 8) == sum(map(tflite_bytes, constants))


def test_size_gives_up_the_one_layout_that_breaks_the_budget():
    # ResNet-8 on the M3: its three ADD tables (2,048 bytes each) put it 888 bytes over; the ADD with the fewest
    # elements goes back to the table-free kernel and the model fits
    size = compiled("pretrainedResnet_quant", "nucleo_f207zg", "size")
    budget = size.weight_budget
    assert budget.budget == 86_840 and budget.weights == size.weight_bytes == 85_680 and budget.over == 0
    assert budget.given_up == [(11, "ADD", "add_elementwise_s8", "add_s8", 2048)]
    layer = size.layers[11]
    assert layer.function == "add_s8"
    assert layer.choice_reason == "reference; the weight budget (optimize=size)"
    assert budget.summary() == (
        "weights and parameters 85,680 bytes = 0.99 x the 86,840 bytes the .tflite holds for its constants "
        "(data and quantization parameters); optimize=size, 1 layer in the .tflite's int8 layout to fit it "
        "(#11 ADD add_elementwise_s8 -> add_s8)")


def test_speed_keeps_the_fast_layout_and_says_what_it_costs():
    speed = compiled("pretrainedResnet_quant", "nucleo_f207zg", "speed")
    assert speed.layers[11].function == "add_elementwise_s8"
    assert speed.weight_budget.over == 888 and speed.weight_budget.given_up == []
    assert speed.weight_budget.summary() == (
        "weights and parameters 87,728 bytes = 1.01 x the 86,840 bytes the .tflite holds for its constants "
        "(data and quantization parameters); optimize=speed; over it by 888 bytes: faster layouts kept by "
        "optimize=speed (#3 ADD add_elementwise_s8 +2,048, #7 ADD add_elementwise_s8 +2,048, "
        "#11 ADD add_elementwise_s8 +2,048)")


def test_two_pixel_convolution_needs_no_layout_the_budget_gives_up():
    # micro_speech on the M3: its 10x8 layer takes two pixels per SMLAL over the .tflite's int8 filter, which
    # is also the fastest there, so both settings choose it and stay within the budget
    for optimize in ("size", "speed"):
        model = compiled("micro_speech_quantized", "bluepill", optimize)
        assert model.layers[1].function == "conv2d_tap_pairs_two_pixels_s8"
        assert model.layers[1].choice_reason == "fits_two_pixel_lanes"
        assert model.weight_budget.weights == 16_760 and model.weight_budget.over == 0
        assert model.weight_budget.given_up == []


def test_layers_give_up_least_work_per_byte_first():
    # ResNet-8 on the M4F is 888 bytes over with its three ADD tables (2,048 bytes each); the ADD with the
    # fewest elements (#11, 4,096) buys least per byte and goes alone
    size = compiled("pretrainedResnet_quant", "efr32mg12", "size")
    assert [(i, a, b) for i, _, a, b, _ in size.weight_budget.given_up] == [(11, "add_elementwise_s8", "add_s8")]
    assert size.weight_budget.over == 0
    assert [layer.function for layer in size.layers if layer.opcode == "ADD"] == [
        "add_elementwise_s8", "add_elementwise_s8", "add_s8"]


def test_the_lstm_computes_what_the_tflite_does_not_hold():
    # the LSTM's recurrent biases (4 gates x 80 cells x 4 bytes) and exp tables (2,048 + 1,024 + 512 bytes) are
    # derived data the .tflite does not hold: optimize=speed keeps them in flash and says so; optimize=size
    # keeps the kernel, computes the biases into RAM at reset and exp for each value, and fits the budget
    speed = compiled("micro_speech_lstm", "efr32mg12", "speed").weight_budget
    assert speed.over == 4_696 and speed.given_up == []
    assert speed.summary().endswith(
        "; over it by 4,696 bytes: faster layouts kept by optimize=speed "
        "(#0 UNIDIRECTIONAL_SEQUENCE_LSTM unidirectional_sequence_lstm_paired_s8 +4,720)")
    size = compiled("micro_speech_lstm", "efr32mg12", "size")
    budget = size.weight_budget
    assert budget.over == 0 and budget.weights == 120_900 and budget.budget == 121_068
    assert budget.given_up == [(0, "UNIDIRECTIONAL_SEQUENCE_LSTM", "unidirectional_sequence_lstm_paired_s8",
                                "unidirectional_sequence_lstm_paired_s8 (int8 [cell, input], recurrent biases "
                                "computed into RAM, exp computed)", 1_280 + 3_584)]
    lstm = size.layers[0]
    assert lstm.function == "unidirectional_sequence_lstm_paired_s8"
    assert not any("recurrent_bias" in c.name or "exp_" in c.name for c in lstm.consts)
    assert lstm.params["exp_tables"] == []
    assert lstm.params["reset_function"] == "unidirectional_sequence_lstm_recurrent_bias_s8"


def test_size_is_the_default_and_changes_nothing_within_budget():
    # the demo model is within its budget on the M3 (0.86): both settings choose the same kernels
    model = load_model(ROOT / "models" / "kws_yes_no.tflite")
    bluepill = load_board("bluepill")
    default = compile_model(model, Target.of(bluepill))
    speed = compile_model(model, Target.of(bluepill, "speed"))
    assert default.target.optimize == "size" and default.weight_budget.given_up == []
    assert [l.function for l in default.layers] == [l.function for l in speed.layers]
    assert default.weight_bytes == speed.weight_bytes <= default.weight_budget.budget


@pytest.mark.slow
def test_both_settings_build_bit_exact_and_the_size_report_says_which(tmp_path):
    model = SHARED / "pretrainedResnet_quant.tflite"
    if not model.is_file():
        pytest.skip(f"{model} is not there")
    import os
    env = {**os.environ, "TINYFORGE_BUILD_DIR": str(tmp_path)}
    for optimize, kernel_line in (("size", "optimize=size, 1 layer in the .tflite's int8 layout to fit it"),
                                  ("speed", "over it by 888 bytes: faster layouts kept by optimize=speed")):
        run = subprocess.run([str(SCONS), "-Q", "board=nucleo_f207zg", f"model={model}", "vectors=1", "count=no",
                              f"optimize={optimize}", "test"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "1 passed, 0 failed" in run.stdout
        assert kernel_line in run.stdout


def test_inspect_takes_the_setting(capsys):
    from codegen.__main__ import main
    path = SHARED / "pretrainedResnet_quant.tflite"
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    assert main(["inspect", str(path), "--board", "nucleo_f207zg", "--optimize", "speed"]) == 0
    out = capsys.readouterr().out
    assert "add_elementwise_s8" in out and "optimize=speed; over it by 888 bytes" in out
    assert main(["inspect", str(path), "--board", "nucleo_f207zg"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\n +11 ADD +add_s8 +chosen by reference; the weight budget \(optimize=size\)", out)


def test_inspect_refuses_an_unknown_setting():
    proc = subprocess.run([sys.executable, "-m", "codegen", "inspect", str(ROOT / "models" / "kws_yes_no.tflite"),
                           "--optimize", "fast"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith(
        "argument --optimize: invalid choice: 'fast' (choose from 'size', 'speed')")
