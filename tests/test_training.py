"""synth-dataset, train and evaluate: the dataset layout rules, and a tiny synthesized
dataset trained end to end, reproducibly, then checked on the host and in the emulator."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from codegen.__main__ import main
from codegen.errors import TinyforgeError
from codegen.training.dataset import load_dataset, which_set
from codegen.wav import write_wav


def _write_clips(root: Path, word: str, speakers: list[str], per_speaker: int = 1) -> None:
    (root / word).mkdir(parents=True, exist_ok=True)
    for s in speakers:
        for n in range(per_speaker):
            write_wav(root / word / f"{s}_nohash_{n}.wav", np.zeros(160, np.int16))


def test_which_set_keeps_a_speaker_in_one_split_and_follows_the_percentages():
    speakers = [f"{i:08x}" for i in range(4000)]
    splits = [which_set(f"yes/{s}_nohash_0.wav", 10, 10) for s in speakers]
    for s, split in zip(speakers[:200], splits):
        assert which_set(f"no/{s}_nohash_3.wav", 10, 10) == split
    shares = {name: splits.count(name) / len(splits) for name in ("train", "validation", "test")}
    assert abs(shares["validation"] - 0.1) < 0.02 and abs(shares["test"] - 0.1) < 0.02
    # TF's rule: int(SHA-1("0000002a"), 16) mod 2**27, times 100 / (2**27 - 1), is 35.37%.
    assert which_set("yes/0000002a_nohash_0.wav", 35.3, 10) == "test"
    assert which_set("yes/0000002a_nohash_0.wav", 35.4, 10) == "validation"
    assert which_set("yes/0000002a_nohash_0.wav", 10, 25.3) == "train"


def test_split_lists_silence_and_unknown_counts(tmp_path):
    _write_clips(tmp_path, "yes", [f"y{i}" for i in range(10)])
    _write_clips(tmp_path, "no", [f"n{i}" for i in range(10)])
    _write_clips(tmp_path, "cat", [f"c{i}" for i in range(20)])
    (tmp_path / "_background_noise_").mkdir()
    write_wav(tmp_path / "_background_noise_" / "hum.wav", np.zeros(32000, np.int16))
    (tmp_path / "validation_list.txt").write_text("yes/y0_nohash_0.wav\nno/n0_nohash_0.wav\ncat/c0_nohash_0.wav\n")
    (tmp_path / "testing_list.txt").write_text("yes/y1_nohash_0.wav\ncat/c1_nohash_0.wav\n")
    ds = load_dataset(tmp_path, ["yes", "no"], silence_percentage=25, unknown_percentage=50)
    assert ds.labels == ["silence", "unknown", "yes", "no"] and ds.split_source == "lists"
    # train: 17 keyword clips -> ceil(17 * 25%) = 5 silence, ceil(17 * 50%) = 9 unknown (of 18 cats)
    assert ds.counts("train") == [math.ceil(17 * 0.25), math.ceil(17 * 0.5), 8, 9]
    assert ds.counts("validation") == [1, 1, 1, 1]
    assert ds.counts("test") == [1, 1, 1, 0]
    assert all(it.path is None for it in ds.items["train"] if it.label == 0)


def test_dataset_errors_are_one_line(tmp_path):
    _write_clips(tmp_path, "yes", ["a"])
    with pytest.raises(TinyforgeError, match=r"no folder for no \(folders: yes\)"):
        load_dataset(tmp_path, ["yes", "no"])
    with pytest.raises(TinyforgeError, match=r"no _background_noise_/\*\.wav to make silence from"):
        load_dataset(tmp_path, ["yes"])
    with pytest.raises(TinyforgeError, match="'unknown' is a reserved class name"):
        load_dataset(tmp_path, ["unknown"])


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed (scripts/bootstrap)")
    root = tmp_path_factory.mktemp("tiny") / "data"
    assert main(["synth-dataset", str(root), "--words", "yes,no", "--voices", "16", "--per-word", "3",
                 "--unknown-per-voice", "4", "--copies", "2", "--quiet"]) == 0
    return root


def test_synth_dataset_layout(tiny_dataset):
    words = {p.name for p in tiny_dataset.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert {"yes", "no"} <= words and len(words) > 3
    assert len(list((tiny_dataset / "_background_noise_").glob("*.wav"))) == 6
    test_voices = {Path(line).name.split("_nohash_")[0]
                   for line in (tiny_dataset / "testing_list.txt").read_text().split()}
    train_voices = {p.name.split("_nohash_")[0] for p in (tiny_dataset / "yes").glob("*.wav")} - test_voices
    assert test_voices and train_voices and not test_voices & train_voices


def test_tiny_dataset_trains_reproducibly_and_firmware_agrees(tiny_dataset, tmp_path, capsys):
    args = ["train", "--data", str(tiny_dataset), "--words", "yes,no", "--arch", "ds_cnn", "--epochs", "6",
            "--batch-size", "32", "--unknown-percentage", "60", "--silence-percentage", "20", "--quiet"]
    first, second = tmp_path / "a" / "tiny_kws.tflite", tmp_path / "b" / "tiny_kws.tflite"
    assert main([*args, "--out", str(first)]) == 0
    assert main([*args, "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".labels").read_text().split() == ["silence", "unknown", "yes", "no"]
    record = json.loads(first.with_suffix(".train.json").read_text())
    assert set(record["operators"]) <= {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"}

    capsys.readouterr()
    report = tmp_path / "report"
    assert main(["evaluate", str(first), "--data", str(tiny_dataset), "--board", "bluepill", "--sample", "8",
                 "--out", str(report), "--quiet"]) == 0
    out = capsys.readouterr().out
    result = json.loads((report / "evaluation.json").read_text())
    # Above chance: better than always answering the test split's largest class.
    chance = max(map(sum, result["int8_confusion"])) / result["test_clips"]
    assert result["float_accuracy"] > chance and result["int8_accuracy"] > chance, out
    assert result["firmware"]["agree_with_host_int8"] == result["firmware"]["byte_identical_to_reference"] == 8
    assert "true \\ predicted" in out and "precision" in out
    assert (report / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_errors_are_one_line(tmp_path, capsys):
    _write_clips(tmp_path, "yes", ["a"])
    assert main(["train", "--data", str(tmp_path), "--words", "yes", "--out", str(tmp_path / "m.bin"),
                 "--silence-percentage", "0"]) == 2
    assert capsys.readouterr().err == f"error: --out {tmp_path / 'm.bin'}: the model file must end in .tflite\n"
    assert main(["train", "--data", str(tmp_path / "none"), "--words", "yes", "--out", str(tmp_path / "m.tflite")]) == 2
    assert capsys.readouterr().err == f"error: --data {tmp_path / 'none'}: no such directory\n"
    model = tmp_path / "m.tflite"
    model.write_bytes(b"")
    assert main(["evaluate", str(model), "--data", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"error: {tmp_path / 'm.labels'}: not found; evaluate needs the model's "
                                       f"labels (silence, unknown, then the words, one per line)\n")
