"""Accuracy of a keyword model on a test set, three ways.

The test set is a dataset's test split (``--data``) or every clip of a folder (``--test DIR``),
optionally one interleaved shard of it (``--shard K/N``; ``merge`` adds shards' reports up).

1. the float Keras model saved beside the .tflite by ``train`` (if present);
2. the int8 .tflite on the host, through TFLite's reference kernels;
3. the int8 firmware in the emulator, on a seeded sample of the clips (or all): one evaluation
   firmware (``scons app=evaluate``, in ``build/B/<stem>-evaluate/``) is built once, and the clips'
   features, as the host computed them, are streamed into it over semihosting by ``jobs`` emulator
   processes (``codegen.verify.batch``). Every firmware output must equal the reference kernels'
   byte for byte, so its predictions equal the host int8 model's.

Besides plain accuracy it reports what a user of a keyword spotter cares about: each class's recall,
false accepts (silence or unknown taken for a keyword) and balanced accuracy (mean recall over classes).
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError
from codegen.training.dataset import SILENCE, UNKNOWN, load_dataset
from codegen.training.prepare import Augmentation, prepare_split

from codegen.paths import REPO_ROOT as ROOT, build_root  # noqa: E402


# An unknown percentage that takes every clip of the other words.
EVERY_CLIP = 1e9


@dataclass
class EvalSettings:
    model: Path
    data: Path | None
    board: str | None = None
    sample: int | None = 24          # firmware clips; None: every clip
    test: Path | None = None         # a folder whose every clip is a test clip, instead of --data's split
    shard: tuple[int, int] | None = None   # (K, N): clips K-1, K-1+N, ... of the test set
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


def keyword_metrics(m: np.ndarray, labels: list[str]) -> dict:
    """Per-class recall, balanced accuracy (mean recall over the classes present) and false accepts:
    the share of silence and unknown clips predicted as a keyword."""
    recall = np.diag(m) / np.maximum(m.sum(axis=1), 1)
    present = m.sum(axis=1) > 0
    background = [labels.index(x) for x in (SILENCE, UNKNOWN) if x in labels]
    keywords = [i for i in range(len(labels)) if i not in background]
    rows = m[background].sum() if background else 0
    accepted = m[np.ix_(background, keywords)].sum() if background and keywords else 0
    return {
        "accuracy": float(np.trace(m) / max(m.sum(), 1)),
        "balanced_accuracy": float(recall[present].mean()) if present.any() else 0.0,
        "recall": {lab: (float(recall[i]) if present[i] else None) for i, lab in enumerate(labels)},
        "false_accepts": float(accepted / rows) if rows else None,
        "false_accept_clips": [int(accepted), int(rows)],
    }


def metrics_line(name: str, metrics: dict, labels: list[str]) -> str:
    keywords = [lab for lab in labels if lab not in (SILENCE, UNKNOWN)]
    recalls = ", ".join(f"{lab} {metrics['recall'][lab]:.1%}" for lab in keywords if metrics["recall"][lab] is not None)
    fa = metrics["false_accepts"]
    return (f"{name}: accuracy {metrics['accuracy']:.1%}, balanced accuracy {metrics['balanced_accuracy']:.1%}; "
            f"recall {recalls}; false accepts {'-' if fa is None else f'{fa:.1%}'}"
            + (f" ({metrics['false_accept_clips'][0]}/{metrics['false_accept_clips'][1]})" if fa is not None else ""))


def parse_shard(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise TinyforgeError(f"--shard {text}: expected K/N with 1 <= K <= N, e.g. --shard 2/4")
    return int(m.group(1)), int(m.group(2))


def build_evaluation_firmware(model: Path, board: str, labels: list[str], echo=print) -> tuple[Path, Path]:
    """``scons app=evaluate`` once; the firmware and its manifest."""
    scons = Path(sys.executable).with_name("scons")
    cmd = [str(scons), "-Q", "-C", str(ROOT), f"board={board}", f"model={model.resolve()}", "app=evaluate",
           "labels=" + ",".join(labels)]
    echo(f"firmware: building the evaluation firmware for {board}")
    done = subprocess.run(cmd, capture_output=True, text=True)
    build_dir = build_root() / board / f"{model.stem}-evaluate"
    elf, manifest = build_dir / "firmware.elf", build_dir / "gen" / "manifest.json"
    if done.returncode != 0 or not elf.is_file():
        error = [line for line in (done.stderr + done.stdout).splitlines() if line.startswith("error:")]
        raise TinyforgeError(f"firmware build for {board} failed: "
                             + (error[-1][len("error: "):] if error else (done.stderr.strip().splitlines() or ["?"])[-1]))
    return elf, manifest


def _test_set(s: EvalSettings, record: dict, labels: list[str], seed: int):
    """The test clips' dataset, features and augmentation settings, sharded when asked."""
    from codegen.features import get_recipe
    pick = lambda given, key, default: given if given is not None else record.get(key, default)
    recipe = get_recipe(record.get("recipe", "micro_speech"))
    aug = Augmentation(**record["augmentation"]) if "augmentation" in record else Augmentation()
    words = labels[2:]
    if s.test is not None:
        # every clip of the folder, other words included; no silence unless asked (a folder of recordings has none)
        dataset = load_dataset(s.test, words, s.silence_percentage or 0.0,
                               s.unknown_percentage if s.unknown_percentage is not None else EVERY_CLIP,
                               0.0, 100.0, seed, all_test=True, flag="--test")
    else:
        dataset = load_dataset(s.data, words, pick(s.silence_percentage, "silence_percentage", 10.0),
                               pick(s.unknown_percentage, "unknown_percentage", 10.0),
                               pick(s.validation_percentage, "validation_percentage", 10.0),
                               pick(s.testing_percentage, "testing_percentage", 10.0), seed)
    if s.shard:
        k, n = s.shard
        dataset.items["test"] = dataset.items["test"][k - 1::n]
    test = prepare_split(dataset, "test", recipe, aug, seed, s.jobs, s.cache_dir, s.progress)
    return dataset, test, recipe


