"""The repository itself: CI runs exactly the README's test command, and the suite needs nothing
that lives beside the clone."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST_COMMAND = re.compile(r"^python3 -m venv .*-m pytest.*$", re.MULTILINE)
SKIPPED_DIRS = {".venv", ".venv-duckdb1", ".git", "var", "build", "__pycache__"}


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = TEST_COMMAND.findall((REPO / "README.md").read_text(encoding="utf-8"))
    ci = TEST_COMMAND.findall((REPO / ".ci" / "run").read_text(encoding="utf-8"))
    assert len(readme) == 1, readme
    assert ci == readme


def python_files() -> list[Path]:
    """The repository's own .py files: virtualenv, build output and caches pruned, not walked."""
    found = []
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        found += [Path(folder) / f for f in files if f.endswith(".py")]
    return found


def test_no_code_reads_the_folder_beside_the_repository() -> None:
    outside = re.compile(r"""\.\./shared|parents\[\d\]\s*/\s*["']shared["']""")
    files = [p for p in python_files() if p != Path(__file__).resolve()]  # this file names the pattern
    assert REPO / "tests" / "test_msproject.py" in files
    assert [str(p.relative_to(REPO)) for p in files if outside.search(p.read_text(encoding="utf-8"))] == []
