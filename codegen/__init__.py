"""tinyforge codegen: .tflite models to ahead-of-time compiled Cortex-M firmware."""

__version__ = "0.1.0"
