"""The defaults of ``connectors.base.Connector`` that every kind relies on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import connectors
from connectors.base import Batch, Connector, ExtractContext
from connectors.registry import connector_class

PACKAGES = Path(connectors.__file__).parent


class _Here(Connector):
    kind = "here"
    raw_schemas = {}  # noqa: RUF012 - a test double

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        yield from ()


@pytest.mark.parametrize(("kind", "folder"), [
    ("spreadsheet", "spreadsheet"), ("jira", "jira"), ("jira_csv", "jira"), ("msproject", "msproject"),
    ("smartsheet", "smartsheet"), ("azure_devops", "azure_devops"), ("planner_premium", "planner_premium"),
])
def test_a_built_in_kind_reads_the_staging_folder_of_its_package(kind: str, folder: str) -> None:
    found = connector_class(kind).staging_sql_dir()
    assert found == PACKAGES / folder / "staging"
    assert (found / "work_items.sql").is_file()


def test_the_default_is_beside_the_module_defining_the_subclass() -> None:
    assert _Here.staging_sql_dir() == Path(__file__).parent / "staging"
