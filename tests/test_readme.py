"""The README's figures and commands come from real runs (scripts/update-readme) and stay true: each generated
part equals what a fresh run gives now."""
from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.paths import build_root

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def update_readme():
    loader = importlib.machinery.SourceFileLoader("update_readme", str(ROOT / "scripts" / "update-readme"))
    spec = importlib.util.spec_from_loader("update_readme", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def region(text: str, name: str) -> str:
    match = re.search(rf"<!-- begin generated: {name} -->\n(.*?)<!-- end generated: {name} -->", text, re.S)
    assert match, f"no generated block '{name}'"
    return match.group(1)


def test_readme_demo_output_is_what_the_demo_prints_now():
    readme = (ROOT / "README.md").read_text()
    assert region(readme, "demo") == update_readme().demo_output(str(build_root()))


def test_readme_benchmark_table_is_benchmarks_results():
    readme = (ROOT / "README.md").read_text()
    assert region(readme, "benchmarks") == update_readme().benchmark_table()


def test_readme_board_table_lists_every_board_file():
    readme = (ROOT / "README.md").read_text()
    table = region(readme, "boards")
    assert table == update_readme().board_table()
    from codegen.target.boards import known_boards
    assert [line.split("`")[1] for line in table.splitlines()[2:]] == known_boards()


def test_readme_training_commands_are_the_recorded_ones():
    readme, models = (ROOT / "README.md").read_text(), (ROOT / "models" / "README.md").read_text()
    assert region(readme, "training") == region(models, "training")
    # the recorded command is the one that made the committed model: its settings are the .train.json's
    import json
    record = json.loads((ROOT / "models" / "kws_yes_no.train.json").read_text())
    command = " ".join(region(readme, "training").replace("\\\n", " ").split())
    aug = record["augmentation"]
    for flag, value in (("--unknown-percentage", record["unknown_percentage"]),
                        ("--silence-percentage", record["silence_percentage"]),
                        ("--validation-percentage", record["validation_percentage"]),
                        ("--testing-percentage", record["testing_percentage"]), ("--epochs", record["epochs"]),
                        ("--augment-copies", aug["copies"]), ("--time-shift-ms", aug["time_shift_ms"]),
                        ("--speed", aug["speed"]), ("--reverb", aug["reverb"]), ("--band-limit", aug["band_limit"]),
                        ("--level", aug["level"])):
        assert f"{flag} {value:g}" in command, flag
    assert f"--snr-db {aug['snr_db'][0]:g},{aug['snr_db'][1]:g}" in command
    assert record["data"] == ["dataset", "speech:24"] and "--data build/dataset --data ../shared/speech:24" in command


@pytest.mark.skipif(not (SHARED / "models").is_dir(), reason="../shared/models not there")
def test_benchmark_row_matches_a_fresh_profile():
    """One row of benchmarks/results.md, re-measured: instructions, deployable flash and RAM are exact."""
    model = SHARED / "models" / "micro_speech_quantized.tflite"
    proc = subprocess.run([str(Path(sys.executable).with_name("scons")), "-Q", "board=bluepill", f"model={model}",
                           "vectors=1", "profile"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    p = json.loads((build_root() / "bluepill" / "micro_speech_quantized" / "profile.json").read_text())
    row = next(line for line in (ROOT / "benchmarks" / "results.md").read_text().splitlines()
               if line.startswith("| micro_speech | bluepill"))
    r = p["ram_bytes"]
    assert f"| bluepill (cortex-m3) | {p['instructions_per_inference']:,} | " in row
    assert f"| {p['estimated_ms_per_inference']:,.2f} | {p['flash_bytes']['deployable']:,} | " in row
    assert f"| {r['total']:,} = {r['arena']:,} + {r['static']:,} + {r['stack_peak']:,} |" in row


def test_size_report_separates_the_test_harness():
    """The deployable figure does not grow with the embedded test data; the test data does."""
    scons = str(Path(sys.executable).with_name("scons"))
    reports = {}
    for vectors in (1, 3):
        proc = subprocess.run([scons, "-Q", "board=bluepill", f"vectors={vectors}"], cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        text = proc.stdout
        reports[vectors] = (int(re.search(r"embedded test data ([\d,]+)", text).group(1).replace(",", "")),
                            int(re.search(r"deployed without the test application and its data: flash ([\d,]+)",
                                          text).group(1).replace(",", "")))
    (data1, deployed1), (data3, deployed3) = reports[1], reports[3]
    assert data3 > data1 + 2 * 1960          # two more 49x40 int8 inputs
    assert abs(deployed3 - deployed1) <= 8   # alignment padding at most
