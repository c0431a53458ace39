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
from codegen.training.dataset import Source, load_dataset, load_sources, parse_source, which_set
from codegen.training.prepare import (Augmentation, AudioSource, band_limit, reverberate, speed_perturb)
from codegen.training.synth import ENGINE_COMMANDS
from codegen.wav import read_wav, write_wav

SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "speech"


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


def _mixed_folders(tmp_path: Path) -> tuple[Path, Path]:
    synth, real = tmp_path / "synth", tmp_path / "real"
    _write_clips(synth, "yes", [f"s{i}" for i in range(10)])
    _write_clips(synth, "no", [f"s{i}" for i in range(10)])
    _write_clips(synth, "cat", [f"s{i}" for i in range(10)])
    (synth / "_background_noise_").mkdir()
    write_wav(synth / "_background_noise_" / "hum.wav", np.zeros(32000, np.int16))
    (synth / "validation_list.txt").write_text("yes/s0_nohash_0.wav\n")
    (synth / "testing_list.txt").write_text("no/s1_nohash_0.wav\n")
    _write_clips(real, "yes", [f"{i:08x}" for i in range(40)])
    _write_clips(real, "no", [f"{i:08x}" for i in range(40)])
    _write_clips(real, "dog", [f"{i:08x}" for i in range(40)])
    return synth, real


def test_sources_mix_with_their_own_split_rules_and_copies(tmp_path):
    synth, real = _mixed_folders(tmp_path)
    ds = load_sources([Source(synth), Source(real, 5)], ["yes", "no"], silence_percentage=10,
                      unknown_percentage=100, validation_percentage=20, testing_percentage=20)
    alone = load_dataset(synth, ["yes", "no"], silence_percentage=0, unknown_percentage=100)
    # the first folder's clips are exactly its own dataset's: same paths, keys and split
    first = [it for it in ds.items["train"] if it.path and not Path(it.path).is_absolute()]
    assert [(it.path, it.key, it.split) for it in first] == [(it.path, it.key, it.split) for it in alone.items["train"]]
    assert all(it.copies is None for it in first)
    # the second folder: TF's speaker hash, absolute paths, keys "1/<path>", 5 renderings each
    later = [it for split in ds.items.values() for it in split if it.path and Path(it.path).is_absolute()]
    assert len(later) == 40 + 40 + 40 and all(it.key.startswith("1/") and it.copies == 5 for it in later)
    for it in later:
        assert it.split == which_set(it.key[2:], 20, 20)
    assert ds.split_source == "lists+hash"
    # silence: 10% of the keyword renderings of each split, from the one folder that has background noise;
    # in training a real clip given as DIR:5 counts five times against the default of one
    train_renderings = sum(it.copies or 1 for it in ds.items["train"] if it.label >= 2)
    assert ds.counts("train")[0] == math.ceil(train_renderings * 0.1)
    assert ds.counts("test")[0] == math.ceil(sum(1 for it in ds.items["test"] if it.label >= 2) * 0.1)
    assert ds.background == ["_background_noise_/hum.wav"]


def test_a_later_folder_may_hold_only_background_noise(tmp_path):
    _, real = _mixed_folders(tmp_path)
    room = tmp_path / "room"
    (room / "_background_noise_").mkdir(parents=True)
    write_wav(room / "_background_noise_" / "fan.wav", np.zeros(32000, np.int16))
    ds = load_sources([Source(real), Source(room)], ["yes", "no"], silence_percentage=10,
                      validation_percentage=20, testing_percentage=20)
    assert ds.background == [str(room.resolve() / "_background_noise_" / "fan.wav")]
    assert ds.counts("train")[0] > 0
    # the first folder must hold the words; a later one without them needs its background noise
    with pytest.raises(TinyforgeError, match=r"^--data .*room: no folder for yes, no \(folders: none\)$"):
        load_sources([Source(room), Source(real)], ["yes", "no"], silence_percentage=10)
    (room / "_background_noise_" / "fan.wav").unlink()
    (room / "_background_noise_").rmdir()
    with pytest.raises(TinyforgeError, match=r"^--data .*room: no folder for yes, no \(folders: none\)$"):
        load_sources([Source(real), Source(room)], ["yes", "no"], silence_percentage=10)


