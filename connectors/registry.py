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
def connector_classes() -> dict[str, type[Connector]]:
    """All installed connector kinds, by ``kind``."""
    found: dict[str, type[Connector]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise TypeError(f"entry point {entry.name!r} in {ENTRY_POINT_GROUP} is not a Connector subclass")
        found[entry.name] = cls
    return found


def connector_class(kind: str) -> type[Connector]:
    classes = connector_classes()
    if kind not in classes:
        installed = ", ".join(sorted(classes)) or "none"
        raise KeyError(f"unknown source kind {kind!r}; installed kinds: {installed}")
    return classes[kind]
