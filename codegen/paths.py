"""Where the repository's own folders are: templates, firmware sources, board files, models."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO_ROOT / "templates"
FIRMWARE_DIR = REPO_ROOT / "firmware"
BOARDS_DIR = REPO_ROOT / "boards"
MODELS_DIR = REPO_ROOT / "models"
