"""Train the project's default yes/no keyword model from the synthesized dataset.

    python models/synth_dataset.py          # -> build/dataset/
    python models/make_demo_clips.py        # -> models/demo/*.wav
    python models/train_default_model.py    # -> models/kws_yes_no.tflite, .labels, README.md

The model reads the micro_speech recipe's int8 features [1,49,40,1] as they come
(input scale 1/128, zero point 0), so firmware copies features straight into the
input tensor. It is built only from CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
RESHAPE and SOFTMAX so the smallest kernel set runs it.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from codegen.features import compute_features, get_recipe  # noqa: E402
from codegen.wav import read_wav  # noqa: E402

LABELS = ["silence", "unknown", "yes", "no"]
ALLOWED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "RESHAPE"}
RECIPE = "micro_speech"
SEED = 1234
# int8 feature q is presented to the float model as q / 128: the full int8 range
# then calibrates to input scale 1/128 and zero point 0 exactly.
INPUT_SCALE = 1.0 / 128

FLASH_BUDGET = 30 * 1024
ARENA_PAIR_BUDGET = 10 * 1024


def load_features(dataset: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """split -> (int8 features [N,49,40], int labels [N]), cached next to the dataset."""
    manifest = dataset / "manifest.csv"
    if not manifest.is_file():
        sys.exit(f"error: {manifest} not found; run python models/synth_dataset.py first")
    recipe = get_recipe(RECIPE)
    key = hashlib.sha256(manifest.read_bytes() + repr(sorted(recipe.parameters.items())).encode())
    cache = dataset / f"features_{RECIPE}_{key.hexdigest()[:16]}.npz"
    if cache.is_file():
        data = np.load(cache)
        return {s: (data[f"{s}_x"], data[f"{s}_y"]) for s in ("train", "validation", "test")}
    rows = list(csv.DictReader(open(manifest)))
    out = {}
    for split in ("train", "validation", "test"):
        mine = [r for r in rows if r["split"] == split]
        x = np.stack([compute_features(read_wav(dataset / r["path"]), recipe) for r in mine])
        y = np.array([LABELS.index(r["label"]) for r in mine], dtype=np.int64)
        out[split] = (x, y)
    np.savez(cache, **{f"{s}_{k}": v for s, (x, y) in out.items() for k, v in (("x", x), ("y", y))})
    return out


def as_float(x_int8: np.ndarray) -> np.ndarray:
    return (x_int8.astype(np.float32) * INPUT_SCALE)[..., None]


def build_model(tf, frames: int, channels: int, batch_size: int | None = None):
    L = tf.keras.layers
    # Short layer names: they end up as tensor names in the .tflite.
    return tf.keras.Sequential(name="kws", layers=[
        L.Input((frames, channels, 1), batch_size=batch_size),
        # Wide first kernel over time x frequency, as in TFLM's tiny_conv, then
        # depthwise-separable stages: most of the capacity for little flash and
        # with every activation pair well under the 10 KB budget.
        L.Conv2D(8, (10, 8), strides=2, padding="same", activation="relu", name="conv"),
        L.DepthwiseConv2D((3, 3), strides=2, padding="same", activation="relu", name="dw1"),
        L.Conv2D(32, 1, activation="relu", name="pw1"),
        L.DepthwiseConv2D((3, 3), padding="same", activation="relu", name="dw2"),
        L.Conv2D(32, 1, activation="relu", name="pw2"),
        L.DepthwiseConv2D((3, 3), strides=2, padding="same", activation="relu", name="dw3"),
        L.Conv2D(64, 1, activation="relu", name="pw3"),
        # A fixed target shape (not Flatten) so conversion emits one RESHAPE
        # rather than SHAPE / STRIDED_SLICE / PACK to compute the batch size.
        L.Reshape((-1,), name="flat"),
        L.Dense(len(LABELS), name="fc"),
        L.Softmax(name="prob"),
    ])


def convert(tf, model, train_x: np.ndarray) -> bytes:
    rng = np.random.default_rng(SEED)
    picks = rng.choice(len(train_x), 400, replace=False)

    def representative():
        # One sample spanning the whole int8 range pins the input quantization
        # to scale 1/128, zero point 0, whatever the real features happen to reach.
        span = np.full((1, *train_x.shape[1:]), -128, np.int8)
        span.reshape(-1)[::2] = 127
        yield [as_float(span)]
        for i in picks:
            yield [as_float(train_x[i:i + 1])]

    # Batch fixed at 1: the firmware runs one clip at a time, and a static shape
    # lets the converter fold the reshape's shape arithmetic away.
    single = build_model(tf, *train_x.shape[1:], batch_size=1)
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


def interpreter(tf, model_bytes: bytes):
    it = tf.lite.Interpreter(model_content=model_bytes,
                             experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    return it


def model_ops(tf, model_bytes: bytes) -> list[str]:
    it = interpreter(tf, model_bytes)
    return sorted({op["op_name"] for op in it._get_ops_details()})


def activation_pairs(tf, model_bytes: bytes) -> int:
    """Largest input+output byte sum over the ops: a floor for the tensor arena."""
    it = interpreter(tf, model_bytes)
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    size = lambda i: int(np.prod(tensors[i]["shape"])) * np.dtype(tensors[i]["dtype"]).itemsize
    worst = 0
    for op in it._get_ops_details():
        # Only the variable input (index 0) and the output live in the arena.
        worst = max(worst, size(op["inputs"][0]) + sum(size(o) for o in op["outputs"]))
    return worst


def predict_int8(tf, model_bytes: bytes, x_int8: np.ndarray) -> np.ndarray:
    it = interpreter(tf, model_bytes)
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    preds = np.empty(len(x_int8), np.int64)
    for i, x in enumerate(x_int8):
        it.set_tensor(inp["index"], x.reshape(inp["shape"]).astype(np.int8))
        it.invoke()
        preds[i] = int(np.argmax(it.get_tensor(out["index"])[0]))
    return preds


def confusion(y: np.ndarray, p: np.ndarray) -> str:
    m = np.zeros((len(LABELS), len(LABELS)), int)
    np.add.at(m, (y, p), 1)
    lines = ["true \\ predicted  " + " ".join(f"{l:>8s}" for l in LABELS)]
    lines += [f"{LABELS[i]:>17s}  " + " ".join(f"{v:8d}" for v in row) for i, row in enumerate(m)]
    return "\n".join(lines)


README = """# models/

