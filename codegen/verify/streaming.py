"""The streaming application (``app=stream``): generation and the emulator run.

The firmware (templates/main_stream.c.j2) reads 16-bit PCM the host offers
over semihosting, runs the audio frontend every hop, the model every
``inference_every`` hops, and the command recognizer on every result; it
prints each detection. ``run_stream`` gives the emulator the stream, collects
the detections into ``detections.json`` and the per-hop and per-inference
instruction counts into ``stream.json``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from codegen.emit.board_support import render_board_support
from codegen.target.boards import Board
from codegen.emit.build_info import render_build_info
from codegen.verify.emulator import run_firmware
from codegen.errors import TinyforgeError
from codegen.features import Recipe
from codegen.features.firmware import render_frontend_sources
from codegen.emit.generate import GeneratedFirmware, generate_model_sources
from codegen.pipeline import CompiledModel
from codegen.target.toolchain import app_sources
from codegen.emit.render import render, write_if_changed
from codegen.wav import read_wav

STREAM_NAME = "stream.pcm"
# MLTK's micro-speech recognizer settings (its model's SL_PARAMSv1 metadata:
# average_window_duration_ms, detection_threshold, suppression_ms, minimum_count)
RECOGNIZER_DEFAULTS = dict(average_window_ms=1000, detection_threshold=185, suppression_ms=1500, minimum_count=3)
DEFAULT_INFERENCE_EVERY = 5          # hops: 100 ms at a 20 ms hop, ten results per averaging window
BACKGROUND_LABELS = {"silence", "unknown", "_silence_", "_unknown_", "background", "_background_noise_"}

INFERENCE_LINE = re.compile(r"^inference (\d+) (-?\d+) ([0-9a-f]*)$")
DETECT_LINE = re.compile(r"^detect (\S+) (-?\d+) (\d+)$")
DONE_LINE = re.compile(r"^done (\d+) (\d+)$")


def recognizer_settings(overrides: dict[str, str | int | None]) -> dict[str, int]:
    settings = dict(RECOGNIZER_DEFAULTS)
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in settings:
            raise TinyforgeError(f"unknown recognizer setting '{key}' (known: {', '.join(settings)})")
        try:
            settings[key] = int(value)
        except ValueError:
            raise TinyforgeError(f"{key}={value}: expected a whole number") from None
        if settings[key] < 0:
            raise TinyforgeError(f"{key}={value}: must not be negative")
    return settings


def generate_stream_firmware(board: Board, compiled: CompiledModel, labels: list[str] | None, recipe: Recipe,
                             out_dir: Path, settings: dict[str, int],
                             inference_every: int = DEFAULT_INFERENCE_EVERY) -> GeneratedFirmware:
    model = compiled.model
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(model.inputs) != 1 or model.tensors[model.inputs[0]].size != recipe.num_elements:
        raise TinyforgeError(f"app=stream: the model's input must be the {recipe.frames}x{recipe.channels} "
                             f"features of recipe '{recipe.name}'")
    output_size = model.tensors[model.outputs[0]].size
    labels = labels or [str(i) for i in range(output_size)]
    if len(labels) != output_size:
        raise TinyforgeError(f"app=stream: {len(labels)} labels for {output_size} model outputs")
    if inference_every < 1:
        raise TinyforgeError("inference_every must be at least 1 hop")
    is_keyword = [0 if label.lower() in BACKGROUND_LABELS else 1 for label in labels]
    if not any(is_keyword):
        raise TinyforgeError(f"app=stream: every label ({', '.join(labels)}) is a background label; "
                             "nothing could be detected")
    hop_ms = recipe.frontend["window_step"]
    results_per_window = settings["average_window_ms"] // (hop_ms * inference_every) + 2
    files = generate_model_sources(compiled, out_dir, [model.path])
    files += render_frontend_sources(recipe, out_dir)
    files.append(render("stream_app_config.h.j2", out_dir / "app_config.h", "codegen.verify.streaming",
                        [board.path, model.path],
                        labels=labels, is_keyword=is_keyword, board_name=board.name, stream_name=STREAM_NAME,
                        hop_ms=hop_ms, inference_every=inference_every, frames=recipe.frames,
                        recognizer=settings, result_capacity=results_per_window))
    files.append(render_build_info(board, model.sha256, out_dir, [board.path, model.path]))
    board_files = render_board_support(board, out_dir)
    manifest = out_dir / "manifest.json"
    write_if_changed(manifest, json.dumps({
        "app": "stream", "board": board.name, "model": str(model.path), "model_sha256": model.sha256,
        "labels": labels, "recipe": recipe.name, "sample_rate": recipe.sample_rate, "hop_ms": hop_ms,
        "inference_every": inference_every, "recognizer": settings,
        "arena_bytes": compiled.arena_size, "weight_bytes": compiled.weight_bytes,
    }, indent=1) + "\n")
    sources = [f for f in files + board_files if f.suffix == ".c"] + app_sources("stream")
    linker = next(f for f in board_files if f.suffix == ".ld")
    return GeneratedFirmware(sources=sources, linker_script=linker, manifest=manifest)


def split_spans(spans: list[int], hops: int, inference_hops: list[int]) -> tuple[list[int], list[int]]:
    """Marker spans -> (frontend per hop, model per inference), in the firmware's order."""
    infer_at = {}
    for hop in inference_hops:
        infer_at[hop] = infer_at.get(hop, 0) + 1
    frontend, model = [], []
    it = iter(spans)
    try:
        for hop in range(hops):
            frontend.append(next(it))
            for _ in range(infer_at.get(hop, 0)):
                model.append(next(it))
    except StopIteration:
        raise TinyforgeError(f"the firmware recorded {len(spans)} marker spans, fewer than its {hops} hops and "
                             f"{len(inference_hops)} inferences need") from None
    return frontend, model


