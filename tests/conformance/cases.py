"""What a conformance case is, and where the cases come from.

A case names a builder (a function in a ``cases_*.py`` file of this folder that returns a small Keras model)
and its keyword arguments. Every ``cases_*.py`` file defines ``CASES``, a list of ``Case`` generated with
``itertools.product``; adding operators means adding a file (see README.md). Cases are rebuilt in a
converter process from (file, builder, params), so params must be JSON values.
"""
from __future__ import annotations

import hashlib
import os
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# Converted models are a cache (converting takes minutes), kept outside the repository's build/ folder.
CACHE = Path(os.environ.get("TINYFORGE_CONFORMANCE_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tinyforge" / "conformance")
CONVERT_SCRIPT = HERE / "convert.py"


@dataclass(frozen=True)
class Case:
    operator: str            # the TFLite operator the case is about, for grouping and reports
    builder: str             # function name in the case file
    params: dict = field(default_factory=dict, hash=False)
    source: str = ""         # the cases_*.py file, filled in by load_cases
    representative_range: float = 1.0   # representative inputs are uniform in +-range
    quantization: str = "int8"           # "int8" (full int8), "16x8" (int16 activations, int8 weights), "float32"
    # Operators the converted model must contain, when ``operator`` names a layer rather than one TFLite
    # operator (a GRU becomes FULLY_CONNECTED, LOGISTIC, ...); empty: ``operator`` itself.
    expect: tuple = ()

    @property
    def name(self) -> str:
        args = "-".join(f"{k}={_short(v)}" for k, v in sorted(self.params.items()))
        mode = "" if self.quantization == "int8" else f"{self.quantization}:"
        return f"{self.operator}[{mode}{self.builder}:{args}]"

    def key(self) -> str:
        """Cache key: the case and the text of the file that builds it (so editing a builder reconverts)."""
        text = Path(self.source).read_bytes()
        fields = [self.builder, self.params, self.representative_range]
        # Only non-default modes join the key, so the int8 cases keep the cache entries they had.
        fields += [self.quantization] if self.quantization != "int8" else []
        blob = json.dumps(fields, sort_keys=True).encode()
        return hashlib.sha256(blob + hashlib.sha256(text).digest()).hexdigest()[:24]

    @property
    def model_path(self) -> Path:
        return CACHE / f"{self.key()}.tflite"


def _short(value) -> str:
    return json.dumps(value, separators=(",", ":")).replace('"', "")


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"conformance_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(HERE.glob("cases_*.py")):
        for case in load_module(path).CASES:
            cases.append(Case(case.operator, case.builder, case.params, str(path), case.representative_range,
                              case.quantization, case.expect))
    return cases


# Filled by test_conformance.py (case node id -> bit-exact?), reported by conftest.py at the end.
# It lives here, not in conftest.py, because `import conftest` can resolve to tests/conftest.py.
RESULTS: dict[str, bool] = {}
WITHIN_BOUND: set[str] = set()      # passed under the float LSTM's stated bound, not byte for byte
DEVICE_RESULTS: dict[tuple[str, str], bool] = {}   # test_on_device.py: (node id, board) -> bit-exact?
# (kernel function, build) for every layer that ran bit-exact in this session: the coverage test's evidence.
KERNEL_RUNS: set[tuple[str, str]] = set()
# (kernel function, weight layout, build): one function may run over two layouts (the LSTM with its derived
# constants in flash, or computed on the device), each of which must run somewhere.
LAYOUT_RUNS: set[tuple[str, str, str]] = set()


def kernels_called(layer) -> list[str]:
    """The kernel functions a compiled layer's code calls: its own, and the one model_reset() calls for it
    (the LSTM's recurrent biases, when the weight budget computes them into RAM)."""
    reset = layer.params.get("reset_function") if isinstance(layer.params, dict) else None
    return [layer.function, *([reset] if reset else [])]
