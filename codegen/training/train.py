"""Train a keyword model with Keras and convert it to a full-int8 .tflite.

The float model reads int8 features ``q`` as ``q / 128``; the representative
dataset's first sample spans the whole int8 range, so the converter calibrates
the input to scale 1/128, zero point 0 exactly and the firmware copies features
into the input tensor unchanged. Reproducibility: TensorFlow's seeds, op
determinism and a fixed thread count, plus batches drawn in an order computed
from the seed (not tf.data's shuffle), give byte-identical .tflite files from
identical runs.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from codegen.errors import TinyforgeError
from codegen.training.archs import build_model, keras
from codegen.training.dataset import Source, load_sources
from codegen.training.prepare import Augmentation, SplitFeatures, prepare_split

INPUT_SCALE = 1.0 / 128
REPRESENTATIVE_SAMPLES = 400
THREADS = 2


@dataclass
class TrainSettings:
    data: list[Source] | Path
    words: list[str]
    out: Path
    arch: str = "ds_cnn"
    recipe: str = "micro_speech"
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 3e-3
    seed: int = 1234
    silence_percentage: float = 10.0
    unknown_percentage: float = 10.0
    validation_percentage: float = 10.0
    testing_percentage: float = 10.0
    augmentation: Augmentation = field(default_factory=Augmentation)
    jobs: int = 2
    cache_dir: Path | None = None
    progress: bool = True


def configure_tensorflow(seed: int):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    except RuntimeError:
        pass  # already initialised in this process (a second run from the same Python)
    # A fresh session resets Keras' layer-name counters, which end up in the .tflite.
    keras().backend.clear_session()
    keras().utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return tf


def as_float(x_int8: np.ndarray) -> np.ndarray:
    return (np.asarray(x_int8, np.float32) * INPUT_SCALE)[..., None]


def batches(tf, split: SplitFeatures, batch_size: int, seed: int | None):
    """A tf.data pipeline reading batches from the memory-mapped cache, reshuffled each epoch."""
    epoch = [0]
    n = len(split.y)
    shape = split.x.shape[1:]

    def generate():
        order = (np.random.default_rng([seed, epoch[0]]).permutation(n) if seed is not None
                 else np.arange(n))
        epoch[0] += 1
        for start in range(0, n, batch_size):
            # Sorted indices read the memmap front to back within a batch.
            idx = np.sort(order[start:start + batch_size])
            yield as_float(split.x[idx]), split.y[idx]

    spec = (tf.TensorSpec((None, *shape, 1), tf.float32), tf.TensorSpec((None,), tf.int64))
    return tf.data.Dataset.from_generator(generate, output_signature=spec).prefetch(2)


def convert(tf, model, arch: str, train: SplitFeatures, seed: int) -> bytes:
    frames, channels = train.x.shape[1:]
    picks = np.random.default_rng(seed).choice(len(train.y), min(REPRESENTATIVE_SAMPLES, len(train.y)),
                                               replace=False)

    def representative():
        span = np.full((1, frames, channels), -128, np.int8)
        span.reshape(-1)[::2] = 127
        yield [as_float(span)]
        for i in np.sort(picks):
            yield [as_float(train.x[i:i + 1])]

    # Batch fixed at 1: the firmware runs one clip at a time, and a static shape
    # lets the converter fold the reshape's shape arithmetic away.
    single = build_model(arch, frames, channels, model.output_shape[-1], batch_size=1)
    single.set_weights(model.get_weights())
    conv = tf.lite.TFLiteConverter.from_keras_model(single)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    # One scale for the whole FC weight matrix, as the classic micro models use:
    # per-channel FC is newer and not every Cortex-M kernel library takes it.
    conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    return conv.convert()


def reference_interpreter(tf, model_bytes: bytes):
    it = tf.lite.Interpreter(model_content=model_bytes,
                             experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    return it


def outputs_int8(tf, model_bytes: bytes, x_int8: np.ndarray, progress: bool = False, desc: str = "int8") -> np.ndarray:
    """Output 0 of every row, from TFLite's reference kernels (the firmware's oracle), each from reset state."""
    from tqdm import tqdm
    it = reference_interpreter(tf, model_bytes)
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    outs = np.empty((len(x_int8), int(np.prod(out["shape"]))), out["dtype"])
    for i in tqdm(range(len(x_int8)), desc=desc, unit="clip", disable=not progress):
        it.reset_all_variables()
        it.set_tensor(inp["index"], np.asarray(x_int8[i], np.int8).reshape(inp["shape"]))
        it.invoke()
        outs[i] = it.get_tensor(out["index"]).ravel()
    return outs


def predict_int8(tf, model_bytes: bytes, x_int8: np.ndarray, progress: bool = False, desc: str = "int8") -> np.ndarray:
    """Top class of every row, from TFLite's reference kernels (the firmware's oracle)."""
    return np.argmax(outputs_int8(tf, model_bytes, x_int8, progress, desc), axis=1).astype(np.int64)


def model_ops(tf, model_bytes: bytes) -> list[str]:
    return sorted({op["op_name"] for op in reference_interpreter(tf, model_bytes)._get_ops_details()})


# Clips checked for a collapsed model: enough to see every class of a working one.
CONVERGENCE_SAMPLE = 2000


def check_converged(model, split: SplitFeatures, labels: list[str], s: TrainSettings) -> None:
    """A network whose units all died (a small one without normalization can, at a high learning rate) gives
    one class for every clip. Writing it would be a silently useless model: say so instead."""
    picks = np.sort(np.random.default_rng(s.seed).permutation(len(split.y))[:CONVERGENCE_SAMPLE])
    scores = model.predict(as_float(split.x[picks]), verbose=0)
    classes = np.unique(np.argmax(np.nan_to_num(scores, nan=0.0), axis=1))
    if len(classes) == 1:
        which = "validation" if split.items and split.items[0].split == "validation" else "training"
        raise TinyforgeError(f"training did not converge: the model answers '{labels[int(classes[0])]}' for every "
                             f"{which} clip it was shown ({len(picks)}); retrain with a lower --learning-rate "
                             f"(now {s.learning_rate:g}) or another --seed (now {s.seed})")


def train(s: TrainSettings, echo=print) -> dict:
    """Train, convert, write ``out`` (.tflite), ``.labels``, ``.keras`` and ``.train.json``."""
    from codegen.features import get_recipe
    recipe = get_recipe(s.recipe)
    if s.out.suffix != ".tflite":
        raise TinyforgeError(f"--out {s.out}: the model file must end in .tflite")
    t0 = time.time()
    sources = [Source(Path(s.data))] if isinstance(s.data, (str, Path)) else list(s.data)
    dataset = load_sources(sources, s.words, s.silence_percentage, s.unknown_percentage,
                           s.validation_percentage, s.testing_percentage, s.seed,
                           default_copies=max(1, s.augmentation.copies))
    for split in ("train", "validation", "test"):
        counts = dataset.counts(split)
        echo(f"{split:<10} {len(dataset.items[split]):6d} clips: "
             + ", ".join(f"{lab} {c}" for lab, c in zip(dataset.labels, counts)))
    train_f = prepare_split(dataset, "train", recipe, s.augmentation, s.seed, s.jobs, s.cache_dir, s.progress)
    val_f = prepare_split(dataset, "validation", recipe, s.augmentation, s.seed, s.jobs, s.cache_dir, s.progress)
    t_features = time.time() - t0

    tf = configure_tensorflow(s.seed)
    K = keras()
    model = build_model(s.arch, recipe.frames, recipe.channels, len(dataset.labels))
    counts = np.bincount(train_f.y, minlength=len(dataset.labels))
    # Balanced class weights: silence and unknown rarely match the keywords' counts.
    class_weight = {i: float(len(train_f.y) / (len(counts) * c)) for i, c in enumerate(counts) if c}
    model.compile(optimizer=K.optimizers.Adam(s.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t1 = time.time()
    validation = batches(tf, val_f, 256, None) if len(val_f.y) else None
    model.fit(batches(tf, train_f, s.batch_size, s.seed), validation_data=validation, epochs=s.epochs,
              class_weight=class_weight, verbose=1 if s.progress else 0,
              callbacks=[K.callbacks.ReduceLROnPlateau(monitor="val_loss" if validation else "loss",
                                                       patience=3, factor=0.5, verbose=0)])
    t_train = time.time() - t1
    check_converged(model, val_f if len(val_f.y) else train_f, dataset.labels, s)

    tflite = convert(tf, model, s.arch, train_f, s.seed)
    inp = reference_interpreter(tf, tflite).get_input_details()[0]
    scale, zero = inp["quantization"]
    if scale != INPUT_SCALE or zero != 0:
        raise TinyforgeError(f"converted input has scale {scale} zero point {zero}, not 1/128 and 0; "
                             f"features would need requantizing")
    ops = model_ops(tf, tflite)
    val_acc = float(np.mean(predict_int8(tf, tflite, val_f.x) == val_f.y)) if len(val_f.y) else None

    s.out.parent.mkdir(parents=True, exist_ok=True)
    s.out.write_bytes(tflite)
    s.out.with_suffix(".labels").write_text("".join(lab + "\n" for lab in dataset.labels))
    model.save(s.out.with_suffix(".keras"))
    summary = {
        "model": s.out.name, "arch": s.arch, "recipe": s.recipe, "labels": dataset.labels,
        "words": list(s.words), "seed": s.seed, "epochs": s.epochs, "batch_size": s.batch_size,
        "learning_rate": s.learning_rate, "silence_percentage": s.silence_percentage,
        "unknown_percentage": s.unknown_percentage, "validation_percentage": s.validation_percentage,
        "testing_percentage": s.testing_percentage, "augmentation": asdict(s.augmentation),
        "split_source": dataset.split_source,
        # folder names only: absolute paths differ between machines and would change the record
        "data": [src.root.name + (f":{src.copies}" if src.copies else "") for src in sources],
        "clips": {split: len(dataset.items[split]) for split in dataset.items},
        "operators": ops, "tflite_bytes": len(tflite), "int8_validation_accuracy": val_acc,
        "tensorflow": tf.__version__,
    }
    # Timings stay out of the JSON so identical runs write identical files.
    s.out.with_suffix(".train.json").write_text(json.dumps(summary, indent=1) + "\n")
    echo(f"operators: {', '.join(ops)}")
    if val_acc is not None:
        echo(f"int8 validation accuracy: {val_acc:.1%} ({len(val_f.y)} clips)")
    echo(f"features {t_features:.0f} s, training {t_train:.0f} s ({s.epochs} epochs)")
    echo(f"wrote {s.out} ({len(tflite)} bytes), {s.out.with_suffix('.labels').name}, "
         f"{s.out.with_suffix('.keras').name}, {s.out.with_suffix('.train.json').name}")
    return summary
