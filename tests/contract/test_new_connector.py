"""`sightline new-connector` writes a package whose own contract tests pass on first run."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pipelines.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a pytest subprocess, from a cold start
def test_scaffolded_connector_passes_its_contract_tests(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["new-connector", "Acme-Tool", "--dir", str(tmp_path)]) == 0
    package = tmp_path / "sightline-acme-tool"
    assert f"wrote {package / 'pyproject.toml'}" in capsys.readouterr().out

    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    entry = project["project"]["entry-points"]["sightline.connectors"]
    assert entry == {"acme_tool": "sightline_acme_tool:AcmeToolConnector"}
    streams = sorted(p.stem for p in (package / "sightline_acme_tool" / "staging").glob("*.sql"))
    assert streams == ["projects", "resources", "work_items"]

    # Not installed: the contract registers the class itself; PYTHONPATH finds the package.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package), str(REPO)])}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=package, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    # Every contract test ran except the incremental one (the scaffold loads whole).
    assert "5 passed, 1 skipped" in result.stdout, result.stdout[-2000:]
    assert "acme_tool loads whole (no merge_key)" in result.stdout


def test_refuses_to_overwrite_and_bad_names(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["new-connector", "acme", "--dir", str(tmp_path)]) == 0
    connector = tmp_path / "sightline-acme" / "sightline_acme" / "connector.py"
    connector.write_text("# my own work\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["new-connector", "acme", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert connector.read_text(encoding="utf-8") == "# my own work\n"
    assert main(["new-connector", "9lives", "--dir", str(tmp_path)]) == 2
    assert "cannot be a kind" in capsys.readouterr().err
    assert not (tmp_path / "sightline-9lives").exists()
