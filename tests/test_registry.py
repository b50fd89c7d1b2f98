"""The connector registry: a source imports only its own connector; errors name every installed kind."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest

from connectors import registry


def test_loading_one_kind_imports_no_other_connector() -> None:
    code = ("import sys; from connectors.registry import connector_class; cls = connector_class('msproject'); "
            "print(cls.kind, sorted(m for m in sys.modules if m.split('.')[:2] in "
            "[['connectors', k] for k in ('spreadsheet', 'jira', 'smartsheet', 'planner_premium', 'azure_devops')]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "msproject []"


def test_an_unknown_kind_names_the_installed_ones() -> None:
    with pytest.raises(KeyError) as caught:
        registry.connector_class("trello")
    message = str(caught.value)
    assert "unknown source kind 'trello'; installed kinds: " in message
    assert "msproject" in message and "spreadsheet" in message


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch):
    """Replace the installed entry points with the given ones, caches cleared before and after."""
    def install(*entries: EntryPoint) -> None:
        def found(*, group: str, name: str | None = None) -> list[EntryPoint]:
            return [e for e in entries if e.group == group and (name is None or e.name == name)]
        monkeypatch.setattr(registry, "entry_points", found)
        registry._load.cache_clear()
        registry._load_kind.cache_clear()
    yield install
    registry._load.cache_clear()
    registry._load_kind.cache_clear()


def test_a_broken_kind_is_reported_as_broken(fake_entry_points) -> None:
    group = registry.ENTRY_POINT_GROUP
    fake_entry_points(EntryPoint("msproject", "connectors.msproject:MsProjectConnector", group),
                      EntryPoint("gantt", "no_such_module_here:Gantt", group))
    assert registry.connector_class("msproject").kind == "msproject"
    with pytest.raises(KeyError, match=r"source kind 'gantt' is installed but broken: no_such_module_here:Gantt "
                                       r"cannot be imported \(ModuleNotFoundError"):
        registry.connector_class("gantt")


def test_a_kind_registered_twice_resolves_as_the_full_scan_does(fake_entry_points) -> None:
    group = registry.ENTRY_POINT_GROUP
    # The full scan keeps the last registration of a name; the one-kind shortcut must not pick another.
    fake_entry_points(EntryPoint("plans", "connectors.spreadsheet:SpreadsheetConnector", group),
                      EntryPoint("plans", "connectors.msproject:MsProjectConnector", group))
    assert registry.connector_class("plans").kind == "msproject"