`kws_yes_no.tflite` is tinyforge's default demo model: a keyword spotter for
*yes* / *no* that the project trained itself, on speech it synthesized itself
with espeak-ng. Nothing in here comes from `../shared`.

| | |
|---|---|
| labels (`kws_yes_no.labels`, index order) | {labels} |
| input | int8 [1,49,40,1]: `micro_speech` feature recipe (`codegen/features/recipes.toml`), fed as-is (scale 1/128, zero point 0) |
| output | int8 [1,4] softmax (scale 1/256, zero point -128) |
| operators | {ops} |
| size | {size} bytes (.tflite); largest op input+output {pair} bytes |
| int8 accuracy, held-out test voices | **{acc:.1%}** ({n_test} clips, BUILTIN_REF interpreter) |
| int8 accuracy, validation voices | {val_acc:.1%} |
| demo clips (`demo/`) | {demo} |

Test confusion matrix (int8 model):

```
{confusion}
```

## Reproduce

From the repository root, with the project's virtualenv (TensorFlow {tf_version}) and
Debian's `espeak-ng`:

```
.venv/bin/python models/synth_dataset.py          # build/dataset/: {n_clips} 1 s clips, seed 1234
.venv/bin/python models/make_demo_clips.py        # models/demo/*.wav
.venv/bin/python models/train_default_model.py    # models/kws_yes_no.tflite, .labels, this README
.venv/bin/python -m pytest tests/test_default_model.py
```

Training ran {epochs} epochs on 2 CPU threads in {train_s:.0f} s ({total_s:.0f} s for the whole script
including features and evaluation).

## Data

- `synth_dataset.py`: espeak-ng voices = {n_bases} English base voices x {n_variants} voice variants,
  rates / pitches / amplitudes from fixed grids, each utterance trimmed, resampled to 16 kHz,
  placed at a random offset in a 1 s clip, peak-scaled at random and mixed with white / pink /
  brown noise or mains hum at 5-35 dB SNR. Classes: *yes*, *no*, *unknown* (other English
  words), *silence* (noise only, from digital zero to loud). The split is by voice: a voice
  belongs to exactly one of train / validation / test (silence clips, having no voice, are
  dealt out 4:1:1).
