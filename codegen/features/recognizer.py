"""The command recognizer's settings, shared by the streaming firmware's generator and the host's simulation of
it: TFLM's and MLTK's recognizer averages the last results, needs a minimum count, reports a keyword above a
threshold and then stays quiet (firmware/audio/recognizer.c)."""
from __future__ import annotations

from codegen.errors import TinyforgeError

# MLTK's micro-speech recognizer settings (its model's SL_PARAMSv1 metadata:
# average_window_duration_ms, detection_threshold, suppression_ms, minimum_count)
RECOGNIZER_DEFAULTS = dict(average_window_ms=1000, detection_threshold=185, suppression_ms=1500, minimum_count=3)
DEFAULT_INFERENCE_EVERY = 5          # hops: 100 ms at a 20 ms hop, ten results per averaging window
BACKGROUND_LABELS = {"silence", "unknown", "_silence_", "_unknown_", "background", "_background_noise_"}


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
