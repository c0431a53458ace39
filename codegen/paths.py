"""Where the repository's own folders are: templates, firmware sources, board files, models."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO_ROOT / "templates"
FIRMWARE_DIR = REPO_ROOT / "firmware"
BOARDS_DIR = REPO_ROOT / "boards"
MODELS_DIR = REPO_ROOT / "models"


def build_root() -> Path:
    """Where builds go: ``build/`` in the repository, or ``$TINYFORGE_BUILD_DIR`` (the test suite points it at
    a temporary folder, so tests never overwrite a developer's builds)."""
    return Path(os.environ.get("TINYFORGE_BUILD_DIR") or REPO_ROOT / "build")
