"""Convert conformance cases to full-int8 .tflite files: ``python convert.py JOBS.json``.

JOBS.json lists ``{"source", "builder", "params", "range", "quantization", "out"}``. One process converts many cases so
TensorFlow is imported once per batch; the test session runs one such process per core, over the same list from
either end, and each skips the cases already made.
"""
from __future__ import annotations

import json
import os
import sys
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPRESENTATIVE_SAMPLES = 32


def convert(model, seed: int, value_range: float, quantization: str = "int8") -> bytes:
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    shapes = {tensor.name: [1 if d is None else d for d in tensor.shape] for tensor in model.inputs}

    def representative():
        # By input name: the converter's signature may order several inputs differently from Keras.
        for _ in range(REPRESENTATIVE_SAMPLES):
            yield {name: rng.uniform(-value_range, value_range, shape).astype(np.float32)
                   for name, shape in shapes.items()}

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantization == "float32":
        return converter.convert()          # no quantization: float32 weights and activations
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    if quantization == "16x8":
        # int16 activations, int8 weights; the model's inputs and outputs are int16 too.
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        converter.inference_input_type = converter.inference_output_type = tf.int16
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def main(jobs_file: str) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import keras
    from cases import load_module

    modules = {}
    for job in json.loads(Path(jobs_file).read_text()):
        out = Path(job["out"])
        if out.is_file() or out.with_suffix(".error").is_file():
            continue            # another converter process (working from the other end) made it
        module = modules.setdefault(job["source"], load_module(Path(job["source"])))
        # Weights are seeded from the case so a reconversion gives the same model.
        seed = zlib.crc32(json.dumps([job["builder"], job["params"]], sort_keys=True).encode())
        keras.utils.set_random_seed(seed)
        try:
            data = convert(getattr(module, job["builder"])(**job["params"]), seed, job["range"],
                           job.get("quantization", "int8"))
        except Exception as error:  # Keras or the converter refused it: the test reports it, the batch goes on
            out.with_suffix(".error").write_text(f"{type(error).__name__}: {error}".splitlines()[0] + "\n")
            continue
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(out)
        keras.backend.clear_session()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
