"""Connector registry: every source kind is found through the entry-point group ``sightline.connectors``.

Built-in connectors are registered in this project's ``pyproject.toml`` exactly as an outside
package would register its own, so a new kind can ship as a separate distribution.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from connectors.base import Connector

ENTRY_POINT_GROUP = "sightline.connectors"


@cache
def _load() -> tuple[dict[str, type[Connector]], dict[str, str]]:
    """Installed connector kinds, and the reason each broken one could not be loaded: one broken
    plug-in must not take the others down; it fails only the sources that use it."""
    found: dict[str, type[Connector]] = {}
    broken: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = entry.load()
        except Exception as exc:  # an outside package may fail in any way
            broken[entry.name] = f"{entry.value} cannot be imported ({type(exc).__name__}: {exc})"
            continue
        if not _is_connector(cls):
            broken[entry.name] = f"{entry.value} is not a Connector subclass"
            continue
        found[entry.name] = cls
    return found, broken


def connector_classes() -> dict[str, type[Connector]]:
    """All installed, loadable connector kinds, by ``kind``."""
    return _load()[0]


@cache
def _load_kind(kind: str) -> type[Connector] | None:
    """Just the one kind, when exactly one loadable Connector is registered under that name: a
    source then imports only its own connector (an MSPDI load need not import the spreadsheet
    stack, pandas and all, ~50 MB and half a second). Anything else is left to :func:`_load`."""
    entries = list(entry_points(group=ENTRY_POINT_GROUP, name=kind))
    if len(entries) != 1:
        return None
    try:
        cls = entries[0].load()
    except Exception:  # _load says why, with the other kinds
        return None
    return cls if _is_connector(cls) else None


def _is_connector(cls: object) -> bool:
    return isinstance(cls, type) and issubclass(cls, Connector)


def connector_class(kind: str) -> type[Connector]:
    if (cls := _load_kind(kind)) is not None:
        return cls
    classes, broken = _load()
    if kind in broken:
        raise KeyError(f"source kind {kind!r} is installed but broken: {broken[kind]}")
    if kind not in classes:
        installed = ", ".join(sorted(classes)) or "none"
        raise KeyError(f"unknown source kind {kind!r}; installed kinds: {installed}")
    return classes[kind]