def run_stream(elf: Path, board: Board, manifest_path: Path, stream_wav: Path, out_dir: Path,
               max_instructions: int, echo=print) -> int:
    """Run the streaming firmware on ``stream_wav``; 0 when it ran to its end."""
    manifest = json.loads(Path(manifest_path).read_text())
    samples = read_wav(stream_wav)
    run = run_firmware(elf, board, max_instructions=max_instructions, files={STREAM_NAME: samples.tobytes()})
    detections, inference_hops, inferences, done = [], [], [], None
    for line in run.console.splitlines():
        line = line.strip()
        if m := DETECT_LINE.match(line):
            detections.append({"label": m.group(1), "time_ms": int(m.group(2)), "score": int(m.group(3))})
        elif m := INFERENCE_LINE.match(line):
            inference_hops.append(int(m.group(1)))
            inferences.append([int(m.group(1)), int(m.group(2)), np.frombuffer(bytes.fromhex(m.group(3)), np.int8).tolist()])
        elif m := DONE_LINE.match(line):
            done = (int(m.group(1)), int(m.group(2)))

    seconds = len(samples) / manifest["sample_rate"]
    echo(f"{Path(manifest['model']).name} on {board.name}: {Path(stream_wav).name}, {seconds:.2f} s")
    for d in detections:
        echo(f"  {d['time_ms'] / 1000:8.2f} s  {d['label']:<12} score {d['score']}")
    problems = []
    if run.fault is not None:
        problems.append(run.fault.message)
    elif run.exit_code != 0:
        problems.append(f"firmware exited with code {run.exit_code}: {run.console.strip().splitlines()[-1:]}")
    elif done is None:
        problems.append("the firmware never reported the end of the stream")
    frontend_spans, model_spans = ([], [])
    if done is not None:
        frontend_spans, model_spans = split_spans(run.marker_spans, done[0], inference_hops)
    # the worst hop, not the mean: real time is lost on the slowest hop
    cost = {
        "frontend_instructions_per_hop_max": max(frontend_spans, default=None),
        "model_instructions_per_inference_max": max(model_spans, default=None),
        "hop_ms": manifest["hop_ms"], "inference_every_hops": manifest["inference_every"],
    }
    if cost["frontend_instructions_per_hop_max"] is not None and model_spans:
        per_second = (1000 / manifest["hop_ms"]) * (cost["frontend_instructions_per_hop_max"]
                                                   + cost["model_instructions_per_inference_max"]
                                                   / manifest["inference_every"])
        cost["worst_case_instructions_per_second"] = round(per_second)
        cost["clock_hz"] = board.clock_hz
        # one instruction per cycle is the best case on a Cortex-M; the margin says how far that is from the clock
        cost["real_time_margin"] = round(board.clock_hz / per_second, 2)
        echo(f"  frontend {cost['frontend_instructions_per_hop_max']:,} instr/hop (max), model "
             f"{cost['model_instructions_per_inference_max']:,} instr/inference, every {manifest['inference_every']} "
             f"hops: {per_second / 1e6:.2f} M instr per second of audio; {board.name} at "
             f"{board.clock_hz / 1e6:g} MHz has {cost['real_time_margin']:.1f}x that")
    for p in problems:
        echo(f"  {p}")
    out_dir = Path(out_dir)
    write_if_changed(out_dir / "detections.json",
                     json.dumps([{"label": d["label"], "time_ms": d["time_ms"]} for d in detections], indent=1) + "\n")
    write_if_changed(out_dir / "stream.json", json.dumps({
        "board": board.name, "model": manifest["model"], "stream": str(stream_wav), "seconds": seconds,
        "hops": done[0] if done else None, "inferences": done[1] if done else None,
        "detections": detections, "cost": cost, "exit_code": run.exit_code,
        "fault": run.fault.message if run.fault else None, "instructions_total": run.instructions,
        "frontend_spans": frontend_spans, "model_spans": model_spans,
        "inferences": [{"hop": h, "time_ms": t, "scores": v} for h, t, v in inferences],
    }, indent=1) + "\n")
    echo(f"{len(detections)} detections")
    return 1 if problems else 0


# --- the same pipeline on the host --------------------------------------------

class Recognizer:
    """firmware/audio/recognizer.c in Python, integer for integer."""

    def __init__(self, labels: list[str], settings: dict[str, int], capacity: int):
        self.labels, self.settings, self.capacity = labels, settings, capacity
        self.is_keyword = [label.lower() not in BACKGROUND_LABELS for label in labels]
        self.history: list[tuple[int, np.ndarray]] = []
        self.last_detection_ms: int | None = None

    def process(self, scores: np.ndarray, time_ms: int) -> tuple[str, int] | None:
        s = self.settings
        if len(self.history) == self.capacity:
            self.history.pop(0)
        self.history.append((time_ms, np.asarray(scores, np.int32) + 128))
        self.history = [(t, v) for t, v in self.history if t >= time_ms - s["average_window_ms"]]
        if len(self.history) < s["minimum_count"]:
            return None
        means = sum(v for _, v in self.history) // len(self.history)   # non-negative: floor == C's division
        top = int(np.argmax(means))
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
