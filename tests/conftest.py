"""Shared fixtures: a private copy of the sample portfolio, and a sync runner."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
sys.path.insert(0, str(EXAMPLES))  # the sample generator, for independent expectations
sys.path.insert(0, str(REPO / "tests" / "support"))  # test doubles: the Jira emulator


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """examples/ copied into a temporary folder: portfolio.yaml and its generated sheets."""
    return copy_sample(tmp_path / "portfolio")


def copy_sample(target: Path) -> Path:
    """Copy portfolio.yaml and its generated inputs (no warehouse) into the new folder target."""
    target.mkdir()
    shutil.copy(EXAMPLES / "portfolio.yaml", target / "portfolio.yaml")
    shutil.copytree(EXAMPLES / "sheets", target / "sheets")
    shutil.copytree(EXAMPLES / "exports", target / "exports")
    shutil.copytree(EXAMPLES / "plans", target / "plans")
    return target


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
