"""Class labels for a model's output, looked up in this order:

1. ``labels=`` given by the user: a comma-separated list or a file with one label per line;
2. a ``<model stem>.labels`` file beside the model (how the project's own models ship);
3. ``models/known_models.toml``: labels of public models we test with, keyed by the
   model file's SHA-256 (models such as TFLM's micro_speech carry no labels);
4. none: the report shows the index of the top score.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from codegen.errors import TinyforgeError
from codegen.model.tflite_model import Model

from codegen.paths import MODELS_DIR  # noqa: E402

KNOWN_MODELS = MODELS_DIR / "known_models.toml"


def _read_label_file(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def resolve_labels(model: Model, labels: str | None = None) -> list[str] | None:
    found: list[str] | None = None
    if labels:
        found = _read_label_file(Path(labels)) if Path(labels).is_file() else [x.strip() for x in labels.split(",")]
    elif model.path.with_suffix(".labels").is_file():
        found = _read_label_file(model.path.with_suffix(".labels"))
    elif KNOWN_MODELS.is_file():
        entry = tomllib.loads(KNOWN_MODELS.read_text()).get("model", {}).get(model.sha256)
        found = list(entry["labels"]) if entry else None
    if found is None:
        return None
    classes = model.tensors[model.outputs[0]].size
    if len(found) != classes:
        raise TinyforgeError(f"{len(found)} labels ({', '.join(found)}) for a model with {classes} outputs")
    return found
