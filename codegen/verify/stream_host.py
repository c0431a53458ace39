"""The streaming pipeline on the host: the frontend over the whole stream, the model through TFLite's
reference kernels and the recognizer, integer for integer, so a test can say what the firmware must print."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codegen.features import Recipe
from codegen.features.recognizer import BACKGROUND_LABELS, DEFAULT_INFERENCE_EVERY


class Recognizer:
    """firmware/audio/recognizer.c in Python, integer for integer."""

    def __init__(self, labels: list[str], settings: dict[str, int], capacity: int):
        self.labels, self.settings, self.capacity = labels, settings, capacity
        self.is_keyword = [label.lower() not in BACKGROUND_LABELS for label in labels]
        self.history: list[tuple[int, np.ndarray]] = []
        self.last_detection_ms: int | None = None

        self.last_average: tuple[int, int] | None = None   # (top class, its mean) of the last result

    def process(self, scores: np.ndarray, time_ms: int) -> tuple[str, int] | None:
        s = self.settings
        self.last_average = None
        if len(self.history) == self.capacity:
            self.history.pop(0)
        self.history.append((time_ms, np.asarray(scores, np.int32) + 128))
        self.history = [(t, v) for t, v in self.history if t >= time_ms - s["average_window_ms"]]
        if len(self.history) < s["minimum_count"]:
            return None
        means = sum(v for _, v in self.history) // len(self.history)   # non-negative: floor == C's division
        top = int(np.argmax(means))
        self.last_average = (top, int(means[top]))
        if not self.is_keyword[top] or means[top] <= s["detection_threshold"]:
            return None
        if self.last_detection_ms is not None and time_ms - self.last_detection_ms <= s["suppression_ms"]:
            return None
        self.last_detection_ms = time_ms
        return self.labels[top], int(means[top])


def simulate_stream(model_path: Path, recipe: Recipe, samples: np.ndarray, labels: list[str],
                    settings: dict[str, int], inference_every: int = DEFAULT_INFERENCE_EVERY):
    """What the streaming firmware must print, computed on the host: our frontend over the whole
    stream (one state, as on the device), the model through TFLite's reference kernels, the recognizer.
    Returns ([(hop, time_ms, int8 scores)], [{"label", "time_ms", "score"}])."""
    from codegen.features import frontend_tables, quantize
    from codegen.features import microfrontend
    from codegen.verify.reference import reference_outputs

    t = frontend_tables(recipe)
    raw = microfrontend.process(np.asarray(samples, np.int16)[None, :], t)[0]
    slices = quantize(raw, recipe)
    silence = quantize(np.zeros((recipe.frames, recipe.channels), np.uint16), recipe)
    step = t.step_samples
    hops = -(-len(samples) // step)
    schedule, windows = [], []
    for n in range(inference_every, len(slices) + 1, inference_every):
        # slice n-1 completes when sample window + (n-1)*step arrives, in hop (that sample - 1) // step
        last_sample = t.window_samples + (n - 1) * t.step_samples
        hop = (last_sample - 1) // step
        seen = min((hop + 1) * step, len(samples))
        window = np.concatenate([silence, slices[:n]])[-recipe.frames:]
        schedule.append((hop, seen * 1000 // recipe.sample_rate))
        windows.append([window])
    outputs = reference_outputs(model_path, windows) if windows else []
    results_per_window = settings["average_window_ms"] // (recipe.frontend["window_step"] * inference_every) + 2
    recognizer = Recognizer(labels, settings, results_per_window)
    inferences, detections = [], []
    for (hop, time_ms), out in zip(schedule, outputs):
        scores = out[0].ravel().astype(np.int8)
        inferences.append((hop, time_ms, scores))
        found = recognizer.process(scores, time_ms)
        if found:
            detections.append({"label": found[0], "time_ms": time_ms, "score": found[1]})
    return inferences, detections, hops


def near_misses(inferences: list[tuple[int, int, list[int]]], labels: list[str], settings: dict[str, int],
                capacity: int) -> list[dict]:
    """Keywords that led the averaged scores but stayed at or under the threshold.

    Replays the recognizer over the inferences' scores (hop, time_ms, int8 scores). A near miss is a
    run of consecutive results whose averaged top class is one keyword, never detected in that run;
    it is reported once, at its peak: ``{"label", "time_ms", "peak_average", "threshold"}``, when that
    peak reached at least half the threshold (lower leads are the background's noise, not a missed word).
    """
    recognizer = Recognizer(labels, settings, capacity)
    misses: list[dict] = []
    run: dict | None = None

    def close(run: dict) -> None:
        if not run.pop("detected") and 2 * run["peak_average"] >= run["threshold"]:
            misses.append(run)

    for _, time_ms, scores in inferences:
        found = recognizer.process(np.asarray(scores, np.int8), time_ms)
        top = recognizer.last_average
        label = labels[top[0]] if top is not None and recognizer.is_keyword[top[0]] else None
        if run is not None and label != run["label"]:
            close(run)
            run = None
        if label is None:
            continue
        if run is None:
            run = {"label": label, "time_ms": time_ms, "peak_average": top[1],
                   "threshold": settings["detection_threshold"], "detected": False}
        elif top[1] > run["peak_average"]:
            run.update(time_ms=time_ms, peak_average=top[1])
        run["detected"] = run["detected"] or bool(found)
    if run is not None:
        close(run)
    return misses