def test_source_errors_are_one_line(tmp_path):
    synth, real = _mixed_folders(tmp_path)
    assert parse_source(f"{real}:3") == Source(real, 3)
    assert parse_source(str(real)) == Source(real)
    with pytest.raises(TinyforgeError, match=r"^--data .*:0: expected DIR or DIR:N with N a count of renderings, "
                                              r"at least 1$"):
        parse_source(f"{real}:0")
    with pytest.raises(TinyforgeError, match="^--data: the same folder is given twice$"):
        load_sources([Source(real), Source(real, 2)], ["yes", "no"], silence_percentage=0)
    with pytest.raises(TinyforgeError, match=r"^--data: none of the folders has _background_noise_/\*\.wav"):
        load_sources([Source(real, 2)], ["yes", "no"], silence_percentage=10)


def test_augmentation_levers():
    rng = np.random.default_rng(1)
    t = np.arange(16000) / 16000
    tone = (np.sin(2 * np.pi * 1000 * t) * np.hanning(16000)).astype(np.float32)
    # speed: same length, the tone moves by the factor
    fast = speed_perturb(tone, 1.1)
    assert len(fast) == 16000
    peak = lambda x: np.argmax(np.abs(np.fft.rfft(x)))
    assert abs(peak(fast) - 1100) <= 2 and peak(tone) == 1000
    # reverberation: energy after the tone's end, same peak level
    burst = np.zeros(16000, np.float32)
    burst[1000:1400] = tone[7800:8200]
    wet = reverberate(burst, rng, 16000)
    assert np.abs(wet).max() == pytest.approx(np.abs(burst).max(), rel=1e-5)
    assert np.sum(wet[2000:] ** 2) > 100 * np.sum(burst[2000:] ** 2) + 1e-3
    # band limit: 50 Hz and 7.9 kHz lose more than 1 kHz does
    gains = []
    for f in (50, 1000, 7900):
        x = np.sin(2 * np.pi * f * t).astype(np.float32)
        gains.append(np.std(band_limit(x, np.random.default_rng(2), 16000)) / np.std(x))
    assert gains[0] < 0.6 * gains[1] and gains[2] < 0.7 * gains[1] and gains[1] > 0.9


def test_levers_draw_independently_and_reproducibly(tmp_path):
    synth, _ = _mixed_folders(tmp_path)
    x = (np.sin(np.arange(8000) / 5) * 8000).astype(np.int16)
    write_wav(synth / "yes" / "s2_nohash_0.wav", x)
    ds = load_dataset(synth, ["yes", "no"], silence_percentage=0, unknown_percentage=0)
    item = next(it for it in ds.items["train"] if it.path == "yes/s2_nohash_0.wav")
    source = AudioSource(synth, ds.background, 16000)
    render = lambda aug, copy=0: source.render(item, copy, True, aug, 7, 16000)
    plain = Augmentation(background_frequency=0)
    both = Augmentation(background_frequency=0, speed=1.0, level=1.0)
    assert np.array_equal(render(both), render(both))
    assert not np.array_equal(render(both), render(both, 1))
    assert not np.array_equal(render(plain), render(Augmentation(background_frequency=0, speed=1.0)))
    # each lever has its own generator: adding the room leaves the speed factor as it was
    import zlib
    from codegen.training.prepare import SPEED_RANGE
    r = np.random.default_rng([7, zlib.crc32(f"speed/{item.key}".encode()), 0])
    r.random()   # the lever's on/off draw (probability 1 here)
    factor = r.uniform(*SPEED_RANGE)
    clip = source.clip(item.path)
    expect = lambda y: np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16)
    sped = speed_perturb(clip, factor)
    assert np.array_equal(render(Augmentation(background_frequency=0, speed=1.0, time_shift_ms=0)), expect(sped))
    room = np.random.default_rng([7, zlib.crc32(f"reverb/{item.key}".encode()), 0])
    room.random()
    assert np.array_equal(render(Augmentation(background_frequency=0, speed=1.0, reverb=1.0, time_shift_ms=0)),
                          expect(reverberate(sped, room, 16000)))


def _engines_present() -> bool:
    return all(shutil.which(cmd) for cmd in ENGINE_COMMANDS.values())


def test_every_engine_speaks():
    if not _engines_present():
        pytest.skip("speech engines not installed (scripts/bootstrap)")
    from codegen.training.synth import speak_as, speaker
    for voice in ("en-us+m3", "flite-rms-v2", "flite-kal16-v5", "festival-ked_diphone-v1",
                  "festival-cmu_us_slt_arctic_hts-v0"):
        who = speaker(voice, 1234)
        x = speak_as("no", who, 160, 50, 100)
        assert 1600 < len(x) < 16000 and np.abs(x).max() > 1000, voice
    assert speaker("flite-kal-v3", 1234) == speaker("flite-kal-v3", 1234)
    assert speaker("festival-kal_diphone-v0", 1234).tract == 1.0


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    if not _engines_present():
        pytest.skip("speech engines not installed (scripts/bootstrap)")
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


