"""report.html: one self-contained page per test and profile run, checked in a real headless Chromium (it
renders, a screenshot holds the charts, the console stays silent), for DS-CNN and for a 150-layer model."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.paths import build_root
from tflite_builder import Op, T, build

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCONS = Path(sys.executable).with_name("scons")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def scons(*args) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(SCONS), "-Q", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def check_self_contained(html: str) -> None:
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the report fetches something"
    assert "@import" not in html and "url(" not in html


def screenshot(report: Path, out: Path, height: int = 2400) -> str:
    """Render ``report`` headless; returns what Chromium logged from the page's console."""
    if CHROMIUM is None:
        pytest.skip("chromium not installed (scripts/bootstrap installs Debian's chromium)")
    proc = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--window-size=1280,{height}", "--enable-logging=stderr", "--v=0",
                           f"--screenshot={out}", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert out.is_file() and out.stat().st_size > 20_000, proc.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return "\n".join(line for line in proc.stderr.splitlines() if ":CONSOLE" in line)


@pytest.mark.skipif(not (SHARED / "models").is_dir(), reason="../shared/models not there")
def test_ds_cnn_profile_report(tmp_path):
    scons("board=efr32mg24", f"model={SHARED / 'models' / 'kws_ref_model.tflite'}", "vectors=1", "profile")
    report = build_root() / "efr32mg24" / "kws_ref_model" / "report.html"
    html = report.read_text()
    check_self_contained(html)
    for part in ("<h2>Model</h2>", "<h2>Size</h2>", "<h2>Per layer</h2>", "<h2>Memory plan</h2>",
                 "<h2>Test results</h2>", "<h2>Board and toolchain</h2>", "deployed without the test application",
                 "depthwise_conv2d_3x3_s8", "bit-exact with", "est. ms", "instr/MAC", "arm-none-eabi-gcc",
                 "TensorFlow (oracle)"):
        assert part in html, part
    assert html.count("<title>layer ") == 13                 # one bar per layer, named on hover
    assert html.count("<rect x=") == 13 + 13                  # 13 bars and the memory plan's 13 buffers
    console = screenshot(report, tmp_path / "ds_cnn.png")
    assert console == "", console


def test_report_stays_readable_at_150_layers(tmp_path):
    tensors = [T("input", (1, 64), "INT8", 0.05, 3)]
    ops = []
    for i in range(150):
        tensors.append(T(f"layer{i:03d}", (1, 64), "INT8", 0.05, 3))
        ops.append(Op("ADD", [i, i - 1], [i + 1], ("AddOptions", {})) if i % 3 == 2
                   else Op(("RELU", "TANH")[i % 2], [i], [i + 1]))
    model = tmp_path / "deep150.tflite"
    model.write_bytes(build(tensors, ops, [0], [150]))
    scons("board=efr32mg24", f"model={model}", "vectors=1", "profile")
    out = build_root() / "efr32mg24" / "deep150"
    html = (out / "report.html").read_text()
    check_self_contained(html)
    assert html.count("<title>layer ") == 150
    assert len(re.findall(r"<tr><td>\d+</td><td>(RELU|TANH|ADD)</td>", html)) == 150
    assert 'class="scroll"' in html                            # long charts and tables scroll inside the page
    assert (out / "profile.png").stat().st_size > 0
    console = screenshot(out / "report.html", tmp_path / "deep150.png", height=1800)
    assert console == "", console


def test_test_run_report_has_the_scores(tmp_path):
    proc = scons("board=bluepill", "test")
    # writing the report prints nothing: a test run still ends with its verdict
    assert proc.stdout.strip().splitlines()[-1] == "4 passed, 0 failed"
    html = (build_root() / "bluepill" / "kws_yes_no" / "report.html").read_text()
    check_self_contained(html)
    for name in ("house", "no", "silence", "yes"):
        assert f">{name}</td>" in html
    assert "yes=1.00" in html and html.count(">bit-exact</td>") == 4
    assert "this run did not profile" in html