def evaluate(s: EvalSettings, echo=print) -> dict:
    from codegen.target.boards import load_board
    from codegen.training.train import configure_tensorflow, outputs_int8
    from codegen.verify.batch import run_batch

    if not s.model.is_file():
        raise TinyforgeError(f"{s.model}: no such model")
    if (s.data is None) == (s.test is None):
        raise TinyforgeError("give the test set as --data DIR (its test split) or --test DIR (every clip), not both")
    record = _training_record(s.model)
    labels = _labels(s.model)
    words = s.words or labels[2:]
    if list(words) != labels[2:]:
        raise TinyforgeError(f"--words {','.join(words)} does not match the model's labels {', '.join(labels)}")
    seed = s.seed if s.seed is not None else record.get("seed", 1234)
    dataset, test, recipe = _test_set(s, record, labels, seed)
    source = s.test if s.test is not None else s.data
    if not len(test.y):
        raise TinyforgeError(f"{'--test' if s.test is not None else '--data'} {source}: no test clips"
                             + (f" in shard {s.shard[0]}/{s.shard[1]}" if s.shard else ""))
    out_dir = s.out_dir or build_root() / "evaluate" / s.model.stem
    out_dir.mkdir(parents=True, exist_ok=True)
    shard = f", shard {s.shard[0]}/{s.shard[1]}" if s.shard else ""
    echo(f"{s.model.name} on {source}{shard}: {len(test.y)} test clips ("
         + ", ".join(f"{lab} {c}" for lab, c in zip(labels, dataset.counts("test"))) + ")")

    tf = configure_tensorflow(seed)
    results: dict = {"model": str(s.model), "model_sha256": hashlib.sha256(s.model.read_bytes()).hexdigest(),
                     "data": str(source), "labels": labels, "test_clips": len(test.y),
                     "shard": list(s.shard) if s.shard else None, "seed": seed}
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
    host_outputs = outputs_int8(tf, s.model.read_bytes(), test.x, s.progress, "int8 host")
    int8_pred = np.argmax(host_outputs, axis=1)
    matrices["int8"] = confusion_matrix(test.y, int8_pred, len(labels))

    if s.board:
        board = load_board(s.board)
        count = len(test.y) if s.sample is None else min(s.sample, len(test.y))
        sample = (np.arange(len(test.y)) if count == len(test.y)
                  else np.sort(np.random.default_rng([seed, 0x5A]).choice(len(test.y), count, replace=False)))
        elf, manifest = build_evaluation_firmware(s.model, s.board, labels, echo)
        shape = json.loads(manifest.read_text())["inputs"][0]["shape"]
        started = time.perf_counter()
        outputs = run_batch(elf, board, manifest, [[np.asarray(test.x[i], np.int8).reshape(shape)] for i in sample],
                            jobs=s.jobs, progress=s.progress, desc=f"firmware on {s.board}")
        seconds = time.perf_counter() - started
        firmware_out = np.stack([o[0].ravel() for o in outputs])
        firmware_pred = np.argmax(firmware_out, axis=1)
        identical = (firmware_out == host_outputs[sample]).all(axis=1)
        matrices["firmware"] = confusion_matrix(test.y[sample], firmware_pred, len(labels))
        name = lambda i: Path(test.items[i].path).stem if test.items[i].path else test.items[i].key.replace("/", "_")
        results["firmware"] = {
            "board": s.board, "clips": count, "jobs": s.jobs, "seconds": round(seconds, 2),
            "agree_with_host_int8": int((firmware_pred == int8_pred[sample]).sum()),
            "byte_identical_to_reference": int(identical.sum()),
            "cases": [{"clip": test.items[i].path or test.items[i].key, "name": name(i), "label": labels[test.y[i]],
                       "firmware": labels[f], "host_int8": labels[h], "identical": bool(same)}
                      for i, f, h, same in zip(sample, firmware_pred, int8_pred[sample], identical)],
        }
        echo(f"firmware: {count} clips in {seconds:.1f} s on {s.jobs} emulator process(es), "
             f"{seconds / count * 1000:.0f} ms per clip")
    return _finish(results, matrices, labels, out_dir, s.shard, echo)


