"""harvester: a federated government open-data catalog (harvest → DCAT-AP 3 → triple store → search)."""

from pathlib import Path

__version__ = "0.1.0"

#: The project root holding vocab/ and mappings/ (the package is installed editable or run from a checkout).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
VOCAB_DIR = PROJECT_ROOT / "vocab"
MAPPINGS_DIR = PROJECT_ROOT / "mappings"
