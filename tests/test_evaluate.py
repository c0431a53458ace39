"""evaluate: any folder of labelled clips as a test set, one firmware fed over semihosting by several emulator
processes, shards that add up to the whole, and the metrics a keyword spotter is judged by."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.__main__ import main
from codegen.errors import TinyforgeError
from codegen.paths import REPO_ROOT, build_root
from codegen.training.evaluate import keyword_metrics, parse_shard

SPEECH = REPO_ROOT.parent / "shared" / "speech"
MODEL = REPO_ROOT / "models" / "kws_yes_no.tflite"
needs_speech = pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech not present")
needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed (run scripts/bootstrap)")


@pytest.fixture(scope="module")
def speech_folder(tmp_path_factory):
    """A small labelled folder in the Speech Commands layout: 4 yes, 4 no and 2 each of three other words."""
    if not SPEECH.is_dir():
        pytest.skip("../shared/speech not present")
    root = tmp_path_factory.mktemp("speech") / "clips"
    for word, n in (("yes", 4), ("no", 4), ("up", 2), ("go", 2), ("bird", 2)):
        (root / word).mkdir(parents=True)
        for wav in sorted((SPEECH / word).glob("*.wav"))[:n]:
            shutil.copy(wav, root / word / wav.name)
    return root


def test_keyword_metrics():
    labels = ["silence", "unknown", "yes", "no"]
    m = np.array([[5, 0, 1, 0],      # a silence clip taken for "yes": a false accept
                  [0, 8, 1, 1],      # two unknown clips taken for keywords
                  [0, 1, 9, 0],
                  [0, 5, 0, 5]])
    got = keyword_metrics(m, labels)
    assert got["recall"] == {"silence": 5 / 6, "unknown": 0.8, "yes": 0.9, "no": 0.5}
    assert got["balanced_accuracy"] == pytest.approx((5 / 6 + 0.8 + 0.9 + 0.5) / 4)
    assert got["false_accepts"] == 3 / 16 and got["false_accept_clips"] == [3, 16]
    assert got["accuracy"] == 27 / 36
    # a class with no clips does not count towards balanced accuracy
    m[0] = 0
    assert keyword_metrics(m, labels)["recall"]["silence"] is None
    assert keyword_metrics(m, labels)["balanced_accuracy"] == pytest.approx((0.8 + 0.9 + 0.5) / 3)


def test_shard_argument():
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "2", "a/b", "2/0"):
        with pytest.raises(TinyforgeError, match=rf"--shard {bad}: expected K/N with 1 <= K <= N"):
            parse_shard(bad)


@needs_speech
@needs_toolchain
def test_test_folder_on_firmware_in_shards(speech_folder, tmp_path, capsys):
    out = tmp_path / "report"
    args = ["evaluate", str(MODEL), "--test", str(speech_folder), "--board", "bluepill", "--sample", "all",
            "--jobs", "2", "--cache", str(tmp_path / "cache"), "--out", str(out), "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    whole = json.loads((out / "evaluation.json").read_text())
    assert whole["test_clips"] == 14
    fw = whole["firmware"]
    assert fw["clips"] == fw["agree_with_host_int8"] == fw["byte_identical_to_reference"] == 14
    assert fw["jobs"] == 2 and all(c["identical"] for c in fw["cases"])
    assert whole["firmware_confusion"] == whole["int8_confusion"]
    metrics = whole["int8_metrics"]
    assert set(metrics) == {"accuracy", "balanced_accuracy", "recall", "false_accepts", "false_accept_clips"}
    assert metrics["false_accept_clips"][1] == 6          # the six clips of other words are the unknowns
    assert "balanced accuracy" in printed and "false accepts" in printed

    # Two shards, on two "machines", add up to the whole.
    for k in (1, 2):
        assert main([*args[:-3], "--out", str(out / "shards"), "--shard", f"{k}/2", "--quiet"]) == 0
    parts = [json.loads((out / "shards" / f"evaluation.{k}-of-2.json").read_text()) for k in (1, 2)]
    assert [p["test_clips"] for p in parts] == [7, 7]
    capsys.readouterr()
    assert main(["evaluate", "--merge", *(str(out / "shards" / f"evaluation.{k}-of-2.json") for k in (1, 2)),
                 "--out", str(out / "merged")]) == 0
    merged = json.loads((out / "merged" / "evaluation.json").read_text())
    for key in ("int8_confusion", "firmware_confusion", "test_clips"):
        assert merged[key] == whole[key]
    assert sorted(c["clip"] for c in merged["firmware"]["cases"]) == sorted(c["clip"] for c in fw["cases"])

    # Merging needs each shard once, of one evaluation.
    one = str(out / "shards" / "evaluation.1-of-2.json")
    assert main(["evaluate", "--merge", one, one]) == 2
    assert capsys.readouterr().err == "error: merge needs shards 1/2 .. 2/2 once each; got 1/2, 1/2\n"
    assert main(["evaluate", "--merge", str(out / "evaluation.json")]) == 2
    assert capsys.readouterr().err == f"error: {out / 'evaluation.json'}: not a shard (made without --shard K/N)\n"


def test_evaluate_argument_errors(tmp_path, capsys):
    cases = [
        (["evaluate"], "error: give a model to evaluate, or --merge REPORT ... to add up shards\n"),
        (["evaluate", str(MODEL)], "error: give the test set as --data DIR (its test split) or --test DIR "
                                   "(every clip)\n"),
        (["evaluate", str(MODEL), "--test", str(tmp_path), "--data", str(tmp_path)],
         "error: give the test set as --data DIR (its test split) or --test DIR (every clip)\n"),
        (["evaluate", str(MODEL), "--test", str(tmp_path), "--sample", "some"],
         "error: --sample some: expected a number or all\n"),
        (["evaluate", str(MODEL), "--test", str(tmp_path), "--jobs", "0"], "error: --jobs 0: must be at least 1\n"),
        (["evaluate", str(MODEL), "--test", str(tmp_path), "--shard", "3/2"],
         "error: --shard 3/2: expected K/N with 1 <= K <= N, e.g. --shard 2/4\n"),
        (["evaluate", str(MODEL), "--merge", str(tmp_path / "a.json")],
         "error: --merge takes only the shards' reports (and --out)\n"),
        (["evaluate", "--merge", str(tmp_path / "a.json")],
         f"error: {tmp_path / 'a.json'}: cannot read an evaluation report: [Errno 2] No such file or directory: "
         f"'{tmp_path / 'a.json'}'\n"),
        (["evaluate", str(MODEL), "--test", str(tmp_path / "none")], f"error: --test {tmp_path / 'none'}: no such "
                                                                      "directory\n"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert capsys.readouterr().err == message


@needs_toolchain
def test_evaluation_firmware_through_scons(tmp_path):
    env_build = build_root()
    scons = [str(Path(sys.executable).with_name("scons")), "-Q", "-C", str(REPO_ROOT), "board=efr32mg24",
             "app=evaluate"]
    done = subprocess.run([*scons, "vectors=5", "test"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert "kws_yes_no.tflite on efr32mg24: 5 inputs streamed into one firmware" in lines
    assert lines[-1] == "5 passed, 0 failed"

    # The firmware reads its inputs whole: a file that ends inside one is an error, not a wrong result.
    from codegen.target.boards import load_board
    from codegen.verify.emulator import run_firmware
    elf = env_build / "efr32mg24" / "kws_yes_no-evaluate" / "firmware.elf"
    import numpy as np
    from codegen.verify.reference import reference_outputs
    run = run_firmware(elf, load_board("efr32mg24"), files={"inputs.bin": bytes(1960 + 3)}, count=False)
    assert run.exit_code == 1
    zero = reference_outputs(MODEL, [[np.zeros((1, 49, 40, 1), np.int8)]])[0][0]   # the one whole input: zeros
    assert run.console.splitlines()[1:] == [f"result 0 out={zero.astype(np.int8).tobytes().hex()}",
                                            "error: inputs.bin ends inside an input"]

    profile = subprocess.run([*scons, "profile"], capture_output=True, text=True)
    assert profile.returncode != 0
    assert "error: profile runs app=test (one inference per embedded input); drop app=evaluate" in profile.stderr