def _finish(results: dict, matrices: dict[str, np.ndarray], labels: list[str], out_dir: Path,
            shard: tuple[int, int] | None, echo=print) -> dict:
    """Metrics, tables, confusion.png and the JSON report (one per shard, so shards can share a folder)."""
    for name, m in matrices.items():
        results[f"{name}_confusion"] = m.tolist()
        results[f"{name}_metrics"] = keyword_metrics(m, labels)
        results[f"{name}_accuracy"] = results[f"{name}_metrics"]["accuracy"]
        precision, recall = precision_recall(m)
        results[f"{name}_precision"] = [None if np.isnan(v) else float(v) for v in precision]
        results[f"{name}_recall"] = [None if np.isnan(v) else float(v) for v in recall]
    suffix = f".{shard[0]}-of-{shard[1]}" if shard else ""
    png = out_dir / f"confusion{suffix}.png"
    title = f"{Path(results['model']).name}: {results['test_clips']} test clips of {Path(results['data']).name}"
    save_confusion_png(png, matrices, labels, title)
    for name, m in matrices.items():
        echo(f"\n{name} accuracy: {np.trace(m) / m.sum():.1%} ({int(np.trace(m))}/{int(m.sum())})")
        echo(confusion_table(m, labels))
        echo(per_class_table(m, labels))
    echo("")
    for name in matrices:
        echo(metrics_line(name, results[f"{name}_metrics"], labels))
    if "firmware" in results:
        fw = results["firmware"]
        echo(f"firmware on {fw['board']}: agrees with host int8 on {fw['agree_with_host_int8']}/{fw['clips']}, "
             f"byte-identical to TFLite reference on {fw['byte_identical_to_reference']}/{fw['clips']}")
    report = out_dir / f"evaluation{suffix}.json"
    report.write_text(json.dumps(results, indent=1) + "\n")
    echo(f"\nwrote {png} and {report}")
    return results


def merge(reports: list[Path], out_dir: Path | None, echo=print) -> dict:
    """Add up the shards' reports of one evaluation (``evaluate --shard K/N`` on each machine)."""
    parts = []
    for path in reports:
        try:
            parts.append(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            raise TinyforgeError(f"{path}: cannot read an evaluation report: {exc}") from None
    first = parts[0]
    for path, part in zip(reports, parts):
        for key in ("model_sha256", "labels", "data"):
            if part.get(key) != first.get(key):
                raise TinyforgeError(f"{path}: {key} differs from {reports[0]}'s; merge shards of one evaluation")
        if not part.get("shard"):
            raise TinyforgeError(f"{path}: not a shard (made without --shard K/N)")
    n = first["shard"][1]
    ks = sorted(p["shard"][0] for p in parts)
    if any(p["shard"][1] != n for p in parts) or ks != list(range(1, n + 1)):
        have = ", ".join(f"{p['shard'][0]}/{p['shard'][1]}" for p in parts)
        raise TinyforgeError(f"merge needs shards 1/{n} .. {n}/{n} once each; got {have}")
    labels = first["labels"]
    names = [k[:-len("_confusion")] for k in first if k.endswith("_confusion")]
    if any(sorted(k for k in p if k.endswith("_confusion")) != sorted(f"{x}_confusion" for x in names) for p in parts):
        raise TinyforgeError("the shards were not evaluated the same way (one has a firmware or float part the "
                             "others lack)")
    matrices = {x: sum(np.asarray(p[f"{x}_confusion"], np.int64) for p in parts) for x in names}
    results = {"model": first["model"], "model_sha256": first["model_sha256"], "data": first["data"],
               "labels": labels, "test_clips": sum(p["test_clips"] for p in parts), "shard": None,
               "merged_from": [str(r) for r in reports], "seed": first.get("seed")}
    if all("firmware" in p for p in parts):
        fws = [p["firmware"] for p in parts]
        results["firmware"] = {
            "board": fws[0]["board"], "clips": sum(f["clips"] for f in fws),
            "seconds": round(sum(f["seconds"] for f in fws), 2),
            "agree_with_host_int8": sum(f["agree_with_host_int8"] for f in fws),
            "byte_identical_to_reference": sum(f["byte_identical_to_reference"] for f in fws),
            "cases": [c for f in fws for c in f["cases"]]}
    out_dir = Path(out_dir) if out_dir else Path(reports[0]).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    echo(f"{Path(first['model']).name}: {len(parts)} shards, {results['test_clips']} test clips")
    return _finish(results, matrices, labels, out_dir, None, echo)
