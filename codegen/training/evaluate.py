"""Accuracy of a keyword model on its dataset's test split, three ways.

1. the float Keras model saved beside the .tflite by ``train`` (if present);
2. the int8 .tflite on the host, through TFLite's reference kernels;
3. the int8 firmware in the emulator, on a seeded sample of the test split: the
   sampled clips (as the host saw them, silence included) are written as WAV
   files and built into firmware with ``scons board=B model=M inputs=... test``
   (M: a copy of the model, so the build lands in ``build/B/<stem>-evaluate/``);
   every firmware output must equal the reference kernels' byte for byte, so its
   predictions equal the host int8 model's.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError
from codegen.training.dataset import SILENCE, UNKNOWN, load_dataset
from codegen.training.prepare import Augmentation, AudioSource, prepare_split

from codegen.paths import REPO_ROOT as ROOT, build_root  # noqa: E402
# Inputs per firmware image: 8 clips of 49x40 int8 features are 15.7 KB of flash,
# which fits beside a 25 KB model in the bluepill's 64 KB.
CLIPS_PER_FIRMWARE = 8


@dataclass
class EvalSettings:
    model: Path
    data: Path
    board: str | None = None
    sample: int = 24
    out_dir: Path | None = None
    words: list[str] | None = None
    silence_percentage: float | None = None
    unknown_percentage: float | None = None
    validation_percentage: float | None = None
    testing_percentage: float | None = None
    seed: int | None = None
    jobs: int = 2
    cache_dir: Path | None = None
    progress: bool = True


def confusion_matrix(y: np.ndarray, p: np.ndarray, classes: int) -> np.ndarray:
    m = np.zeros((classes, classes), np.int64)
    np.add.at(m, (y, p), 1)
    return m


def confusion_table(m: np.ndarray, labels: list[str]) -> str:
    width = max(8, *(len(lab) for lab in labels))
    corner = "true \\ predicted"
    lines = [f"{corner:>{width + 9}} " + " ".join(f"{lab:>{width}}" for lab in labels)]
    lines += [f"{labels[i]:>{width + 9}} " + " ".join(f"{v:>{width}d}" for v in row) for i, row in enumerate(m)]
    return "\n".join(lines)


def precision_recall(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.diag(m) / m.sum(axis=0)
        recall = np.diag(m) / m.sum(axis=1)
    return precision, recall


def per_class_table(m: np.ndarray, labels: list[str]) -> str:
    precision, recall = precision_recall(m)
    fmt = lambda v: "     -" if np.isnan(v) else f"{v:6.1%}"
    lines = [f"{'class':>12} {'precision':>10} {'recall':>8} {'clips':>7}"]
    lines += [f"{lab:>12} {fmt(pr):>10} {fmt(rc):>8} {int(n):7d}"
              for lab, pr, rc, n in zip(labels, precision, recall, m.sum(axis=1))]
    return "\n".join(lines)


def save_confusion_png(path: Path, matrices: dict[str, np.ndarray], labels: list[str], title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(matrices), figsize=(4.2 * len(matrices), 4.2), squeeze=False)
    for ax, (name, m) in zip(axes[0], matrices.items()):
        rows = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{name}: {np.trace(m) / max(m.sum(), 1):.1%}")
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, str(m[i, j]), ha="center", va="center",
                        color="white" if rows[i, j] > 0.5 else "black", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    # No timestamp in the PNG metadata: same numbers, same file.
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def _training_record(model: Path) -> dict:
    record = model.with_suffix(".train.json")
    return json.loads(record.read_text()) if record.is_file() else {}


def _labels(model: Path) -> list[str]:
    path = model.with_suffix(".labels")
    if not path.is_file():
        raise TinyforgeError(f"{path}: not found; evaluate needs the model's labels "
                             f"(silence, unknown, then the words, one per line)")
    labels = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if labels[:2] != [SILENCE, UNKNOWN]:
        raise TinyforgeError(f"{path}: labels must start with {SILENCE}, {UNKNOWN} (got {', '.join(labels[:2])})")
    return labels


def run_firmware_sample(model: Path, board: str, clips: list[Path], labels: list[str], echo=print) -> list[dict]:
    """Build and emulate firmware for ``clips`` in chunks; the results.json cases, in order."""
    scons = Path(sys.executable).with_name("scons")
    cases = []
    for start in range(0, len(clips), CLIPS_PER_FIRMWARE):
        chunk = clips[start:start + CLIPS_PER_FIRMWARE]
        cmd = [str(scons), "-Q", "-C", str(ROOT), f"board={board}", f"model={model.resolve()}",
               "inputs=" + " ".join(str(c.resolve()) for c in chunk), "labels=" + ",".join(labels), "test"]
        echo(f"firmware {start // CLIPS_PER_FIRMWARE + 1}/{-(-len(clips) // CLIPS_PER_FIRMWARE)}: "
             f"{len(chunk)} clips on {board}")
        done = subprocess.run(cmd, capture_output=True, text=True)
        results = build_root() / board / model.stem / "results.json"
        found = json.loads(results.read_text()) if results.is_file() else None
        names = [re.sub(r"[^0-9A-Za-z_.-]", "_", c.stem) for c in chunk]
        if done.returncode not in (0, 1) or found is None or [c["name"] for c in found["cases"]] != names:
            error = [line for line in (done.stderr + done.stdout).splitlines() if line.startswith("error:")]
            raise TinyforgeError(f"firmware build for {board} failed: "
                                 + (error[-1][len("error: "):] if error else (done.stderr.strip().splitlines() or ["?"])[-1]))
        cases.extend(found["cases"])
    return cases


def evaluate(s: EvalSettings, echo=print) -> dict:
    from codegen.features import get_recipe
    from codegen.training.train import configure_tensorflow, predict_int8
    from codegen.wav import write_wav

    if not s.model.is_file():
        raise TinyforgeError(f"{s.model}: no such model")
    record = _training_record(s.model)
    labels = _labels(s.model)
    pick = lambda given, key, default: given if given is not None else record.get(key, default)
    words = s.words or labels[2:]
    if list(words) != labels[2:]:
        raise TinyforgeError(f"--words {','.join(words)} does not match the model's labels {', '.join(labels)}")
    seed = pick(s.seed, "seed", 1234)
    recipe = get_recipe(record.get("recipe", "micro_speech"))
    aug = Augmentation(**record["augmentation"]) if "augmentation" in record else Augmentation()
    dataset = load_dataset(s.data, words, pick(s.silence_percentage, "silence_percentage", 10.0),
                           pick(s.unknown_percentage, "unknown_percentage", 10.0),
                           pick(s.validation_percentage, "validation_percentage", 10.0),
                           pick(s.testing_percentage, "testing_percentage", 10.0), seed)
    test = prepare_split(dataset, "test", recipe, aug, seed, s.jobs, s.cache_dir, s.progress)
    if not len(test.y):
        raise TinyforgeError(f"--data {s.data}: the test split is empty")
    out_dir = s.out_dir or build_root() / "evaluate" / s.model.stem
    out_dir.mkdir(parents=True, exist_ok=True)
    echo(f"{s.model.name} on {s.data}: {len(test.y)} test clips ("
         + ", ".join(f"{lab} {c}" for lab, c in zip(labels, dataset.counts("test"))) + ")")

    tf = configure_tensorflow(seed)
    results: dict = {"model": str(s.model), "data": str(s.data), "labels": labels, "test_clips": len(test.y)}
    matrices: dict[str, np.ndarray] = {}
    keras_path = s.model.with_suffix(".keras")
    if keras_path.is_file():
        from codegen.training.archs import keras
        float_model = keras().models.load_model(keras_path)
        preds = []
        for start in range(0, len(test.y), 256):
            x = (np.asarray(test.x[start:start + 256], np.float32) / 128)[..., None]
            preds.append(np.argmax(float_model.predict(x, verbose=0), axis=1))
        matrices["float"] = confusion_matrix(test.y, np.concatenate(preds), len(labels))
    int8_pred = predict_int8(tf, s.model.read_bytes(), test.x, s.progress, "int8 host")
    matrices["int8"] = confusion_matrix(test.y, int8_pred, len(labels))
    for name, m in matrices.items():
        results[f"{name}_accuracy"] = float(np.trace(m) / m.sum())

    if s.board:
        count = min(s.sample, len(test.y))
        sample = np.sort(np.random.default_rng([seed, 0x5A]).choice(len(test.y), count, replace=False))
        source = AudioSource(dataset.root, dataset.background, recipe.clip_samples)
        clip_dir = out_dir / "clips"
        clip_dir.mkdir(exist_ok=True)
        for old in clip_dir.glob("*.wav"):
            old.unlink()
        clips = []
        for i in sample:
            item = test.items[i]
            stem = Path(item.path).stem if item.path else item.key.replace("/", "_")
            clips.append(clip_dir / f"{i:05d}_{labels[test.y[i]]}_{stem}.wav")
            write_wav(clips[-1], source.render(item, test.copies[i], False, aug, seed, recipe.sample_rate))
        # A copy under its own stem builds in build/<board>/<stem>-evaluate/, so the
        # user's own build of the model (build/<board>/<stem>/) is left alone.
        firmware_model = out_dir / f"{s.model.stem}-evaluate.tflite"
        firmware_model.write_bytes(s.model.read_bytes())
        cases = run_firmware_sample(firmware_model, s.board, clips, labels, echo)
        firmware_pred = np.array([int(np.argmax(c["output"])) for c in cases])
        identical = [bool(c["passed"]) for c in cases]
        agree = firmware_pred == int8_pred[sample]
        results["firmware"] = {
            "board": s.board, "clips": count, "accuracy": float(np.mean(firmware_pred == test.y[sample])),
            "host_int8_accuracy_on_sample": float(np.mean(int8_pred[sample] == test.y[sample])),
            "agree_with_host_int8": int(agree.sum()), "byte_identical_to_reference": int(sum(identical)),
            "cases": [{"clip": c.name, "label": labels[test.y[i]], "firmware": labels[f], "host_int8": labels[h]}
                      for c, i, f, h in zip(clips, sample, firmware_pred, int8_pred[sample])],
        }

    title = f"{s.model.name}: {len(test.y)} test clips of {s.data.name}"
    png = out_dir / "confusion.png"
    save_confusion_png(png, matrices, labels, title)
    for name, m in matrices.items():
        echo(f"\n{name} accuracy: {np.trace(m) / m.sum():.1%} ({int(np.trace(m))}/{int(m.sum())})")
        echo(confusion_table(m, labels))
        echo(per_class_table(m, labels))
        precision, recall = precision_recall(m)
        results[f"{name}_confusion"] = m.tolist()
        results[f"{name}_precision"] = [None if np.isnan(v) else float(v) for v in precision]
        results[f"{name}_recall"] = [None if np.isnan(v) else float(v) for v in recall]
    if "firmware" in results:
        fw = results["firmware"]
        echo(f"\nfirmware on {s.board}: {fw['accuracy']:.1%} on {fw['clips']} sampled test clips "
             f"(host int8 on the same clips: {fw['host_int8_accuracy_on_sample']:.1%}); "
             f"agrees with host int8 on {fw['agree_with_host_int8']}/{fw['clips']}, "
             f"byte-identical to TFLite reference on {fw['byte_identical_to_reference']}/{fw['clips']}")
    (out_dir / "evaluation.json").write_text(json.dumps(results, indent=1) + "\n")
    echo(f"\nwrote {png} and {out_dir / 'evaluation.json'}")
    return results
