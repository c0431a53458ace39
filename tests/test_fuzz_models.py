"""Seeded model fuzzing (issue 7): every mutation of every shared model either builds and is bit-exact
with TFLite, or is refused with one line. See tests/fuzz_models.py for the mutations and the judge.

CI runs the first TINYFORGE_FUZZ_COUNT seeds per model (default 40); the full campaign is
``.venv/bin/python tests/fuzz_models.py --count 1000``. The counts printed are those of the run.
"""
from __future__ import annotations

import os
import shutil

import pytest

from fuzz_models import SHARED_MODELS, run_campaign, summarise

MODELS = sorted(SHARED_MODELS.glob("*.tflite"))
COUNT = int(os.environ.get("TINYFORGE_FUZZ_COUNT", "40"))


@pytest.mark.skipif(not MODELS, reason="../shared models not present")
@pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc not installed")
def test_every_mutation_builds_bit_exact_or_is_refused_in_one_line(tmp_path):
    outcomes = run_campaign(MODELS, list(range(COUNT)), workers=2, work_dir=tmp_path)
    report = summarise(outcomes)
    print("\n" + report)
    assert len(outcomes) == COUNT * len(MODELS)
    assert sum(o.verdict == "exact" for o in outcomes) > 0           # the judge really compares outputs
    assert sum(o.verdict == "rejected" for o in outcomes) > 0
    assert [o for o in outcomes if o.verdict == "other"] == [], report
