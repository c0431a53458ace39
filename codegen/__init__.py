"""tinyforge codegen: .tflite models to ahead-of-time compiled Cortex-M firmware."""
import os

# TensorFlow is our oracle and feature reference, not a runtime: keep its
# start-up chatter (oneDNN notices, absl log banners) out of build and test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"