def test_synth_dataset_mixes_engines(tiny_dataset):
    import csv
    rows = list(csv.DictReader((tiny_dataset / "manifest.csv").open()))
    assert {r["engine"] for r in rows} == {"espeak-ng", "flite", "festival"}
    assert all(float(r["tract"]) == 1.0 for r in rows if r["engine"] == "espeak-ng")


def test_small_model_trains_on_synthesized_and_real_clips(tiny_dataset, tmp_path, capsys):
    if not SPEECH.is_dir():
        pytest.skip("../shared/speech absent")
    model = tmp_path / "mixed" / "mixed_kws.tflite"
    assert main(["train", "--data", str(tiny_dataset), "--data", f"{SPEECH}:2", "--words", "yes,no",
                 "--epochs", "4", "--batch-size", "32", "--validation-percentage", "0", "--testing-percentage",
                 "13.5", "--unknown-percentage", "100", "--silence-percentage", "10", "--speed", "0.5",
                 "--reverb", "0.5", "--band-limit", "0.5", "--level", "0.5", "--snr-db", "5,25", "--quiet",
                 "--out", str(model)]) == 0
    out = capsys.readouterr().out
    record = json.loads(model.with_suffix(".train.json").read_text())
    assert record["data"] == [tiny_dataset.name, "speech:2"]
    assert record["split_source"] == "lists+hash"
    real_train = [p for p in SPEECH.glob("yes/*.wav") if which_set(f"yes/{p.name}", 0, 13.5) == "train"]
    tiny_yes = len([line for line in (tiny_dataset / "manifest.csv").read_text().splitlines()
                    if line.startswith("yes/") and ",train," in line])
    # every real "yes" of the training speakers is in the training split, beside the synthesized ones
    assert f"yes {tiny_yes + len(real_train)}," in out.splitlines()[0]
    assert record["augmentation"]["speed"] == 0.5 and record["augmentation"]["snr_db"] == [5.0, 25.0]

    report = tmp_path / "report"
    assert main(["evaluate", str(model), "--data", str(SPEECH), "--silence-percentage", "0", "--board",
                 "efr32mg24", "--sample", "16", "--out", str(report), "--quiet"]) == 0
    result = json.loads((report / "evaluation.json").read_text())
    # the held-out speakers only: none of their clips is in the training split
    assert result["test_clips"] == sum(1 for w in ("yes", "no") for p in SPEECH.glob(f"{w}/*.wav")
                                       if which_set(f"{w}/{p.name}", 0, 13.5) == "test") * 2
    assert result["firmware"]["byte_identical_to_reference"] == 16


def test_train_lever_errors_are_one_line(tmp_path, capsys):
    synth, real = _mixed_folders(tmp_path)
    base = ["train", "--data", str(synth), "--words", "yes,no", "--out", str(tmp_path / "m.tflite")]
    for extra, message in (
            (["--speed", "1.5"], "--speed 1.5: a share of clips, from 0 to 1"),
            (["--reverb", "-0.1"], "--reverb -0.1: a share of clips, from 0 to 1"),
            (["--snr-db", "20"], "--snr-db 20: expected LO,HI in dB, e.g. 0,20"),
            (["--snr-db", "20,5"], "--snr-db 20,5: LO must not exceed HI"),
            (["--data", f"{real}:x"], f"--data {real}:x: expected DIR or DIR:N with N a count of renderings, "
                                      f"at least 1"),
            (["--data", str(synth)], "--data: the same folder is given twice")):
        assert main([*base, *extra]) == 2
        assert capsys.readouterr().err == f"error: {message}\n"
    assert main(["synth-dataset", str(tmp_path / "d"), "--engines", "espeak-ng,sam"]) == 2
    assert capsys.readouterr().err == "error: --engines: unknown engine 'sam' (engines: espeak-ng, flite, festival)\n"


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


def test_a_collapsed_model_is_an_error_not_a_file(tiny_dataset, tmp_path, capsys):
    """A learning rate far too high kills every unit: the model would answer one class for every clip.
    train says so in one line and writes nothing."""
    out = tmp_path / "dead" / "dead_kws.tflite"
    assert main(["train", "--data", str(tiny_dataset), "--words", "yes,no", "--arch", "ds_cnn", "--epochs", "1",
                 "--batch-size", "32", "--unknown-percentage", "60", "--silence-percentage", "20",
                 "--learning-rate", "1000", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: training did not converge: the model answers '") and err.count("\n") == 1
    assert err.endswith("retrain with a lower --learning-rate (now 1000) or another --seed (now 1234)\n")
    assert not out.exists() and not out.with_suffix(".train.json").exists()