- `make_demo_clips.py`: voice `en-us+Andrea` (a variant never used in the dataset), rate, pitch
  and amplitude between the training grid points.
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", type=Path, default=REPO / "build" / "dataset")
    p.add_argument("--out", type=Path, default=REPO / "models")
    p.add_argument("--demo", type=Path, default=REPO / "models" / "demo")
    p.add_argument("--epochs", type=int, default=30)
    args = p.parse_args(argv)
    t0 = time.time()

    import tensorflow as tf
    # Two threads: the CI machines have two cores, and a fixed count keeps runs repeatable.
    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(2)
    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()

    data = load_features(args.dataset)
    (xtr, ytr), (xva, yva), (xte, yte) = data["train"], data["validation"], data["test"]
    print(f"features: train {len(xtr)}, validation {len(xva)}, test {len(xte)} ({time.time() - t0:.0f} s)")

    recipe = get_recipe(RECIPE)
    model = build_model(tf, recipe.frames, recipe.channels)
    model.summary(print_fn=lambda s: print(s))
    # Unknown outnumbers each keyword 2:1; balanced weights keep yes/no recall up.
    counts = np.bincount(ytr, minlength=len(LABELS))
    class_weight = {i: len(ytr) / (len(LABELS) * c) for i, c in enumerate(counts)}
    model.compile(optimizer=tf.keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t_train = time.time()
    model.fit(as_float(xtr), ytr, validation_data=(as_float(xva), yva), epochs=args.epochs,
              batch_size=64, class_weight=class_weight, verbose=2,
              callbacks=[tf.keras.callbacks.ReduceLROnPlateau(patience=3, factor=0.5, verbose=0)])
    train_s = time.time() - t_train

    tflite = convert(tf, model, xtr)
    ops = model_ops(tf, tflite)
    print("ops:", ", ".join(ops))
    if not set(ops) <= ALLOWED_OPS:
        sys.exit(f"error: converted model uses {sorted(set(ops) - ALLOWED_OPS)}; allowed {sorted(ALLOWED_OPS)}")
    inp = interpreter(tf, tflite).get_input_details()[0]
    scale, zero = inp["quantization"]
    if inp["dtype"] != np.int8 or list(inp["shape"]) != [1, recipe.frames, recipe.channels, 1] \
            or scale != INPUT_SCALE or zero != 0:
        sys.exit(f"error: input is {inp['dtype']} {inp['shape']} scale {scale} zero point {zero}; "
                 f"features would need requantizing")
    pair = activation_pairs(tf, tflite)
    print(f"size: {len(tflite)} bytes; largest op input+output: {pair} bytes")
    if len(tflite) > FLASH_BUDGET or pair > ARENA_PAIR_BUDGET:
        sys.exit("error: model exceeds the Cortex-M3 budget (30 KB weights, 10 KB activations)")

    val_acc = float(np.mean(predict_int8(tf, tflite, xva) == yva))
    test_pred = predict_int8(tf, tflite, xte)
    acc = float(np.mean(test_pred == yte))
    print(f"int8 accuracy: validation {val_acc:.4f}, held-out test {acc:.4f} ({len(xte)} clips)")
    print(confusion(yte, test_pred))

    demo_dir = args.demo
    expect = {"yes": "yes", "no": "no", "house": "unknown", "silence": "silence"}
    demo_results = []
    for stem, label in expect.items():
        wav = demo_dir / f"{stem}.wav"
        if not wav.is_file():
            demo_results.append(f"{stem}.wav missing")
            continue
        got = LABELS[predict_int8(tf, tflite, compute_features(read_wav(wav), recipe)[None])[0]]
        demo_results.append(f"{stem}.wav -> {got}" + ("" if got == label else f" (expected {label})"))
    print("demo:", "; ".join(demo_results))

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "kws_yes_no.tflite").write_bytes(tflite)
    (args.out / "kws_yes_no.labels").write_text("".join(l + "\n" for l in LABELS))
    n_clips = sum(len(v[0]) for v in data.values())
    import synth_dataset as sd
    (args.out / "README.md").write_text(README.format(
        labels=", ".join(LABELS), ops=", ".join(ops), size=len(tflite), pair=pair, acc=acc,
        n_test=len(xte), val_acc=val_acc, demo="; ".join(demo_results),
        confusion=confusion(yte, test_pred), tf_version=tf.__version__, n_clips=n_clips,
        epochs=args.epochs, train_s=train_s, total_s=time.time() - t0,
        n_bases=len(sd.BASE_VOICES), n_variants=len(sd.VARIANTS)))
    print(f"wrote {args.out / 'kws_yes_no.tflite'} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
