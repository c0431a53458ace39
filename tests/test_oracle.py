"""The oracle runs TFLite in a worker process: a crash there becomes one line, never ours.

A stand-in worker (the same frame protocol) crashes or answers as a test tells it through a counter
file, so the retry rules are tested without needing TFLite to corrupt its heap on cue."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from codegen.errors import TinyforgeError
from codegen.verify import oracle
from codegen.verify.reference import reference_outputs, run_reference

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "kws_yes_no.tflite"

# Each start of the stand-in takes the next action from the plan: "crash" aborts on the first
# request (after printing glibc's words to stderr), "answer N" replies with outputs filled with N.
STAND_IN = textwrap.dedent('''
    import os, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from codegen.verify.oracle import _receive, _send
    plan, counter = {plan!r}, {counter!r}
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    open(counter, "w").write(str(n + 1))
    action = plan[min(n, len(plan) - 1)]
    while True:
        try:
            _, model, cases = _receive(sys.stdin.buffer)
        except EOFError:
            sys.exit(0)
        if action == "crash":
            sys.stderr.write("double free or corruption (out)\\n")
            sys.stderr.flush()
            os.abort()
        value = int(action.split()[1])
        _send(sys.stdout.buffer, ("ok", [[np.full((1, 4), value, np.int8)] for _ in cases]))
''')


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    def install(*plan: str):
        script = tmp_path / "worker.py"
        script.write_text(STAND_IN.format(root=str(ROOT), plan=list(plan), counter=str(tmp_path / "starts")))
        monkeypatch.setattr(oracle.Worker, "command", [sys.executable, str(script)])
        monkeypatch.setattr(oracle, "_WORKER", None)
        return tmp_path / "starts"
    yield install
    oracle._shutdown()
    oracle._WORKER = None


CASES = [[np.zeros((1, 49, 40, 1), np.int8)]]


def test_the_worker_answers_as_tflite_does_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYFORGE_ORACLE_CACHE", str(tmp_path / "answers"))     # ask the worker, not the cache
    cases = [[np.full((1, 49, 40, 1), v, np.int8)] for v in (-128, 0, 37)]
    ours = reference_outputs(MODEL, cases)
    theirs = run_reference(MODEL, cases)
    assert [[o.tobytes() for o in case] for case in ours] == [[o.tobytes() for o in case] for case in theirs]
    first = oracle._WORKER.proc.pid
    reference_outputs(MODEL, cases[:1])
    assert oracle._WORKER.proc.pid == first          # one worker serves every request


def test_two_crashes_are_one_line(stand_in):
    stand_in("crash")
    with pytest.raises(TinyforgeError) as info:
        reference_outputs("keyword_scrambled_8bit.tflite", CASES)
    assert str(info.value) == (
        "TFLite itself failed on keyword_scrambled_8bit.tflite: its reference interpreter crashed twice "
        "(killed by signal 6, 'double free or corruption (out)'; then killed by signal 6, "
        "'double free or corruption (out)'), so there is no oracle to check this model against")


def test_a_crash_then_two_equal_answers_is_trusted(stand_in):
    starts = stand_in("crash", "answer 5", "answer 5")
    out = reference_outputs("m.tflite", CASES)
    assert out[0][0].tolist() == [[5, 5, 5, 5]] and starts.read_text() == "3"


def test_a_crash_then_two_different_answers_is_refused(stand_in):
    stand_in("crash", "answer 5", "answer 6")
    with pytest.raises(TinyforgeError, match=r"^TFLite itself failed on m\.tflite: its reference interpreter crashed "
                                             r"once \(killed by signal 6, 'double free or corruption \(out\)'\) and "
                                             r"then gave two different answers, so there is no oracle to check "
                                             r"against$"):
        reference_outputs("m.tflite", CASES)


def test_a_crash_on_the_third_run_is_refused(stand_in):
    stand_in("crash", "answer 5", "crash")
    with pytest.raises(TinyforgeError, match=r"crashed on two of three runs"):
        reference_outputs("m.tflite", CASES)


def test_no_crash_means_one_run(stand_in):
    starts = stand_in("answer 3")
    assert reference_outputs("m.tflite", CASES)[0][0].tolist() == [[3, 3, 3, 3]]
    assert reference_outputs("m.tflite", CASES)[0][0].tolist() == [[3, 3, 3, 3]]
    assert starts.read_text() == "1"


def test_a_clean_answer_is_kept_and_the_same_question_starts_no_worker(stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("TINYFORGE_ORACLE_CACHE", str(tmp_path / "answers"))
    model = tmp_path / "m.tflite"
    model.write_bytes(b"a model")
    starts = stand_in("answer 3")
    assert reference_outputs(model, CASES)[0][0].tolist() == [[3, 3, 3, 3]]
    oracle._shutdown()
    oracle._WORKER = None
    assert reference_outputs(model, CASES)[0][0].tolist() == [[3, 3, 3, 3]]
    assert starts.read_text() == "1" and oracle._WORKER is None          # answered from the cache
    model.write_bytes(b"another model")                                  # other bytes: asked again
    reference_outputs(model, CASES)
    assert starts.read_text() == "2"


def test_an_answer_after_a_crash_is_not_kept(stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("TINYFORGE_ORACLE_CACHE", str(tmp_path / "answers"))
    model = tmp_path / "m.tflite"
    model.write_bytes(b"a model")
    stand_in("crash", "answer 5", "answer 5")
    reference_outputs(model, CASES)
    assert not list((tmp_path / "answers").glob("*.pickle"))
