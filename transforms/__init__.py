"""The SQL models (one folder per schema), their YAML metadata and the SQL macros they call."""

from pathlib import Path

TRANSFORMS_DIR = Path(__file__).parent
