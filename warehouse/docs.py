"""Column documentation of the published tables (warehouse/docs.yml), used for COMMENT ON and in Dagster."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DOCS_FILE = Path(__file__).parent / "docs.yml"


@cache
def load_docs() -> dict[str, dict]:
    """table -> {description, columns: {column: description}}."""
    return yaml.safe_load(DOCS_FILE.read_text(encoding="utf-8")) or {}
